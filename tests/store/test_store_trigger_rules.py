"""The store's exactly-once and per-task rules for triggered runs, in the real Lua scripts (fakeredis/lupa):
unique keys, the cascade outbox, a disabled task at claim time, --max-concurrent-runs, the cascade's CAS."""

from __future__ import annotations

from store_support import new_run

from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import NewRun, RedisStore, RunRequest, RunType, TaskRecord, TaskSecrets, UniqueKey


def _new(task: str = "", **kwargs: object) -> NewRun:
    return NewRun(id_prefix="ca", queue="runs", run_type=RunType.AUTO_RUN, task=task,
                  request=RunRequest(kind="cmd", cmd="busybox true"), **kwargs)  # type: ignore[arg-type]


def test_a_once_key_creates_one_run_ever(store: RedisStore) -> None:
    key = UniqueKey("timer|t1/nightly/2026-01-01T00:00:00Z", "once")
    first, second = store.create_runs([_new(unique=key), _new(unique=key)])
    assert first.record is not None and second.record is None and second.existing == first.record.run_id
    claim = store.claim(first.record.run_id, worker="w", lease_ttl=30)
    assert claim is not None and store.finish(claim, RunStatus.SUCCEEDED)
    again = store.create_runs([_new(unique=key)])[0]
    assert again.record is None and again.existing == first.record.run_id


def test_an_active_key_allows_a_new_run_once_the_first_finished(store: RedisStore) -> None:
    key = UniqueKey("hook|task|repo|refs/heads/main|abc", "active")
    first = store.create_runs([_new(unique=key)])[0].record
    assert first is not None
    assert store.create_runs([_new(unique=key)])[0].existing == first.run_id
    claim = store.claim(first.run_id, worker="w", lease_ttl=30)
    assert claim is not None and store.finish(claim, RunStatus.FAILED)
    later = store.create_runs([_new(unique=key)])[0].record
    assert later is not None and later.run_id != first.run_id


def test_an_outbox_entry_is_consumed_by_exactly_one_create(store: RedisStore) -> None:
    store.client.hset(store.keys.cascade("outbox"), "app:e1:img@d", "{}")
    made = store.create_runs([_new(outbox="app:e1:img@d"), _new(outbox="app:e1:img@d")])
    assert made[0].record is not None and made[1].record is None and made[1].existing == ""
    assert store.cascade_outbox() == {}
    assert store.create_runs([_new(outbox="never-decided")])[0].record is None


def _task(store: RedisStore, name: str, *, status: str = "Enabled", cap: int | None = None) -> None:
    record = TaskRecord(name=name, status=status, max_concurrent_runs=cap)
    if not store.create_task(record, TaskSecrets()):
        store.save_task(record)


def test_a_run_of_a_task_disabled_after_it_was_queued_never_starts(store: RedisStore) -> None:
    _task(store, "tasky")
    run_id = new_run(store, task="tasky")
    _task(store, "tasky", status="Disabled")
    assert store.claim(run_id, worker="w", lease_ttl=30) is None
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.CANCELED
    assert record.run_error_message == "the task was disabled before this run started"
    assert b"disabled" in store.read_log(run_id).data


def test_max_concurrent_runs_parks_the_rest_and_a_finished_run_wakes_the_oldest(store: RedisStore) -> None:
    _task(store, "capped", cap=1)
    first, second, third = (new_run(store, task="capped") for _ in range(3))
    claim = store.claim(first, worker="w", lease_ttl=30)
    assert claim is not None
    assert store.claim(second, worker="w", lease_ttl=30) is None  # at the cap: parked
    assert store.claim(third, worker="w", lease_ttl=30) is None
    assert store.run_field(second, "waiting") == "1" and store.get_run(second).status is RunStatus.QUEUED  # type: ignore[union-attr]
    assert store.take_woken() == []
    assert store.finish(claim, RunStatus.SUCCEEDED)
    assert store.take_woken() == [second]  # only one slot freed: the oldest waits no more
    assert store.run_field(second, "waiting") == ""
    nxt = store.claim(second, worker="w", lease_ttl=30)
    assert nxt is not None
    assert store.claim(third, worker="w", lease_ttl=30) is None
    assert store.request_cancel(third) == "Canceled"  # a parked run can be canceled like any queued one
    assert store.finish(nxt, RunStatus.SUCCEEDED)
    assert store.take_woken() == []
    assert store.client.zcard(store.keys.waiting("capped")) == 0
    assert store.client.scard(store.keys.active("capped")) == 0


def test_a_run_requeued_by_the_reaper_gives_its_slot_back(store: RedisStore) -> None:
    _task(store, "capped2", cap=1)
    first, second = new_run(store, task="capped2"), new_run(store, task="capped2")
    assert store.claim(first, worker="w", lease_ttl=0.001) is not None
    assert store.claim(second, worker="w", lease_ttl=30) is None
    import time

    time.sleep(0.01)
    assert store.expire_lease(first, grace=0, redeliver_started=True) == "requeued"
    assert store.take_woken() == [second]
    assert store.claim(second, worker="w", lease_ttl=30) is not None
    assert store.claim(first, worker="w", lease_ttl=30) is None  # the requeued one waits for a slot now


def test_cascade_commit_is_a_compare_and_set_on_the_version(store: RedisStore) -> None:
    version, parts = store.cascade_state()
    assert version == 0 and parts["pending"] == {}
    v1 = store.cascade_commit(0, sets=[("pending", "app", '{"x":1}')], deletes=[], outbox=[("app:e:i@d", "{}")])
    assert v1 == 1
    assert store.cascade_commit(0, sets=[("pending", "app", '{"x":2}')], deletes=[]) == 0  # stale: refused
    assert store.cascade_commit(1, sets=[("seen", "k", "t")], deletes=[("pending", "app")]) == 2
    version, parts = store.cascade_state()
    assert version == 2 and parts["pending"] == {} and parts["seen"] == {"k": "t"}
    assert store.cascade_outbox() == {"app:e:i@d": "{}"}
    assert store.cascade_fields({"seen": ["k", "nope"]}) == (2, {"seen": {"k": "t"}})


def test_a_delivery_id_is_remembered_once(store: RedisStore) -> None:
    assert not store.delivery_seen("github", "d-1")
    assert store.record_delivery("github", "d-1") is True
    assert store.record_delivery("github", "d-1") is False
    assert store.delivery_seen("github", "d-1") and not store.delivery_seen("gitlab", "d-1")
    ttl = store.client.pttl(store.keys.hook("github", "d-1"))
    assert ttl > 30 * 86400 * 1000
