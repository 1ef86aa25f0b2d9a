"""The screenshots in docs/console.md, taken by the same browser against the same stack as the tests.

Skipped unless ``TE_CONSOLE_SCREENSHOTS`` names a folder (``TE_CONSOLE_SCREENSHOTS=docs/console pytest
tests/browser/test_console_screenshots.py``). The history it shows (tasks with triggers, finished builds with
dependency reports) is written into the stack's store through the store's own transitions, the way a worker
writes it; the log page's run is a real run on the stack's worker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from console_browser import api, screenshot, sign_in, text_of, wait_for
from harness import ServiceStack
from selenium.webdriver.common.by import By

from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import RunRequest, RunType, Trigger

FOLDER = os.environ.get("TE_CONSOLE_SCREENSHOTS", "")
pytestmark = pytest.mark.skipif(not FOLDER, reason="set TE_CONSOLE_SCREENSHOTS=<folder> to take the screenshots")
REGISTRY = "127.0.0.1:5000"


def ref(repository: str, tag: str, digit: str) -> dict[str, str]:
    return {"registry": REGISTRY, "repository": repository, "tag": tag, "digest": "sha256:" + digit * 64,
            "reference": f"{REGISTRY}/{repository}:{tag}"}


def report(image: dict[str, str], runtime: dict[str, str], *buildtime: dict[str, str]) -> dict[str, Any]:
    return {"image": image, "runtime-dependency": runtime, "buildtime-dependency": list(buildtime),
            "git": {"git-head-revision": "4f2a9c1e8b7d"}}


def history(stack: ServiceStack, task: str, *, status: str = "Succeeded", reports: list[dict[str, Any]],
            trigger: Trigger = Trigger.MANUAL, **documents: Any) -> str:
    store = stack.store()
    record = store.create_run(id_prefix=stack.run_id_prefix, queue="runs", run_type=RunType.AUTO_BUILD,
                              request=RunRequest(kind="build", build={"tags": ["x"]}), task=task, trigger=trigger)
    claim = store.claim(record.run_id, worker="w1@build-host", lease_ttl=60)
    assert claim is not None
    store.update(claim, status=RunStatus.RUNNING)
    images = [{k: r["image"][k] for k in ("registry", "repository", "tag", "digest")} for r in reports]
    steps = [{"id": "build", "status": "successful", "exitCode": 0, "attempts": 1,
              "startTime": "2026-12-01T20:00:00Z", "finishTime": "2026-12-01T20:00:41Z"},
             {"id": "test", "status": "successful" if status == "Succeeded" else "failed",
              "exitCode": 0 if status == "Succeeded" else 1, "attempts": 1,
              "startTime": "2026-12-01T20:00:41Z", "finishTime": "2026-12-01T20:00:52Z"},
             {"id": "push", "status": "successful" if status == "Succeeded" else "skipped",
              "exitCode": 0 if status == "Succeeded" else None, "attempts": 1 if status == "Succeeded" else 0,
              "startTime": "2026-12-01T20:00:52Z" if status == "Succeeded" else None,
              "finishTime": "2026-12-01T20:00:55Z" if status == "Succeeded" else None}]
    store.finish(claim, RunStatus(status), message=None if status == "Succeeded" else "step test: exit status 1",
                 steps=steps, outputImages=images if status == "Succeeded" else [], dependencies=reports, **documents)
    return str(record.run_id)


def seed(stack: ServiceStack, base_image: str) -> None:
    busybox = ref("tasks-engine/busybox", "latest", "1")
    builder = ref("platform/builder", "1.4", "2")
    runtime = ref("platform/runtime", "2", "3")
    tasks = {
        "platform-runtime": {"baseImageTrigger": {"status": "Enabled", "baseImageTriggerType": "Runtime"}},
        "platform-builder": {"timerTriggers": [{"name": "weekly", "schedule": "0 4 * * 1", "status": "Enabled"}]},
        "web-app": {"sourceTriggers": [{"name": "defaultSourceTriggerName", "status": "Enabled",
                                        "sourceTriggerEvents": ["commit", "pullrequest"],
                                        "sourceRepository": {"repositoryUrl": "https://git.example.com/shop/web.git",
                                                             "branch": "main"}}],
                    "baseImageTrigger": {"status": "Enabled", "baseImageTriggerType": "All"}},
        "api-server": {"baseImageTrigger": {"status": "Enabled", "baseImageTriggerType": "Runtime"}},
    }
    for name, triggers in tasks.items():
        api(stack, "POST", "/v1/tasks", {"name": name, "kind": "cmd", "cmd": f"{base_image} echo {name}",
                                         "values": {"env": "staging"}, "secretValues": {"deploy_key": "s3cr3t"}})
        store = stack.store()
        record = store.get_task(name)
        record.triggers = triggers
        store.save_task(record)
    history(stack, "platform-runtime", reports=[report(runtime, busybox)])
    history(stack, "platform-builder", reports=[report(builder, busybox)], trigger=Trigger.TIMER,
            timerTrigger={"timerTriggerName": "weekly", "scheduleOccurrence": "2026-11-30T04:00:00Z"})
    history(stack, "api-server", status="Failed", reports=[report(ref("shop/api", "v7", "5"), runtime, builder)])
    history(stack, "api-server", reports=[report(ref("shop/api", "v7", "5"), runtime, builder)],
            trigger=Trigger.IMAGE_UPDATE,
            imageUpdateTrigger={"id": "evt-9f1", "timestamp": "2026-12-01T19:58:00Z",
                                "images": [{"registry": REGISTRY, "repository": "platform/runtime", "tag": "2",
                                            "digest": "sha256:" + "3" * 64}]})
    history(stack, "web-app", reports=[report(ref("shop/web", "v12", "4"), runtime, builder)],
            trigger=Trigger.GIT_COMMIT,
            sourceTrigger={"id": "delivery-77", "eventType": "commit", "commitId": "4f2a9c1e8b7d",
                           "repositoryUrl": "https://git.example.com/shop/web.git", "branchName": "main",
                           "providerType": "GitHub"})
    api(stack, "POST", "/v1/runs", {"kind": "cmd", "cmd": f"{base_image} nvidia-smi", "agentPool": "gpu"})


def test_screenshots_of_every_page(stack: ServiceStack, browser: Any, base_image: str) -> None:
    folder = Path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    seed(stack, base_image)
    script = ("printf '\\033[1;34m==> building\\033[0m web-app\\n'; sleep 1; "
              "for i in 1 2 3; do printf 'layer %s \\033[32mok\\033[0m\\n' $i; sleep 0.5; done; "
              "printf '\\033[33mwarning\\033[0m cache miss for layer 3\\n'; "
              "printf '\\033[31merror\\033[0m flaky test retried once\\n'; echo done")
    browser.get(f"{stack.api_url}/console/login")
    screenshot(browser, str(folder / "login.png"), height=640)
    sign_in(browser, stack, stack.admin_token)
    run = api(stack, "POST", "/v1/runs", {"kind": "cmd", "cmd": f'{base_image} sh -c "{script}"'})
    stack.wait_finished(run["runId"])
    browser.get(f"{stack.api_url}/console/runs")
    screenshot(browser, str(folder / "runs.png"))
    web = stack.store().list_runs(task="web-app", top=1).runs[0].run_id
    browser.get(f"{stack.api_url}/console/runs/{web}")
    screenshot(browser, str(folder / "run.png"))
    browser.get(f"{stack.api_url}/console/runs/{run['runId']}/log")
    wait_for(browser, lambda: text_of(browser, "#log-state") == "complete", "the log")
    screenshot(browser, str(folder / "log.png"))
    browser.get(f"{stack.api_url}/console/tasks")
    screenshot(browser, str(folder / "tasks.png"))
    browser.get(f"{stack.api_url}/console/graph?image={REGISTRY}/tasks-engine/busybox:latest")
    assert browser.find_elements(By.CSS_SELECTOR, ".node.hit")
    screenshot(browser, str(folder / "graph.png"))
    browser.get(f"{stack.api_url}/console/workers")
    screenshot(browser, str(folder / "workers.png"))
