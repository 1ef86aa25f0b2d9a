"""Run records and their transitions: the state machine every worker and the reaper rely on."""

from __future__ import annotations

import time

import pytest
from store_support import new_run

from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import Credential, LeaseState, NewRun, RedisStore, RunRequest, RunSecrets, RunType, Trigger


def test_run_ids_are_the_prefix_and_a_base36_counter(store: RedisStore) -> None:
    ids = [new_run(store) for _ in range(37)]
    assert ids[:3] == ["ca1", "ca2", "ca3"]
    assert ids[9:11] == ["caa", "cab"]
    assert ids[35:] == ["ca10", "ca11"]
    assert len(set(ids)) == 37



def test_runs_are_created_after_redis_forgot_the_scripts(store: RedisStore) -> None:
    """A restarted Redis has no scripts: a single create (no pipeline) and a batch both load them again."""
    first = new_run(store)
    store.client.script_flush()
    second = new_run(store)
    store.client.script_flush()
    made = store.create_runs([NewRun(id_prefix="ca", queue="runs", run_type=RunType.QUICK_RUN,
                                     request=RunRequest(kind="cmd", cmd="busybox true"))] * 2)
    assert [first, second, *(m.run_id for m in made)] == ["ca1", "ca2", "ca3", "ca4"]
    assert all(store.get_run(run_id) is not None for run_id in ("ca1", "ca2", "ca3", "ca4"))


def test_a_new_run_is_queued_and_pending_in_its_queue(store: RedisStore) -> None:
    run_id = new_run(store, queue="runs.pool.gpu")
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.QUEUED
    assert record.queue == "runs.pool.gpu" and record.attempt == 0
    assert store.queue_position("runs.pool.gpu", run_id) == (0, 1)
    assert store.pending_queues() == {"runs.pool.gpu": 1}


def test_secrets_are_stored_encrypted_and_read_back(store: RedisStore) -> None:
    secrets = RunSecrets(set_secrets=("pw=hunter22",), credentials=(Credential(registry="r", username="u",
                                                                               password="s3cret"),))
    run_id = new_run(store, secrets=secrets)
    raw = b"".join(v for v in store.client.hgetall(store.keys.run(run_id)).values())
    assert b"hunter22" not in raw and b"s3cret" not in raw
    back = store.run_secrets(run_id)
    assert back.set_secrets == ("pw=hunter22",)
    assert back.credentials[0].password == "s3cret"


def test_claim_is_a_compare_and_set(store: RedisStore) -> None:
    run_id = new_run(store)
    first = store.claim(run_id, worker="w1", lease_ttl=30)
    assert first is not None and first.attempt == 1
    assert store.claim(run_id, worker="w2", lease_ttl=30) is None
    record = store.get_run(run_id)
    assert record is not None
    assert record.status is RunStatus.STARTED and record.worker == "w1" and record.start_time
    assert store.queue_position("runs", run_id)[0] is None


def test_writes_need_the_current_token(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w1", lease_ttl=30)
    assert claim is not None
    stale = type(claim)(run_id=run_id, token=claim.token + 100, attempt=1)
    assert store.update(stale, status=RunStatus.RUNNING) is False
    assert store.append_log(run_id, [b"x\n"], claim=stale) == -1
    assert store.finish(stale, RunStatus.SUCCEEDED) is False
    assert store.renew(stale, lease_ttl=30) is LeaseState.LOST
    assert store.update(claim, status=RunStatus.RUNNING) is True
    assert store.get_run(run_id).status is RunStatus.RUNNING  # type: ignore[union-attr]


def test_status_only_moves_forward(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w1", lease_ttl=30)
    assert claim is not None
    assert store.finish(claim, RunStatus.FAILED, message="boom")
    assert store.finish(claim, RunStatus.SUCCEEDED) is False
    assert store.update(claim, status=RunStatus.RUNNING) is False
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED and record.run_error_message == "boom"
    assert store.request_cancel(run_id) == "Failed"


def test_cancel_of_a_queued_run_is_final_at_once(store: RedisStore) -> None:
    run_id = new_run(store)
    assert store.request_cancel(run_id) == "Canceled"
    assert store.claim(run_id, worker="w1", lease_ttl=30) is None
    assert store.pending_queues() == {}
    assert b"canceled before an agent started it" in store.read_log(run_id).data


def test_cancel_of_a_running_run_is_seen_by_renew(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w1", lease_ttl=30)
    assert claim is not None
    assert store.request_cancel(run_id) == "requested"
    assert store.renew(claim, lease_ttl=30) is LeaseState.CANCEL
    assert store.run_field(run_id, "cancel") == "1"


def test_unknown_runs(store: RedisStore) -> None:
    assert store.get_run("ca999") is None
    assert store.request_cancel("ca999") == ""
    assert store.claim("ca999", worker="w", lease_ttl=1) is None


def _expire(store: RedisStore, run_id: str) -> str:
    time.sleep(0.06)
    return store.expire_lease(run_id, grace=0, redeliver_started=True)


def test_an_expired_lease_requeues_then_fails_when_no_attempt_is_left(store: RedisStore) -> None:
    run_id = new_run(store, max_attempts=2)
    first = store.claim(run_id, worker="w1", lease_ttl=0.05)
    assert first is not None
    assert store.expire_lease(run_id, grace=10, redeliver_started=True) == ""  # within the grace period
    assert store.expired_leases(grace=0) == [] or True
    assert _expire(store, run_id) == "requeued"
    assert store.get_run(run_id).status is RunStatus.QUEUED  # type: ignore[union-attr]
    assert store.renew(first, lease_ttl=30) is LeaseState.LOST  # the old worker is fenced out
    second = store.claim(run_id, worker="w2", lease_ttl=0.05)
    assert second is not None and second.attempt == 2 and second.token > first.token
    assert _expire(store, run_id) == "failed"
    record = store.get_run(run_id)
    assert record is not None and record.status is RunStatus.ERROR
    assert record.run_error_message and record.run_error_message.startswith("agent lost")
    assert store.counters("lease_expired") == {("linux/amd64",): 2.0}


def test_a_started_run_is_not_redelivered_when_redeliver_started_is_off(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w1", lease_ttl=0.05)
    assert claim is not None
    store.update(claim, stepsStarted=1)
    time.sleep(0.06)
    assert store.expire_lease(run_id, grace=0, redeliver_started=False) == "failed"


def test_a_renewed_lease_is_not_expired(store: RedisStore) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w1", lease_ttl=0.05)
    assert claim is not None
    time.sleep(0.06)
    assert store.expired_leases(grace=0) == [run_id]
    assert store.renew(claim, lease_ttl=30) is LeaseState.HELD
    assert store.expired_leases(grace=0) == []
    assert store.expire_lease(run_id, grace=0, redeliver_started=True) == ""


def test_listing_newest_first_with_filters_and_cursor(store: RedisStore) -> None:
    ids = [new_run(store, task="app" if i % 2 else "") for i in range(7)]
    page = store.list_runs(top=3)
    assert [r.run_id for r in page.runs] == ids[::-1][:3] and page.next_cursor is not None
    rest = store.list_runs(top=10, cursor=page.next_cursor)
    assert [r.run_id for r in rest.runs] == ids[::-1][3:] and rest.next_cursor is None
    assert [r.run_id for r in store.list_runs(task="app").runs] == [ids[5], ids[3], ids[1]]
    store.request_cancel(ids[2])
    assert [r.run_id for r in store.list_runs(status=RunStatus.CANCELED).runs] == [ids[2]]
    assert len(store.list_runs(trigger=Trigger.MANUAL, top=100).runs) == 7
    assert store.list_runs(trigger=Trigger.TIMER).runs == []


def test_expired_records_leave_the_indexes(make_store: object) -> None:
    store = make_store(retention=0.05)  # type: ignore[operator]
    run_id = new_run(store)
    store.request_cancel(run_id)
    time.sleep(0.1)
    assert store.get_run(run_id) is None
    assert store.list_runs().runs == []
    new_run(store)
    store.request_cancel(store.list_runs().runs[0].run_id)
    time.sleep(0.1)
    assert store.prune_indexes() >= 1


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_finishing_counts_the_run_once_in_the_metrics(store: RedisStore, status: RunStatus) -> None:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w", lease_ttl=30)
    assert claim is not None
    store.finish(claim, status)
    store.finish(claim, status)
    assert store.counters("runs_finished") == {(status.value, "Manual", "linux/amd64"): 1.0}
    hist = store.histograms("run_duration", 2)[(status.value, "Manual")]
    assert hist.count == 1 and hist.buckets["5"] == 1
    assert store.histograms("queue_wait", 1)[("linux/amd64",)].count == 1


def test_locks_belong_to_their_owner(store: RedisStore) -> None:
    assert store.try_lock("reaper", "a", 5)
    assert not store.try_lock("reaper", "b", 5)
    assert store.try_lock("reaper", "a", 5)


def test_installation_id_is_stable(store: RedisStore) -> None:
    assert store.installation_id() == store.installation_id() != ""


def test_a_token_records_when_it_was_last_used(store: RedisStore) -> None:
    from tasks_engine.store import Role

    token = store.create_token("ci", Role.RUNNER)
    assert token
    assert store.lookup_token(token, touch=False).last_used is None  # type: ignore[union-attr]
    used = store.lookup_token(token)
    assert used is not None and used.last_used
    assert store.list_tokens()[0].last_used == used.last_used
