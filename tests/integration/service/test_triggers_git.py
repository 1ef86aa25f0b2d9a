"""Source triggers end to end: a real git server on loopback, deliveries in GitHub's and GitLab's formats with
real signatures posted to the running API, real workers cloning the pushed commit.

One stack for the module (API + one worker + git daemon); each test has its own repository and task.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import client, wait_status
from harness import ServiceStack, missing, service_stack
from trigger_support import (
    ZERO,
    GitServer,
    Repo,
    github_push,
    gitlab_push,
    post_github,
    post_gitlab,
    runs_of,
    settle,
)

pytestmark = pytest.mark.integration


def task_file(image: str) -> str:
    return ("version: v1.1.0\nsteps:\n"
            f"  - cmd: {image} echo commit={{{{.Run.Commit}}}} branch={{{{.Run.Branch}}}} id={{{{.Run.ID}}}}\n")


@pytest.fixture(scope="module")
def git_stack(docker_client: Any, registry: str, base_image: str) -> Iterator[tuple[ServiceStack, GitServer]]:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(registry) as stack:
        stack.start_api()
        stack.start_worker("gitw", concurrency=2)
        server = GitServer(stack.folder / "git").start()
        try:
            yield stack, server
        finally:
            server.stop()


def make_task(stack: ServiceStack, repo: Repo, name: str, base_image: str, **fields: Any) -> str:
    with client(stack) as api:
        reply = api.post("/v1/tasks", json={"name": name, "kind": "file", "taskFile": "acb.yaml",
                                            "context": f"{repo.url}#main", **fields})
    assert reply.status_code == 201, reply.text
    # a generated secret is in the create reply, once; a given one is never echoed
    secret: str = reply.json()["webhookSecret"] if "webhookSecret" not in fields else fields["webhookSecret"]
    assert ("webhookSecret" in reply.json()) is ("webhookSecret" not in fields)
    assert reply.json()["triggers"]["sourceTriggers"][0]["status"] == "Enabled"
    return secret


def test_a_push_runs_the_pushed_commit_once_and_replays_or_forgeries_run_nothing(
        git_stack: tuple[ServiceStack, GitServer], base_image: str) -> None:
    stack, server = git_stack
    repo = server.repo(f"app-{uuid.uuid4().hex[:6]}")
    first = repo.commit({"acb.yaml": task_file(base_image)})
    secret = make_task(stack, repo, "push-app", base_image)
    pushed = repo.commit({"Dockerfile": "FROM scratch\n"}, "second")
    assert pushed != first
    delivery = str(uuid.uuid4())
    status, reply = post_github(stack.api_url, github_push(repo, after=pushed, before=first), secret,
                                delivery=delivery)
    assert status == 202 and reply["status"] == "accepted", reply
    [run] = reply["runs"]
    assert run["status"] == "queued" and run["task"] == "push-app"
    with client(stack) as api:
        record = wait_status(api, run["runId"], {"Succeeded", "Failed", "Error"})
        assert record["status"] == "Succeeded", stack.log(run["runId"])
        log = api.get(f"/v1/runs/{run['runId']}/logs").text
    assert f"commit={pushed} branch=main" in log
    assert record["trigger"] == "Git Commit"
    assert record["sourceTrigger"] == {"id": delivery, "eventType": "commit", "commitId": pushed,
                                       "pullRequestId": "", "repositoryUrl": f"https://127.0.0.1/{repo.name}",
                                       "branchName": "main", "providerType": "Github"}
    # the same delivery again (GitHub's redelivery keeps its id): 200, no second run
    status, reply = post_github(stack.api_url, github_push(repo, after=pushed, before=first), secret,
                                delivery=delivery)
    assert (status, reply["status"]) == (200, "duplicate")
    # a wrong signature, an unsigned delivery, another task's secret: 401 without detail, no run
    body = github_push(repo, after=pushed, before=first)
    for signature in ("sha256=" + "0" * 64, ""):
        status, reply = post_github(stack.api_url, body, secret, signature=signature)
        assert status == 401 and reply["error"]["message"] == "the delivery is not authenticated"
    assert post_github(stack.api_url, body, "not-the-secret")[0] == 401
    # a push to another branch and a branch deletion: verified, 200, no run
    other = repo.commit({"README.md": "x\n"}, "feature work", branch="feature")
    status, reply = post_github(stack.api_url, github_push(repo, after=other, branch="feature"), secret)
    assert (status, reply["status"], reply["runs"]) == (200, "ignored", []), reply
    assert reply["skipped"][0]["code"] == "branch"
    status, reply = post_github(stack.api_url, github_push(repo, after=ZERO, before=other, branch="feature",
                                                           deleted=True), secret)
    assert (status, reply["status"]) == (200, "ignored") and "delet" in reply["reason"]
    settle(1.0)
    assert [r.run_id for r in runs_of(stack, "push-app")] == [run["runId"]]


def test_path_filters_and_gitlab_tokens_select_the_tasks_a_push_starts(
        git_stack: tuple[ServiceStack, GitServer], base_image: str) -> None:
    stack, server = git_stack
    repo = server.repo(f"mono-{uuid.uuid4().hex[:6]}")
    repo.commit({"acb.yaml": task_file(base_image), "services/api/main.py": "1\n", "docs/a.md": "a\n"})
    api_secret = make_task(stack, repo, "mono-api", base_image, pathFilters=["services/api/**"])
    docs_secret = make_task(stack, repo, "mono-docs", base_image, pathFilters=["*.md"], webhookSecret="docs-secret-1")
    assert docs_secret == "docs-secret-1"
    pushed = repo.commit({"services/api/main.py": "2\n"})
    body = github_push(repo, after=pushed, modified=("services/api/main.py",))
    status, reply = post_github(stack.api_url, body, api_secret)
    assert status == 202 and [r["task"] for r in reply["runs"]] == ["mono-api"], reply
    # GitLab: the plain token in X-Gitlab-Token must be the task's secret; unknown paths (GitLab sends
    # modified files, here the Dockerfile) match no filter of mono-docs
    status, reply = post_gitlab(stack.api_url, gitlab_push(repo, after=pushed), docs_secret)
    assert (status, reply["status"]) == (200, "ignored") and reply["skipped"][0]["code"] == "paths", reply
    assert post_gitlab(stack.api_url, gitlab_push(repo, after=pushed), "wrong-token")[0] == 401
    with client(stack) as api:
        assert wait_status(api, reply_run(stack, "mono-api"), {"Succeeded"})["trigger"] == "Git Commit"
    assert runs_of(stack, "mono-docs") == []


def reply_run(stack: ServiceStack, task: str) -> str:
    runs = runs_of(stack, task)
    assert len(runs) == 1
    return str(runs[0].run_id)


def test_the_cli_creates_triggers_prints_the_secret_once_and_manages_timers(
        git_stack: tuple[ServiceStack, GitServer], base_image: str) -> None:
    from cli_support import cli

    stack, server = git_stack
    repo = server.repo(f"cli-{uuid.uuid4().hex[:6]}")
    repo.commit({"acb.yaml": task_file(base_image)})
    made = cli(stack, "task", "create", "-n", "cli-task", "-c", f"{repo.url}#main", "-f", "acb.yaml",
               "--commit-trigger-enabled", "true", "--branch", "main", "--path-filter", "src/**",
               "--git-access-token", "tok-never-shown", "--schedule", "nightly:0 3 * * Mon-Fri",
               "--max-concurrent-runs", "2", "--base-image-trigger-type", "All")
    assert made.rc == 0, made.describe()
    secret_line = next(line for line in made.err.splitlines() if line.startswith("Webhook secret"))
    secret = secret_line.rpartition(": ")[2]
    assert len(secret) >= 32 and "BASE_IMAGE, SOURCE, TIMER" in made.out
    assert "tok-never-shown" not in made.out + made.err
    shown = cli(stack, "task", "show", "-n", "cli-task", "-o", "json")
    assert shown.rc == 0 and secret not in shown.out and "tok-never-shown" not in shown.out
    task = __import__("json").loads(shown.out)
    source = task["triggers"]["sourceTriggers"][0]
    assert source["pathFilters"] == ["src/**"] and source["sourceRepository"]["branch"] == "main"
    assert task["maxConcurrentRuns"] == 2 and task["triggers"]["baseImageTrigger"]["baseImageTriggerType"] == "All"
    assert task["secretNames"]["gitAccessToken"] is True and task["secretNames"]["webhookSecret"] is True
    # the secret printed once authenticates pushes
    pushed = repo.commit({"src/main.py": "1\n"})
    status, _ = post_github(stack.api_url, github_push(repo, after=pushed, modified=("src/main.py",)), secret)
    assert status == 202
    # timers: add, update, list with the next occurrence, remove; a bad cron names its field
    assert cli(stack, "task", "timer", "add", "-n", "cli-task", "--timer-name", "hourly", "--schedule",
               "0 * * * *").rc == 0
    assert cli(stack, "task", "timer", "update", "-n", "cli-task", "--timer-name", "hourly",
               "--enabled", "false").rc == 0
    listed = cli(stack, "task", "timer", "list", "-n", "cli-task")
    assert listed.rc == 0 and "nightly" in listed.out and "0 3 * * Mon-Fri" in listed.out, listed.describe()
    assert [("Disabled" in line, line.split()[0]) for line in listed.out.splitlines()[2:]] == [
        (False, "nightly"), (True, "hourly")]
    bad = cli(stack, "task", "timer", "add", "-n", "cli-task", "--timer-name", "bad", "--schedule", "61 * * * *")
    assert bad.rc == 2 and "timers[2].schedule" in bad.err and "minute field" in bad.err, bad.describe()
    assert cli(stack, "task", "timer", "remove", "-n", "cli-task", "--timer-name", "hourly").rc == 0
    rotated = cli(stack, "task", "update", "-n", "cli-task", "--webhook-secret")
    [new_line] = [line for line in rotated.err.splitlines() if line.startswith("Webhook secret")]
    new_secret = new_line.rpartition(": ")[2]
    assert new_secret != secret
    later = repo.commit({"src/main.py": "2\n"})
    assert post_github(stack.api_url, github_push(repo, after=later, modified=("src/main.py",)), secret)[0] == 401
    runs = cli(stack, "task", "list-runs", "-n", "cli-task")
    assert runs.rc == 0 and runs.out.splitlines()[2].split()[4] == "commit", runs.describe()  # az's TRIGGER
    impact = cli(stack, "deps", "impact", "127.0.0.1:5000/nothing/here:1")
    assert impact.rc == 0 and "rebuilds nothing" in impact.out


def generic_push(stack: ServiceStack, repo: Repo, commit: str, secret: str) -> tuple[int, dict[str, Any]]:
    import json

    from trigger_support import post

    from tasks_engine.triggers import sign_github

    raw = json.dumps({"repositoryUrl": repo.url, "branch": "main", "commit": commit}).encode()
    return post(f"{stack.api_url}/v1/webhooks/generic", raw, {"Content-Type": "application/json",
                                                             "X-Hub-Signature-256": sign_github(raw, secret)})


def test_max_concurrent_runs_queues_every_source_and_a_disabled_task_never_starts(
        git_stack: tuple[ServiceStack, GitServer], base_image: str) -> None:
    stack, server = git_stack
    repo = server.repo(f"cap-{uuid.uuid4().hex[:6]}")
    commit = repo.commit({"acb.yaml": f"steps:\n  - cmd: {base_image} sleep 3\n"})
    secret = make_task(stack, repo, "capped-task", base_image, maxConcurrentRuns=1)
    with client(stack) as api:
        first = api.post("/v1/tasks/capped-task/runs").json()["runId"]
        status, reply = generic_push(stack, repo, commit, secret)
        assert status == 202, reply
        second = reply["runs"][0]["runId"]
        third = api.post("/v1/tasks/capped-task/runs").json()["runId"]
        wait_status(api, second, {"Running"}, timeout=60)
        assert api.patch("/v1/tasks/capped-task", json={"status": "Disabled"}).status_code == 200
        a = wait_status(api, first, {"Succeeded"})
        b = wait_status(api, second, {"Succeeded"})
        c = wait_status(api, third, {"Canceled"})
        # one at a time across sources (a manual run and a webhook's), the third never started: disabled
        assert b["startTime"] >= a["finishTime"] and b["trigger"] == "Git Commit"
        assert c["startTime"] is None and c["runErrorMessage"] == "the task was disabled before this run started"
        status, reply = generic_push(stack, repo, repo.commit({"x": "1\n"}), secret)
        assert status == 200 and reply["runs"] == [{"task": "capped-task", "status": "disabled", "runId": None}]
    assert len(runs_of(stack, "capped-task")) == 3
