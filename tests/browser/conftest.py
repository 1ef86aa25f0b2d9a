"""A real headless Chromium (Debian's, driven by chromedriver through selenium) against a real stack: the API
process, a Celery worker, a private Redis, the shared Docker daemon and registry (tests/integration).

A missing browser, driver or service skips these tests on a developer machine and fails them under
``CI=true`` (scripts/setup.d/chromium.sh installs the browser), like every integration test here.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "service"))

from harness import ServiceStack, missing, service_stack

CHROMIUM = os.environ.get("TE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TE_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1360,900", "--force-device-scale-factor=1"]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def base_image() -> str:
    ref = os.environ.get("TE_BASE_IMAGE", "127.0.0.1:5000/tasks-engine/busybox:latest")
    registry = os.environ.get("TE_REGISTRY", "127.0.0.1:5000")
    try:
        import docker

        client = docker.from_env()
        client.ping()
        client.images.get(ref)
        client.close()
        with urllib.request.urlopen(f"http://{registry}/v2/", timeout=3):
            pass
    except Exception as exc:
        missing(f"Docker, the registry or the base image {ref} is not available: {exc}")
    return ref


@pytest.fixture(scope="module")
def stack(base_image: str) -> Iterator[ServiceStack]:
    """One stack per test module: the API and one worker, shared by the module's tests."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(os.environ.get("TE_REGISTRY", "127.0.0.1:5000")) as s:
        s.start_api()
        s.start_worker("w1")
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not os.access(path, os.X_OK):
            missing(f"{what} is not installed at {path} (scripts/setup.d/chromium.sh installs Debian's)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is not installed (pip install -e '.[dev]')")
    profile = tempfile.mkdtemp(prefix="te-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
