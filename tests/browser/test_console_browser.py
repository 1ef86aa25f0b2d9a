"""The web console in a real headless Chromium against the real API, a real worker and Docker: sign in,
start a run from a task, watch its status change and its log lines arrive without a reload, cancel one,
and as a reader see no buttons and a 403 when posting anyway. No page breaks the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from console_browser import MARK, api, csp_violations, not_reloaded, sign_in, text_of, wait_for
from harness import ServiceStack
from selenium.webdriver.common.by import By

from tasks_engine.store import Role

LINES = 6


def test_a_runner_starts_a_task_and_watches_status_and_log_live(stack: ServiceStack, browser: Any,
                                                                 base_image: str) -> None:
    script = ("printf '\\033[32mgreen start\\033[0m\\n'; "
              f"for i in $(seq 1 {LINES}); do echo line $i; sleep 0.7; done")
    api(stack, "POST", "/v1/tasks", {"name": "live-task", "kind": "cmd", "cmd": f'{base_image} sh -c "{script}"'})
    sign_in(browser, stack, stack.store().create_token("runner-live", Role.RUNNER))
    browser.get(f"{stack.api_url}/console/tasks")
    browser.find_element(By.CSS_SELECTOR, "form[action$='/tasks/live-task/run'] button").click()
    wait_for(browser, lambda: "/console/runs/" in browser.current_url, "the new run's page")
    run_id = browser.current_url.rsplit("/", 1)[1]
    browser.execute_script(MARK)
    seen = [text_of(browser, "#run-status")]
    wait_for(browser, lambda: seen.append(text_of(browser, "#run-status")) or seen[-1] == "Running",
             "the run to be Running on its page")
    assert seen[0] in ("Queued", "Started", "Running") and not_reloaded(browser), seen

    browser.find_element(By.LINK_TEXT, "Log").click()
    wait_for(browser, lambda: "line 1" in text_of(browser, "#log"), "the first lines")
    browser.execute_script(MARK)
    assert "line 6" not in text_of(browser, "#log")
    assert text_of(browser, "#log-status") == "Running"
    wait_for(browser, lambda: f"line {LINES}" in text_of(browser, "#log"), "the last line, live")
    wait_for(browser, lambda: text_of(browser, "#log-state") == "complete", "the end of the log")
    assert text_of(browser, "#log-status") == "Succeeded" and not_reloaded(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#log .fg2").text == "green start"
    line = browser.find_element(By.XPATH, "//div[@class='line'][contains(., 'line 3')]")
    anchor = line.find_element(By.CSS_SELECTOR, "a.n")
    assert anchor.get_attribute("href").endswith(f"/console/runs/{run_id}/log#{line.get_attribute('id')}")
    browser.get(anchor.get_attribute("href"))  # the finished log, rendered by the server, at that line
    assert "line 3" in browser.execute_script("return document.querySelector(':target').textContent")
    assert not csp_violations(browser)


def test_a_new_run_appears_in_the_list_and_is_canceled_from_its_page(stack: ServiceStack, browser: Any,
                                                                      base_image: str) -> None:
    runner = stack.store().create_token("runner-cancel", Role.RUNNER)
    sign_in(browser, stack, runner)
    browser.execute_script(MARK)
    run = api(stack, "POST", "/v1/runs", {"kind": "cmd", "cmd": f"{base_image} sh -c 'echo started; sleep 120'"},
              token=runner)
    row = f"#run-rows tr[data-run='{run['runId']}']"
    wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, row), "the new run in the list, live")
    assert not_reloaded(browser)
    wait_for(browser, lambda: "Running" in text_of(browser, row), "its status to change in the list")
    browser.find_element(By.CSS_SELECTOR, f"{row} a").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "cancel-run"), "the cancel button")
    browser.find_element(By.ID, "cancel-run").click()
    wait_for(browser, lambda: browser.switch_to.alert, "the confirmation").accept()
    wait_for(browser, lambda: text_of(browser, "#run-status") == "Canceled", "the run to end Canceled")
    assert stack.store().get_run(run["runId"]).status.value == "Canceled"
    assert not browser.find_elements(By.ID, "cancel-run")
    assert not csp_violations(browser)


def test_a_reader_sees_no_buttons_and_gets_403_when_posting_anyway(stack: ServiceStack, browser: Any,
                                                                  base_image: str) -> None:
    api(stack, "POST", "/v1/tasks", {"name": "reader-task", "kind": "cmd", "cmd": f"{base_image} true"})
    waiting = api(stack, "POST", "/v1/runs", {"kind": "cmd", "cmd": f"{base_image} true", "agentPool": "nobody"})
    sign_in(browser, stack, stack.store().create_token("reader-only", Role.READER))
    browser.get(f"{stack.api_url}/console/tasks")
    assert "reader-task" in text_of(browser, "main") and not browser.find_elements(By.CSS_SELECTOR, "form.run-task")
    browser.get(f"{stack.api_url}/console/runs/{waiting['runId']}")
    assert "no worker listens on queue 'runs.pool.nobody'" in text_of(browser, ".waiting")
    assert not browser.find_elements(By.ID, "cancel-run")
    browser.get(f"{stack.api_url}/console/workers")
    assert "runs.pool.nobody" in text_of(browser, "main") and "w1@" in text_of(browser, "main")
    # A hand-made form with this session's own CSRF token: the server still refuses the reader.
    browser.execute_script("""
        const form = document.createElement('form');
        form.method = 'post';
        form.action = arguments[0];
        const csrf = document.createElement('input');
        csrf.type = 'hidden'; csrf.name = 'csrf';
        csrf.value = document.querySelector('form.who input[name=csrf]').value;
        form.appendChild(csrf);
        document.body.appendChild(form);
        form.submit();
    """, f"/console/runs/{waiting['runId']}/cancel")
    wait_for(browser, lambda: text_of(browser, "h1") == "403 · Not allowed", "the 403 page")
    assert "needs the runner role" in text_of(browser, "main")
    assert stack.store().get_run(waiting["runId"]).status.value == "Queued"
    assert not csp_violations(browser)
