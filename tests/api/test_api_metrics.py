"""/metrics: the exposition is read from the store's counters (fakeredis runs the store's real Lua scripts)."""

from __future__ import annotations

import fakeredis
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tasks_engine.api.metrics import exposition
from tasks_engine.config import ServiceSettings
from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import Keys, Platform, RedisStore, RunRequest, RunType, Trigger, WorkerInfo


@pytest.fixture
def store() -> RedisStore:
    store = RedisStore(fakeredis.FakeRedis(), keys=Keys("m"), box=None)
    store.broker_prefix = "m:celery:"
    return store


def samples(store: RedisStore) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = exposition(store, ServiceSettings(key_prefix="m")).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def new_run(store: RedisStore, *, queue: str = "runs", trigger: Trigger = Trigger.MANUAL,
            platform: str = "linux/amd64") -> str:
    record = store.create_run(id_prefix="ca", queue=queue, run_type=RunType.QUICK_RUN, trigger=trigger,
                              platform=Platform.parse(platform), request=RunRequest(kind="cmd", cmd="busybox true"))
    return record.run_id


def test_an_empty_store_reports_zeros_for_the_gauges(store: RedisStore) -> None:
    got = samples(store)
    assert got[("tasks_engine_runs", (("status", "Queued"),))] == 0
    assert got[("tasks_engine_queue_length", (("queue", "runs"),))] == 0
    assert got[("tasks_engine_queued_runs", (("queue", "runs"),))] == 0
    assert got[("tasks_engine_workers_alive", ())] == 0


def test_gauges_count_runs_by_status_queues_and_live_workers(store: RedisStore) -> None:
    new_run(store)
    new_run(store, queue="runs.pool.gpu")
    started = new_run(store)
    assert store.claim(started, worker="w/1", lease_ttl=60) is not None
    store.client.lpush("m:celery:runs", b"{}", b"{}")
    store.client.lpush("m:celery:runs\x06\x163", b"{}")
    store.heartbeat(WorkerInfo(worker_id="w/1", hostname="h", pid=1, queues=("runs", "runs.arm"), concurrency=2),
                    ttl=30)
    got = samples(store)
    assert got[("tasks_engine_runs", (("status", "Queued"),))] == 2
    assert got[("tasks_engine_runs", (("status", "Started"),))] == 1
    assert got[("tasks_engine_queue_length", (("queue", "runs"),))] == 3
    assert got[("tasks_engine_queued_runs", (("queue", "runs"),))] == 1
    assert got[("tasks_engine_queued_runs", (("queue", "runs.pool.gpu"),))] == 1
    assert got[("tasks_engine_queued_runs", (("queue", "runs.arm"),))] == 0  # a worker listens on it
    assert got[("tasks_engine_workers_alive", ())] == 1


def test_finished_runs_durations_and_waits_come_from_the_store_counters(store: RedisStore) -> None:
    for status in (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.FAILED):
        run_id = new_run(store, trigger=Trigger.TIMER)
        claim = store.claim(run_id, worker="w/1", lease_ttl=60)
        assert claim is not None and store.finish(claim, status)
    store.request_cancel(new_run(store, platform="linux/arm64"))
    store.observe_step("Succeeded", 7.5)
    store.count("lease_expired", ("linux/amd64",))
    got = samples(store)
    labels = (("platform", "linux/amd64"), ("status", "Succeeded"), ("trigger", "Timer"))
    assert got[("tasks_engine_runs_finished_total", labels)] == 2
    assert got[("tasks_engine_runs_finished_total", (("platform", "linux/arm64"), ("status", "Canceled"),
                                                     ("trigger", "Manual")))] == 1
    assert got[("tasks_engine_run_duration_seconds_count", (("status", "Succeeded"), ("trigger", "Timer")))] == 2
    assert got[("tasks_engine_run_duration_seconds_bucket", (("le", "5.0"), ("status", "Succeeded"),
                                                             ("trigger", "Timer")))] == 2
    assert got[("tasks_engine_run_queue_wait_seconds_count", (("platform", "linux/amd64"),))] == 3
    assert got[("tasks_engine_step_duration_seconds_bucket", (("le", "5.0"), ("status", "Succeeded")))] == 0
    assert got[("tasks_engine_step_duration_seconds_bucket", (("le", "10.0"), ("status", "Succeeded")))] == 1
    assert got[("tasks_engine_step_duration_seconds_sum", (("status", "Succeeded"),))] == 7.5
    assert got[("tasks_engine_lease_expired_total", (("platform", "linux/amd64"),))] == 1
    assert not any("run_id" in dict(labels) or "runId" in dict(labels) for _, labels in got)


def test_trigger_counters_are_exported_with_their_labels(store: RedisStore) -> None:
    store.count("webhook_deliveries", ("github", "push", "accepted"))
    store.count("webhook_deliveries", ("github", "push", "unauthorized"), 2)
    store.count("registry_events", ("registry", "push"), 3)
    store.count("base_image_checks", ("registry-1.docker.io", "rate_limited"))
    store.count("triggers_suppressed", ("cycle",))
    got = samples(store)
    assert got[("tasks_engine_webhook_deliveries_total",
                (("event", "push"), ("provider", "github"), ("result", "unauthorized")))] == 2
    assert got[("tasks_engine_registry_events_total", (("result", "push"), ("source", "registry")))] == 3
    assert got[("tasks_engine_base_image_checks_total",
                (("registry", "registry-1.docker.io"), ("result", "rate_limited")))] == 1
    assert got[("tasks_engine_triggers_suppressed_total", (("reason", "cycle"),))] == 1
