"""The API process itself: metrics that agree across processes, start-up without Redis, a clean SIGTERM with
a follower attached, and expired uploads swept."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import client, iter_events, wait_status
from harness import ServiceStack, free_port, wait_until
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_two_api_processes_report_the_same_totals(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    second = f"127.0.0.1:{free_port()}"
    stack.start_api(TASKS_ENGINE_API_LISTEN=second)
    wait_until(lambda: _up(second), timeout=30, what="the second API")
    stack.start_worker("w1")
    with client(stack) as api:
        ok = api.post("/v1/runs", json={"kind": "cmd", "cmd": f"{base_image} true"}).json()["runId"]
        bad = api.post("/v1/runs", json={"kind": "cmd", "cmd": f"{base_image} false"}).json()["runId"]
        api.post("/v1/runs", json={"kind": "cmd", "cmd": f"{base_image} true", "agentPool": "idle"})
        for run_id in (ok, bad):
            wait_status(api, run_id, {"Succeeded", "Failed"})
    first, other = scrape(stack.api_url), scrape(f"http://{second}")
    assert first == other
    manual = (("platform", "linux/amd64"), ("trigger", "Manual"))
    assert first[("tasks_engine_runs_finished_total", (*manual[:1], ("status", "Succeeded"), manual[1]))] == 1
    assert first[("tasks_engine_runs_finished_total", (*manual[:1], ("status", "Failed"), manual[1]))] == 1
    assert first[("tasks_engine_run_duration_seconds_count", (("status", "Failed"), ("trigger", "Manual")))] == 1
    assert first[("tasks_engine_run_queue_wait_seconds_count", (("platform", "linux/amd64"),))] == 2
    assert first[("tasks_engine_step_duration_seconds_count", (("status", "successful"),))] == 1
    assert first[("tasks_engine_step_duration_seconds_count", (("status", "failed"),))] == 1
    assert first[("tasks_engine_runs", (("status", "Queued"),))] == 1
    assert first[("tasks_engine_queued_runs", (("queue", "runs.pool.idle"),))] == 1
    assert first[("tasks_engine_queue_length", (("queue", "runs.pool.idle"),))] == 1
    assert first[("tasks_engine_workers_alive", ())] == 1


def _up(listen: str) -> bool:
    try:
        return httpx.get(f"http://{listen}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_api_starts_without_redis_and_stops_cleanly_on_sigterm(stack: ServiceStack) -> None:
    stack.redis.stop()
    process = stack.start_api()  # waits for /healthz: serving needs no Redis
    with client(stack) as api:
        assert api.get("/readyz").status_code == 503
        stack.redis.start()
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout=20, what="readiness")
        run_id = api.post("/v1/runs", json={"kind": "cmd", "cmd": "busybox true", "agentPool": "idle"}).json()["runId"]
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"follow": 1}) as stream:
            events = iter_events(stream)
            assert next(events) == "retry:2000"
            next(events)  # the Queued status: the follower is attached
            asked = time.monotonic()
            process.proc.send_signal(signal.SIGTERM)
            assert process.proc.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
            assert list(events) == [":the server is stopping: reconnect with Last-Event-ID"]
    assert time.monotonic() - asked < 10
    log = process.text()
    assert "Traceback" not in log and "Finished server process" in log


def test_uploads_unused_for_upload_ttl_are_swept(stack_factory: Callable[..., ServiceStack]) -> None:
    stack = stack_factory(uploadTtl="2s")
    stack.start_api()
    with client(stack) as api:
        digest = api.post("/v1/uploads", content=b"\x1f\x8b not really a tarball").json()["digest"]
        blobs = stack.state_root / "blobs"
        assert [p.name for p in blobs.iterdir()] == [digest.replace(":", "-")]
        wait_until(lambda: not list(blobs.iterdir()), timeout=30, interval=0.5, what="the sweeper")
        late = api.post("/v1/runs", json={"kind": "build", "context": f"upload:{digest}", "build": {}})
        assert late.status_code == 422 and late.json()["error"]["fields"][0]["field"] == "context"


def _api_children(process: Any) -> list[int]:
    return [pid for pid in process.children() if "spawn_main" in _cmdline(pid)]  # not the resource tracker


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_api_processes_share_one_port_replace_a_killed_one_and_stop_together(stack: ServiceStack,
                                                                            base_image: str) -> None:
    process = stack.start_api(TASKS_ENGINE_API_PROCESSES="2")
    def two(without: int = 0) -> list[int] | None:
        found = _api_children(process)
        return found if len(found) == 2 and without not in found else None

    children = wait_until(two, timeout=30, what="two API processes")
    with client(stack) as api:
        # Every connection answered, whichever process accepted it: one new connection per request.
        ids = [httpx.post(f"{stack.api_url}/v1/runs", headers=api.headers, timeout=30,
                          json={"kind": "cmd", "cmd": f"{base_image} true", "agentPool": "idle"}).json()["runId"]
               for _ in range(20)]
        assert len(set(ids)) == 20
        os.kill(children[0], signal.SIGKILL)
        # The other process keeps serving while the supervisor starts a replacement.
        assert api.get(f"/v1/runs/{ids[0]}").json()["status"] == "Queued"
        replaced = wait_until(lambda: two(without=children[0]), timeout=30, what="a replacement API process")
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout=30, what="readiness")
        run_id = api.post("/v1/runs", json={"kind": "cmd", "cmd": "busybox true", "agentPool": "idle"}).json()["runId"]
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"follow": 1}) as stream:
            events = iter_events(stream)
            assert next(events) == "retry:2000"
            next(events)
            asked = time.monotonic()
            process.proc.send_signal(signal.SIGTERM)  # to the parent alone, as `docker stop` does
            assert list(events) == [":the server is stopping: reconnect with Last-Event-ID"]
            assert process.proc.wait(20) == -signal.SIGTERM
    assert time.monotonic() - asked < 15
    assert not [pid for pid in replaced if Path(f"/proc/{pid}").exists()]
    log = process.text()
    assert "Traceback" not in log and f"API process {children[0]} ended (exit -9)" in log
