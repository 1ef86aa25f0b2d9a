"""The compose stack for real: compose.yaml run by Debian's docker-compose (1.29) with images built from Debian's
packages (scripts/images.sh; Docker Hub is not reachable here), then, from the host as a user would:

1. a quick build with the CLI (``TASKS_ENGINE_SERVER=http://127.0.0.1:<port> tasks-engine build ...``),
   pushed to the stack's registry, which notifies the API;
2. a webhook-triggered build: a named task on a git repository the workers clone, started by a signed
   ``POST /v1/webhooks/generic``;
3. ``--scale worker=3`` (three runs on three workers at once) and back to one;
4. a Redis restart with a run waiting in the queue: the run is not lost and runs once a worker is back;
5. ``docker-compose down`` (volumes kept) and ``up`` again: every run record, log and the token are still there;
then ``down -v`` and everything it created is removed.

One test function on purpose: each step needs the previous one's stack, and pytest-xdist would otherwise
hand the steps to two processes. A private project name and free loopback ports keep it apart from
scripts/service.sh and the other test stacks. Cold (no cached image) about 3 minutes; cached under 2.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compose_support import ComposeStack, GitContainer, wait_until

pytestmark = pytest.mark.integration

PROJECT = "tasks-engine-smoke"


def _missing(what: str) -> None:
    import os

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: scripts/setup.d/operations.sh installs it)")
    pytest.skip(f"{what}; run scripts/setup.sh")


@pytest.fixture
def compose_stack(docker_client: Any, base_image: str) -> Iterator[ComposeStack]:
    for program in ("docker-compose", "mmdebstrap", "git", "curl"):
        if shutil.which(program) is None:
            _missing(f"{program} is not installed")
    folder = Path(tempfile.mkdtemp(prefix="te-compose-", dir="/var/tmp"))
    stack = ComposeStack(folder / "stack", PROJECT)
    started = time.monotonic()
    try:
        stack.script("up", timeout=900)
        print(f"stack up in {time.monotonic() - started:.0f}s")
        yield stack
    finally:
        stack.script("down", timeout=300)
        shutil.rmtree(folder, ignore_errors=True)


def _quick_build(stack: ComposeStack, tmp: Path) -> str:
    context = tmp / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {stack.base_image}\nRUN echo built-by-compose > /built.txt\n",
                                        encoding="utf-8")
    result = stack.cli("build", "-t", "smoke/app:{{.Run.ID}}", "--registry", stack.registry, str(context))
    assert result.rc == 0, result.describe()
    assert "Sending context" in result.err and "Queued a build with ID: " in result.err
    run_id = result.err.split("Queued a build with ID: ", 1)[1].split()[0]
    assert f"Run ID: {run_id} was successful" in result.out
    assert stack.manifest_exists("smoke/app", run_id)
    # The registry's notification of that push reached the API with the header token of .env.
    wait_until(lambda: '"POST /v1/webhooks/registry" 200' in stack.logs("api", tail=200), timeout=30,
               what="the registry's notification")
    return run_id


def _webhook_build(stack: ComposeStack, tmp: Path) -> str:
    from tasks_engine.triggers import sign_github

    git = GitContainer(stack, tmp / "git")
    git.start()
    try:
        task_file = ("version: v1.1.0\nsteps:\n"
                     "  - build: -t {{.Run.Registry}}/smoke/hooked:{{.Run.ID}} .\n"
                     "  - push: ['{{.Run.Registry}}/smoke/hooked:{{.Run.ID}}']\n"
                     f"  - cmd: {stack.base_image} echo hooked commit={{{{.Run.Commit}}}}\n")
        url, commit = git.repo("app", {"acb.yaml": task_file,
                                       "Dockerfile": f"FROM {stack.base_image}\nRUN echo hooked > /hooked\n"})
        status, reply = stack.request("POST", "/v1/tasks", {
            "name": "hooked", "kind": "file", "taskFile": "acb.yaml", "context": f"{url}#main",
            "registry": stack.registry})
        assert status == 201, reply
        secret = reply["webhookSecret"]
        body = json.dumps({"repositoryUrl": url, "branch": "main", "commit": commit,
                           "deliveryId": str(uuid.uuid4())}).encode()
        status, reply = stack.request("POST", "/v1/webhooks/generic", raw=body, auth=False,
                                      headers={"X-Hub-Signature-256": sign_github(body, secret)})
        assert status == 202 and reply["status"] == "accepted", reply
        [run] = reply["runs"]
        record = stack.wait_finished(run["runId"])
        assert record["status"] == "Succeeded", stack.log(run["runId"]) + stack.logs("worker")
        assert f"hooked commit={commit}" in stack.log(run["runId"])
        assert stack.manifest_exists("smoke/hooked", run["runId"])
        return str(run["runId"])
    finally:
        git.stop()


def _submit(stack: ComposeStack, command: str) -> str:
    result = stack.cli("run", "--no-wait", "--cmd", f"{stack.base_image} {command}", "/dev/null")
    assert result.rc == 0, result.describe()
    return result.err.split("Queued a run with ID: ", 1)[1].split()[0]


def _scale(stack: ComposeStack) -> list[str]:
    stack.compose("up", "-d", "--no-recreate", "--scale", "worker=3")
    stack.wait_workers(3)
    runs = [_submit(stack, "sleep 4") for _ in range(3)]
    records = [stack.wait_finished(r) for r in runs]
    assert all(r["status"] == "Succeeded" for r in records), records
    # Concurrency 1 per worker and three runs of 4 s submitted at once: one run on each worker.
    assert len({r["worker"] for r in records}) == 3, [r["worker"] for r in records]
    stack.compose("up", "-d", "--no-recreate", "--scale", "worker=1")
    assert len(stack.containers("worker")) == 1
    stack.wait_workers(1, timeout=60)
    return runs


def _redis_restart(stack: ComposeStack) -> str:
    stack.compose("stop", "worker")
    run_id = _submit(stack, "echo survived the restart")
    assert stack.run(run_id)["status"] == "Queued"
    stack.compose("restart", "redis")
    stack.wait_api()
    assert stack.run(run_id)["status"] == "Queued"
    stack.compose("start", "worker")
    record = stack.wait_finished(run_id)
    assert record["status"] == "Succeeded", stack.log(run_id)
    assert "survived the restart" in stack.log(run_id)
    return run_id


# Cold, the fixture builds the base images and the project image first (about 3 minutes on 2 cores).
@pytest.mark.timeout(900)
def test_the_compose_stack_builds_scales_survives_restarts_and_keeps_its_runs(
        compose_stack: ComposeStack, tmp_path: Path) -> None:
    stack = compose_stack
    timings: dict[str, float] = {}

    def step(name: str, fn: Any, *args: Any) -> Any:
        started = time.monotonic()
        result = fn(*args)
        timings[name] = round(time.monotonic() - started, 1)
        return result

    built = step("quick build", _quick_build, stack, tmp_path)
    hooked = step("webhook build", _webhook_build, stack, tmp_path)
    scaled = step("scale 3 and back", _scale, stack)
    survived = step("redis restart", _redis_restart, stack)
    runs = [built, hooked, *scaled, survived]

    def down_and_up() -> None:
        stack.compose("down")  # volumes stay
        assert stack.containers("redis") == []
        stack.compose("up", "-d")
        stack.wait_api()
        stack.wait_workers(1)

    step("down and up", down_and_up)
    listed = {r["runId"]: r["status"] for r in stack.get("/v1/runs?top=50")["runs"]}
    assert {r: listed.get(r) for r in runs} == dict.fromkeys(runs, "Succeeded"), listed
    assert f"Run ID: {built} was successful" in stack.log(built)
    print("timings:", timings)
