"""Helpers for driving the console in Chromium: the API for setup, signing in, waiting for what a page shows."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from harness import ServiceStack
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

MARK = "window.__teNoReload = 'same page'"


def api(stack: ServiceStack, method: str, path: str, body: object = None, *, token: str | None = None) -> Any:
    request = urllib.request.Request(f"{stack.api_url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token or stack.admin_token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            data = reply.read()
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from exc
    return json.loads(data) if data else None


def sign_in(browser: Any, stack: ServiceStack, token: str) -> None:
    """Through the login form, as a person would: a page asks to sign in, then comes back."""
    browser.get(f"{stack.api_url}/console/login")
    browser.delete_all_cookies()
    browser.get(f"{stack.api_url}/console/runs")
    wait_for(browser, lambda: "/console/login" in browser.current_url, "the sign-in page")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    wait_for(browser, lambda: browser.current_url.endswith("/console/runs"), "the runs page after signing in")


def wait_for(browser: Any, condition: Callable[[], Any], what: str, *, timeout: float = 30.0) -> Any:
    def check(_: Any) -> Any:
        try:
            return condition()
        except Exception:  # the element is being replaced by a poll: look again
            return None

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(check, f"waiting for {what}")


def text_of(browser: Any, css: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, css).text)


def not_reloaded(browser: Any) -> bool:
    return bool(browser.execute_script("return window.__teNoReload === 'same page'"))


def csp_violations(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def screenshot(browser: Any, path: str, *, height: int | None = None) -> None:
    """The whole page (up to 2,400 px tall) as a PNG."""
    time.sleep(0.3)
    full = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(1360, min(2400, height or max(600, full + 90)))
    time.sleep(0.3)
    browser.save_screenshot(path)
    browser.set_window_size(1360, 900)
