"""Following a log over SSE: a dropped stream resumes by Last-Event-ID with exactly the missing bytes; the
follower's own loop (pings, status events, eof) on the stack's real Redis."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from api_support import b64, client, full_log, iter_events
from harness import ServiceStack

from tasks_engine.api import FollowTiming, sse
from tasks_engine.api.follow import LogFollower
from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import RunRequest, RunType, connect_async

pytestmark = pytest.mark.integration


def log_events(items: list[Any]) -> list[sse.Event]:
    return [e for e in items if isinstance(e, sse.Event) and e.name == "log"]


def test_a_dropped_follow_resumes_with_exactly_the_missing_bytes(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    stack.start_worker("w1")
    # Lines that arrive over a few seconds, with bytes that must survive as they are: a bare CR, UTF-8, tabs.
    script = "for i in 1 2 3 4 5 6 7 8; do printf 'line %s\\t\\xe2\\x9c\\x93 ok\\ra\\n' $i; sleep 0.4; done"
    task = f"version: v1.1.0\nsteps:\n  - cmd: {base_image} sh -c \"{script}\"\n"
    with client(stack) as api:
        run_id = api.post("/v1/runs", json={"kind": "encoded", "encodedTask": b64(task)}).json()["runId"]
        first: list[Any] = []
        with api.stream("GET", f"/v1/runs/{run_id}/logs", headers={"Accept": "text/event-stream"}) as stream:
            for item in iter_events(stream):
                first.append(item)
                if any(b"line 2" in sse.log_bytes(e.data) for e in log_events(first)):
                    break  # drop the connection mid-run
        assert not any(isinstance(e, sse.Event) and e.name == "eof" for e in first)
        got = b"".join(sse.log_bytes(e.data) for e in log_events(first))
        last_id = log_events(first)[-1].event_id
        assert last_id == str(len(got))
        with api.stream("GET", f"/v1/runs/{run_id}/logs", headers={"Accept": "text/event-stream",
                                                                    "Last-Event-ID": last_id}) as stream:
            second = list(iter_events(stream))
        rest = b"".join(sse.log_bytes(e.data) for e in log_events(second))
        eof = second[-1]
        assert isinstance(eof, sse.Event) and eof.name == "eof"
        assert json.loads(eof.data)["status"] == "Succeeded"
        stored = full_log(api, run_id)
        assert got + rest == stored
        assert stored.count("\t✓ ok\ra\n".encode()) == 8
        # A resume from inside a chunk (a client that counted bytes itself) gets exactly the tail too.
        middle = len(got) - 7
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"offset": middle, "follow": 1}) as stream:
            tail = b"".join(sse.log_bytes(e.data) for e in log_events(list(iter_events(stream))))
        assert tail == stored[middle:]
        # The larger of ?offset and Last-Event-ID wins; past the end is 416; a bad Last-Event-ID is 422.
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"follow": 1, "offset": 3},
                        headers={"Last-Event-ID": str(len(stored))}) as stream:
            assert log_events(list(iter_events(stream))) == []
        past = api.get(f"/v1/runs/{run_id}/logs", params={"follow": 1}, headers={"Last-Event-ID": str(len(stored) + 1)})
        assert past.status_code == 416 and past.headers["X-Log-Size"] == str(len(stored))
        bad = api.get(f"/v1/runs/{run_id}/logs", params={"follow": 1}, headers={"Last-Event-ID": "abc"})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "Last-Event-ID"
        assert api.get("/v1/runs/nosuch/logs", params={"follow": 1}).status_code == 404


def _queued_run(store: Any) -> str:
    return str(store.create_run(id_prefix="t", queue="runs", run_type=RunType.QUICK_RUN,
                                request=RunRequest(kind="cmd", cmd="busybox true")).run_id)


def _follow(stack: ServiceStack, run_id: str, timing: FollowTiming,
            on_chunk: Callable[[bytes], Awaitable[None]]) -> None:
    """Runs the follower's loop on the stack's Redis to its end (20 s at most), each chunk to ``on_chunk``."""
    store, run_service = stack.store(), stack.run_service()

    async def follow() -> None:
        redis = connect_async(stack.redis.url)
        follower = LogFollower(store, run_service, redis, run_id, 0, timing)
        try:
            with anyio.fail_after(20):
                async for chunk in follower.events():
                    await on_chunk(chunk)
        finally:
            await redis.aclose()

    anyio.run(follow)


def test_the_follower_pings_reports_status_changes_and_ends_with_eof(stack: ServiceStack) -> None:
    """The follower's loop on the stack's Redis, with short timings: a queued run (no worker) is followed
    through pings and a status event to its cancel, then ``eof``."""
    store = stack.store()
    run_id = _queued_run(store)
    seen: list[bytes] = []

    async def on_chunk(chunk: bytes) -> None:
        seen.append(chunk)
        if chunk == sse.comment("ping") and seen.count(chunk) == 2:
            await anyio.to_thread.run_sync(store.request_cancel, run_id)

    _follow(stack, run_id, FollowTiming(ping=0.3, poll=0.1), on_chunk)
    items = list(sse.parse(b"".join(seen).decode()))
    events = [e for e in items if isinstance(e, sse.Event)]
    queued = json.loads(events[0].data)
    assert events[0].name == "status" and queued["status"] == "Queued"
    assert queued["queueInfo"]["queue"] == "runs" and queued["queueInfo"]["workersListening"] == 0
    assert items.count(":ping") >= 2
    # The cancel wrote its log line and the final status in one script; the status is reported first.
    assert [e.name for e in events[1:]] == ["status", "log", "eof"]
    assert json.loads(events[1].data) == {"status": "Canceled"}
    assert b"canceled before an agent started it" in sse.log_bytes(events[2].data)
    assert json.loads(events[3].data)["status"] == "Canceled"
    assert json.loads(events[3].data)["logBytes"] == store.log_size(run_id)


def test_a_start_and_an_end_that_write_no_log_wake_the_follower_at_once(stack: ServiceStack) -> None:
    """Every status transition also writes the run's status stream, which the follower's XREAD watches beside
    the log: with a 60 s poll, a claim and a finish (neither writes a log byte) still reach it within seconds."""
    store = stack.store()
    run_id = _queued_run(store)
    names: list[str] = []
    claims: list[Any] = []

    async def on_chunk(chunk: bytes) -> None:
        for event in sse.parse(chunk.decode()):
            if not isinstance(event, sse.Event):
                continue
            names.append(f"{event.name}:{json.loads(event.data).get('status')}")
            if names == ["status:Queued"]:
                claims.append(await anyio.to_thread.run_sync(
                    lambda: store.claim(run_id, worker="w@test", lease_ttl=60)))
            elif names[-1] == "status:Started":
                await anyio.to_thread.run_sync(store.finish, claims[0], RunStatus.SUCCEEDED)

    _follow(stack, run_id, FollowTiming(ping=60, poll=60), on_chunk)
    assert names == ["status:Queued", "status:Started", "status:Succeeded", "eof:Succeeded"]
