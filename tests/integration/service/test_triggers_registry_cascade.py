"""Base-image triggers and cascades through the registry's own notifications: a private ``docker-registry`` whose
``notifications`` endpoint is this stack's API, real builds that push to it, beat releasing debounced runs.

One stack for the module: API, a worker (2 slots), beat, the git server the build contexts come from, and the
notifying registry. Images live in that registry only, so no other test's push can reach this stack.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_support import client, wait_status
from harness import ServiceStack, missing, service_stack, wait_until
from trigger_support import (
    GitServer,
    NotifyingRegistry,
    new_image,
    push_base,
    runs_of,
    settle,
    start_beat,
    wait_runs,
)

pytestmark = pytest.mark.integration
TOKEN = "registry-" + uuid.uuid4().hex


@dataclass
class Cascade:
    stack: ServiceStack
    git: GitServer
    registry: NotifyingRegistry

    def build_task(self, name: str, dockerfile: str, tag: str) -> None:
        repo = self.git.repo(f"{name}-{uuid.uuid4().hex[:6]}")
        repo.commit({"Dockerfile": dockerfile})
        with client(self.stack) as api:
            reply = api.post("/v1/tasks", json={
                "name": name, "kind": "build", "context": f"{repo.url}#main", "commitTriggerEnabled": False,
                "build": {"tags": [f"{self.registry.host}/{tag}"], "dockerfile": "Dockerfile"}})
        assert reply.status_code == 201, reply.text

    def run(self, name: str) -> dict[str, Any]:
        with client(self.stack) as api:
            reply = api.post(f"/v1/tasks/{name}/runs")
            assert reply.status_code == 201, reply.text
            record = wait_status(api, reply.json()["runId"], {"Succeeded", "Failed", "Error"})
        assert record["status"] == "Succeeded", self.stack.log(record["runId"])
        return record

    def finished(self, run_id: str) -> dict[str, Any]:
        with client(self.stack) as api:
            record = wait_status(api, run_id, {"Succeeded", "Failed", "Error", "Canceled"})
        assert record["status"] == "Succeeded", self.stack.log(run_id)
        return record


@pytest.fixture(scope="module")
def cascade(docker_client: Any, registry: str, base_image: str) -> Iterator[Cascade]:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(registry, settings={"registryWebhookToken": TOKEN, "cascadeDebounce": "2s"}) as stack:
        stack.start_api()
        stack.start_worker("casw", concurrency=2)
        start_beat(stack, "beat1")
        server = GitServer(stack.folder / "git").start()
        notifying = NotifyingRegistry(stack.folder / "registry", stack.api_url, TOKEN).start()
        try:
            yield Cascade(stack, server, notifying)
        finally:
            notifying.stop()
            server.stop()


def image_runs(stack: ServiceStack, task: str) -> list[Any]:
    return [r for r in runs_of(stack, task) if r.trigger.value == "Image Update"]


def test_a_base_update_rebuilds_base_then_app_in_order_and_an_identical_push_nothing(
        cascade: Cascade, docker_client: Any, base_image: str) -> None:
    host = cascade.registry.host
    push_base(docker_client, base_image, f"{host}/base:1")
    cascade.build_task("cas-mid", f"FROM {host}/base:1\nRUN echo mid > /mid\n", "mid:1")
    cascade.build_task("cas-app", f"FROM {host}/mid:1\nRUN echo app > /app\n", "app:1")
    cascade.run("cas-mid")
    cascade.run("cas-app")
    settle(1.5)  # the registry's notifications of those pushes: the runs' own, so they queue nothing
    assert image_runs(cascade.stack, "cas-mid") == image_runs(cascade.stack, "cas-app") == []
    with client(cascade.stack) as api:
        plan = api.get("/v1/deps/impact", params={"image": f"{host}/base:1"}).json()
    assert [[t["task"] for t in g["tasks"]] for g in plan["generations"]] == [["cas-mid"], ["cas-app"]]

    digest = push_base(docker_client, base_image, f"{host}/base:1", layer="v2")
    [mid] = wait_runs(cascade.stack, "cas-mid", 2)[:1]
    assert mid.trigger.value == "Image Update"
    mid_record = cascade.finished(mid.run_id)
    trigger = mid_record["imageUpdateTrigger"]
    assert trigger["images"][0] == {"registry": host, "repository": "base", "tag": "1", "digest": digest}
    assert trigger["causation"]["generation"] == 1 and trigger["causation"]["rootEventId"].startswith("registry:")
    [app] = wait_runs(cascade.stack, "cas-app", 2)[:1]
    app_record = cascade.finished(app.run_id)
    causation = app_record["imageUpdateTrigger"]["causation"]
    assert causation["generation"] == 2 and causation["path"] == ["cas-mid"]
    assert causation["rootEventId"] == trigger["causation"]["rootEventId"]
    assert app_record["startTime"] >= mid_record["finishTime"]  # in order: app after mid
    with client(cascade.stack) as api:
        shown = api.get("/v1/tasks/cas-app").json()
    [base] = shown["baseImages"]
    assert base["image"] == f"{host}/mid:1" and base["digest"] == mid_record["outputImages"][0]["digest"]
    assert base["lastSeen"] and base["kind"] == "runtime"

    pushes = registry_pushes(cascade.stack)
    assert push_base(docker_client, f"{host}/base:1", f"{host}/base:1") == digest  # the same manifest again
    wait_until(lambda: registry_pushes(cascade.stack) > pushes, timeout=10, what="the registry's notification")
    settle(4.0)  # beyond the 2 s debounce and a beat tick
    assert len(image_runs(cascade.stack, "cas-mid")) == 1 and len(image_runs(cascade.stack, "cas-app")) == 1


def test_an_image_update_run_pulls_the_update_where_the_host_has_an_old_copy(cascade: Cascade, docker_client: Any,
                                                                             base_image: str) -> None:
    """The base was pushed from another machine: this worker's host still has the old image under the tag, and
    the classic builder would build on it. The run pulls the updated base first."""
    host = cascade.registry.host
    push_base(docker_client, base_image, f"{host}/base:far", layer="far-v1")
    old_copy = docker_client.images.get(f"{host}/base:far").id
    cascade.build_task("cas-far", f"FROM {host}/base:far\nRUN echo built on $(cat /layer)\n", "far:1")
    assert "built on far-v1" in cascade.stack.log(cascade.run("cas-far")["runId"])
    settle(1.5)
    digest = push_base(docker_client, base_image, f"{host}/base:far", layer="far-v2")
    docker_client.images.get(old_copy).tag(f"{host}/base", "far")  # the push came from elsewhere
    [update] = wait_runs(cascade.stack, "cas-far", 2)[:1]
    record = cascade.finished(update.run_id)
    assert record["imageUpdateTrigger"]["images"][0]["digest"] == digest
    log = cascade.stack.log(update.run_id)
    assert f"Pulling the updated base image {host}/base:far (image update trigger)" in log
    assert "built on far-v2" in log


def registry_pushes(stack: ServiceStack) -> float:
    return stack.store().counters("registry_events").get(("registry", "push"), 0.0)


def test_updates_within_the_debounce_window_coalesce_into_one_run(cascade: Cascade, docker_client: Any,
                                                                   base_image: str) -> None:
    host = cascade.registry.host
    push_base(docker_client, base_image, f"{host}/cbase:1")
    cascade.build_task("coal-one", f"FROM {host}/cbase:1\nRUN echo one > /one\n", "coal:1")
    cascade.run("coal-one")
    for layer in ("v2", "v3"):  # made first, so that both pushes land well within the 2 s window
        new_image(docker_client, base_image, f"{host}/cbase:{layer}", layer)
    pushes = registry_pushes(cascade.stack)
    push_base(docker_client, f"{host}/cbase:v2", f"{host}/cbase:1")
    newest = push_base(docker_client, f"{host}/cbase:v3", f"{host}/cbase:1")
    wait_until(lambda: registry_pushes(cascade.stack) >= pushes + 2, timeout=10, what="both notifications")
    [run] = wait_runs(cascade.stack, "coal-one", 2)[:1]
    record = cascade.finished(run.run_id)
    assert record["imageUpdateTrigger"]["images"][0]["digest"] == newest
    assert len(record["imageUpdateTrigger"]["causation"]["coalesced"]) == 1
    settle(3.0)
    assert len(image_runs(cascade.stack, "coal-one")) == 1


def test_a_two_task_cycle_runs_each_member_once_and_is_reported(cascade: Cascade, docker_client: Any,
                                                                 base_image: str) -> None:
    host = cascade.registry.host
    push_base(docker_client, base_image, f"{host}/cb:1")
    cascade.build_task("cyc-a", f"FROM {host}/cb:1\nRUN echo a >> /trail\n", "ca:1")
    cascade.build_task("cyc-b", f"FROM {host}/ca:1\nRUN echo b >> /trail\n", "cb:1")
    cascade.run("cyc-a")
    cascade.run("cyc-b")  # pushes cb:1, cyc-a's base: the loop starts here
    for task in ("cyc-a", "cyc-b"):
        cascade.finished(wait_runs(cascade.stack, task, 2, timeout=90)[0].run_id)

    def events() -> list[dict[str, Any]]:
        with client(cascade.stack) as api:
            found: list[dict[str, Any]] = api.get("/v1/triggers/events").json()["events"]
        return found

    def stopped() -> Any:
        return [e for e in events() if e["kind"] == "suppressed" and e["reason"] == "cycle" and e["task"] == "cyc-a"]

    [event] = wait_until(stopped, timeout=30, what="the cycle to be stopped and reported")
    assert "cyc-a → cyc-b → cyc-a" in event["detail"]
    # reported already when cyc-b's first build closed the cycle in the index, before any update walked it
    assert any(e["kind"] == "cycle" and e["task"] == "cyc-b" for e in events())
    settle(4.0)
    assert len(image_runs(cascade.stack, "cyc-a")) == 1 and len(image_runs(cascade.stack, "cyc-b")) == 1
    assert cascade.stack.store().counters("triggers_suppressed").get(("cycle",), 0) >= 1
    with client(cascade.stack) as api:
        plan = api.get("/v1/deps/impact", params={"image": f"{host}/cb:1"}).json()
    assert plan["cycles"] and set(plan["cycles"][0]["tasks"]) == {"cyc-a", "cyc-b"}


def test_a_notification_refused_while_redis_is_down_is_redelivered_and_queues_one_run(
        cascade: Cascade, docker_client: Any, base_image: str) -> None:
    host = cascade.registry.host
    push_base(docker_client, base_image, f"{host}/rbase:1")
    cascade.build_task("fault-task", f"FROM {host}/rbase:1\nRUN echo f > /f\n", "fault:1")
    cascade.run("fault-task")
    cascade.stack.redis.stop()
    try:
        digest = push_base(docker_client, base_image, f"{host}/rbase:1", layer="while-redis-was-down")
        refused = cascade.registry.log.read_text(errors="replace").count("503 Service Unavailable")
        wait_until(lambda: cascade.registry.log.read_text(errors="replace").count("503 Service Unavailable")
                   > refused, timeout=15, what="the API to refuse the registry's delivery")
    finally:
        cascade.stack.redis.start()
    [run] = wait_runs(cascade.stack, "fault-task", 2, timeout=60)[:1]
    record = cascade.finished(run.run_id)
    assert record["imageUpdateTrigger"]["images"][0]["digest"] == digest
    settle(3.0)
    assert len(image_runs(cascade.stack, "fault-task")) == 1
