"""The reaper's decisions and the log sink's batching, on the store's real scripts (fakeredis).

Real processes (kill -9, Redis restarts) are in tests/integration/service/test_worker_crashes.py; here the
pure logic: which run is re-published, which is re-queued or failed, and that the sink writes every line in
order, in whole-line chunks, and stops writing once fenced out.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from store_support import new_run

from tasks_engine.config import ServiceSettings
from tasks_engine.runtime.events import LogLine, StepStarted
from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.logsink import StoreSink
from tasks_engine.service.reaper import reap_once
from tasks_engine.store import RedisStore, task_id_for


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def dispatch(self, run_id: str, queue: str) -> None:
        self.sent.append((run_id, queue))


def _settings(**kw: object) -> ServiceSettings:
    base: dict[str, object] = {"requeue_after": 0.05, "lease_renew": 0.01, "lease_ttl": 0.05, "reaper_interval": 1.0}
    base.update(kw)
    return ServiceSettings(**base)  # type: ignore[arg-type]


def _kombu_message(run_id: str) -> str:
    return json.dumps({"body": "", "headers": {"id": task_id_for(run_id, "x"), "task": "tasks_engine.run"},
                       "properties": {"delivery_tag": "tag-1"}})


def test_a_queued_run_without_a_message_is_published_again(store: RedisStore) -> None:
    lost = new_run(store)
    waiting = new_run(store)
    store.client.lpush("runs", _kombu_message(waiting))
    time.sleep(0.1)
    sent = Recorder()
    report = reap_once(store, sent, _settings(), owner="a")
    assert report.republished == [lost]
    assert sent.sent == [(lost, "runs")]
    assert reap_once(store, sent, _settings(), owner="a").republished == []  # just dispatched: not again yet


def test_a_message_reserved_by_a_live_worker_is_left_alone(store: RedisStore) -> None:
    run_id = new_run(store)
    store.client.hset("unacked", "tag-1", json.dumps([json.loads(_kombu_message(run_id)), "runs", "runs"]))
    store.client.zadd("unacked_index", {"tag-1": time.time() + 60})
    time.sleep(0.1)
    assert reap_once(store, Recorder(), _settings(), owner="a").republished == []


def test_an_expired_lease_is_requeued_and_published(store: RedisStore) -> None:
    run_id = new_run(store)
    assert store.claim(run_id, worker="w", lease_ttl=0.02)
    time.sleep(0.1)
    sent = Recorder()
    report = reap_once(store, sent, _settings(), owner="a")
    assert report.requeued == [run_id] and sent.sent == [(run_id, "runs")]
    assert store.get_run(run_id).status is RunStatus.QUEUED  # type: ignore[union-attr]


def test_one_reaper_per_tick(store: RedisStore) -> None:
    new_run(store)
    time.sleep(0.1)
    first = reap_once(store, Recorder(), _settings(), owner="a")
    second = reap_once(store, Recorder(), _settings(), owner="b")
    assert first.republished and not second.republished


def _now() -> datetime:
    return datetime.now(UTC)


def test_the_sink_writes_every_line_in_order_as_the_console_prints_it(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w", lease_ttl=60)
    assert claim is not None
    sink = StoreSink(store, claim, interval=0.01, batch_bytes=64)
    sink.emit(StepStarted(time=_now(), step_id="build"))
    for i in range(500):
        sink.emit(LogLine(time=_now(), text=f"output {i}", step_id="build"))
    sink.emit(LogLine(time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), text="engine line"))
    sink.emit(LogLine(time=_now(), text="Run ID: x was successful after 1s", plain=True))
    sink.close()
    text = store.read_log(run_id).data.decode()
    assert text.splitlines()[:500] == [f"output {i}" for i in range(500)]
    assert "2026/01/02 03:04:05 engine line\n" in text
    assert text.endswith("\nRun ID: x was successful after 1s\n")
    record = store.get_run(run_id)
    assert record is not None and record.steps[0]["status"] == "inprogress"
    assert store.run_field(run_id, "stepsStarted") == "1"


def test_a_fenced_sink_stops_writing(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w", lease_ttl=0.02)
    assert claim is not None
    time.sleep(0.05)
    store.expire_lease(run_id, grace=0, redeliver_started=True)
    sink = StoreSink(store, claim, interval=0.01)
    sink.emit(LogLine(time=_now(), text="late line", step_id="s"))
    sink.flush()
    sink.close()
    assert sink.fenced
    assert b"late line" not in store.read_log(run_id).data
