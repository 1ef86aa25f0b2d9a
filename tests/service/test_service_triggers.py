"""The trigger services over the store's real Lua scripts (fakeredis): orderings a live system cannot force
(a registry event before or after the run that pushed the image ends, a process dying between deciding and
creating a run, two schedulers ticking at the same instant, a clock that jumped over missed occurrences)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
import pytest

from tasks_engine.config import EngineConfig, ServiceSettings
from tasks_engine.errors import TriggerError
from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.cascading import OUTBOX_GRACE
from tasks_engine.service.tasks import TaskService, TaskSpec
from tasks_engine.service.timers import TimerService
from tasks_engine.service.triggerdefs import TimerDef, TriggerSettings
from tasks_engine.service.triggering import Triggers, build_triggers
from tasks_engine.service.usecases import RunService
from tasks_engine.store import Keys, RedisStore, RunRecord, SecretBox, Trigger, new_key

REG = "reg.example.com"
TOKEN = "registry-token-1"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def dispatch(self, run_id: str, queue: str) -> None:
        self.sent.append(run_id)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world() -> tuple[RedisStore, RunService, TaskService, Triggers, Clock]:
    store = RedisStore(fakeredis.FakeRedis(), keys=Keys("t"), box=SecretBox([new_key()]))
    settings = ServiceSettings(registry_webhook_token=TOKEN, cascade_debounce=0.0)
    runs = RunService(store, Recorder(), settings, EngineConfig())
    triggers = build_triggers(store, runs, settings, EngineConfig())
    clock = Clock()
    triggers.cascade.clock = clock
    return store, runs, TaskService(store, runs), triggers, clock


def _ref(image: str, digest: str) -> dict[str, str]:
    name, _, tag = image.rpartition(":")
    registry, _, repository = name.partition("/")
    return {"registry": registry, "repository": repository, "tag": tag, "digest": digest, "reference": image}


def report(image: str, image_digest: str, base: str, base_digest: str) -> dict[str, Any]:
    return {"image": _ref(image, image_digest), "runtime-dependency": _ref(base, base_digest),
            "buildtime-dependency": [], "git": {"git-head-revision": ""}}


def cmd_task(tasks: TaskService, name: str, **kwargs: Any) -> None:
    tasks.create(TaskSpec(name=name, kind="cmd", cmd="busybox true", **kwargs))


def finished_build(store: RedisStore, triggers: Triggers, task: str, _reports: list[dict[str, Any]],
                   trigger_info: dict[str, Any] | None = None) -> RunRecord:
    """A run of ``task`` created and claimed, its start told to the hooks, as a worker does it (``end`` tells
    them how it finished)."""
    from tasks_engine.store import RunRequest, RunType

    record = store.create_run(id_prefix="ca", queue="runs", run_type=RunType.AUTO_RUN, task=task,
                              request=RunRequest(kind="cmd", cmd="x"), trigger_info=trigger_info)
    claim = store.claim(record.run_id, worker="w", lease_ttl=30)
    assert claim is not None
    started = store.get_run(record.run_id)
    assert started is not None
    triggers.started(started)
    return started


def end(store: RedisStore, triggers: Triggers, record: RunRecord, reports: list[dict[str, Any]]) -> None:
    triggers.finished(record, RunStatus.SUCCEEDED, dependencies=reports)


def registry_push(triggers: Triggers, image: str, digest: str, event_id: str) -> dict[str, Any]:
    name, _, tag = image.rpartition(":")
    host, _, repository = name.partition("/")
    body = {"events": [{"id": event_id, "timestamp": "2026-12-01T09:00:00Z", "action": "push",
                        "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                   "digest": digest, "repository": repository, "tag": tag, "size": 1},
                        "request": {"host": host, "method": "PUT"}}]}
    return triggers.webhooks.registry({"Authorization": f"Bearer {TOKEN}",
                                       "Content-Type": "application/vnd.docker.distribution.events.v1+json"},
                                      json.dumps(body).encode())


def image_update_runs(store: RedisStore, task: str) -> list[RunRecord]:
    return [r for r in store.list_runs(task=task, top=50).runs if r.trigger is Trigger.IMAGE_UPDATE]


D = {n: "sha256:" + (str(n) * 64)[:64] for n in range(1, 10)}


@pytest.mark.parametrize("event_first", [True, False], ids=["event-before-the-run-ends", "event-after"])
def test_a_registry_event_for_a_running_task_push_is_attributed_to_that_run(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock], event_first: bool) -> None:
    store, _, tasks, triggers, _ = world
    cmd_task(tasks, "mid-task")
    cmd_task(tasks, "app-task")
    mid, base, app = f"{REG}/mid:1", f"{REG}/base:1", f"{REG}/app:1"
    end(store, triggers, finished_build(store, triggers, "mid-task", []), [report(mid, D[1], base, D[2])])
    end(store, triggers, finished_build(store, triggers, "app-task", []), [report(app, D[3], mid, D[1])])
    # base moves: mid rebuilds, as generation 1 of the registry event's chain
    assert registry_push(triggers, base, D[4], "ev-base")["queued"] == 1
    [mid_run] = image_update_runs(store, "mid-task")
    cause = mid_run.image_update_trigger["causation"]  # type: ignore[index]
    started = finished_build(store, triggers, "mid-task", [], {"imageUpdateTrigger": mid_run.image_update_trigger})
    new_mid = [report(mid, D[5], base, D[4])]
    if event_first:  # the registry notifies the push while the run is still running: held, not decided
        assert registry_push(triggers, mid, D[5], "ev-mid")["queued"] == 0
        assert image_update_runs(store, "app-task") == []
        end(store, triggers, started, new_mid)
    else:
        end(store, triggers, started, new_mid)
        assert registry_push(triggers, mid, D[5], "ev-mid")["queued"] == 0  # the run announced it: duplicate
    [app_run] = image_update_runs(store, "app-task")
    causation = app_run.image_update_trigger["causation"]  # type: ignore[index]
    assert causation["generation"] == 2 and causation["rootEventId"] == cause["rootEventId"] == "registry:ev-base"
    assert causation["path"] == ["mid-task"]


def test_a_run_decided_by_a_process_that_died_before_creating_it_is_created_once_by_the_tick(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, _, tasks, triggers, clock = world
    cmd_task(tasks, "lone-task")
    end(store, triggers, finished_build(store, triggers, "lone-task", []),
        [report(f"{REG}/lone:1", D[1], f"{REG}/lbase:1", D[2])])
    real = triggers.cascade.submit

    def dies(decided: Any) -> None:
        raise RuntimeError("killed between the commit and the create")

    triggers.cascade.submit = dies
    with pytest.raises(RuntimeError):
        registry_push(triggers, f"{REG}/lbase:1", D[3], "ev-1")
    assert image_update_runs(store, "lone-task") == [] and len(store.cascade_outbox()) == 1
    triggers.cascade.submit = real
    assert registry_push(triggers, f"{REG}/lbase:1", D[3], "ev-1")["queued"] == 0  # the registry's retry: duplicate
    assert triggers.cascade.sweep_outbox() == 0  # too fresh: its own process may still be creating it
    clock.now += OUTBOX_GRACE
    assert triggers.cascade.sweep_outbox() == 1 and triggers.cascade.sweep_outbox() == 0
    assert len(image_update_runs(store, "lone-task")) == 1 and store.cascade_outbox() == {}


def _timers(tasks: TaskService, clock: Clock, *schedules: str) -> None:
    timers = tuple(TimerDef(name=f"t{i}", schedule=s, created=(clock.now - timedelta(hours=1)).isoformat())
                   for i, s in enumerate(schedules))
    tasks.create(TaskSpec(name="timed-task", kind="cmd", cmd="busybox true", triggers=TriggerSettings(timers=timers)))


def test_two_schedulers_ticking_together_start_one_run_per_occurrence(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, _, tasks, triggers, clock = world
    _timers(tasks, clock, "* * * * *")
    first, second = (TimerService(store, triggers.runner, clock=clock) for _ in range(2))
    store.set_timer_ticks({"timed-task/t0": "2026-12-01T09:00:59Z"})
    clock.now = datetime(2026, 12, 1, 9, 1, 1, tzinfo=UTC)
    outcomes = [o.status for o in first.tick()] + [o.status for o in second.tick()]
    assert sorted(outcomes) == ["queued"]  # the second found the window evaluated (or the claim taken)
    store.set_timer_ticks({"timed-task/t0": "2026-12-01T09:00:59Z"})  # even if both saw the same window
    assert [o.status for o in second.tick()] == ["existing"]
    [run] = store.list_runs(task="timed-task").runs
    assert run.trigger is Trigger.TIMER
    assert run.timer_trigger == {"timerTriggerName": "t0", "scheduleOccurrence": "2026-12-01T09:01:00Z"}


def test_occurrences_missed_while_no_scheduler_ran_are_not_backfilled(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, _, tasks, triggers, clock = world
    _timers(tasks, clock, "*/5 * * * *")
    timers = TimerService(store, triggers.runner, clock=clock)
    store.set_timer_ticks({"timed-task/t0": "2026-12-01T09:01:00Z"})
    clock.now = datetime(2026, 12, 1, 9, 33, 0, tzinfo=UTC)  # 09:05 ... 09:30 missed; 09:30 is 3 min old
    assert timers.tick() == []
    clock.now = datetime(2026, 12, 1, 9, 35, 30, tzinfo=UTC)  # 09:35 is 30 s old: within the grace
    assert [o.status for o in timers.tick()] == ["queued"]
    assert store.list_runs(task="timed-task").runs[0].timer_trigger["scheduleOccurrence"] == "2026-12-01T09:35:00Z"  # type: ignore[index]


def _sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_malformed_delivery_is_400_only_for_a_sender_holding_some_task_secret(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, _, tasks, triggers, _ = world
    tasks.create(TaskSpec(name="hooked", kind="cmd", cmd="busybox true", context="https://git.example.com/o/r.git#main",
                          webhook_secret="secret-123"))
    body = b'{"repositoryUrl": 17}'
    for signature, status in ((_sign(body, "secret-123"), 400), (_sign(body, "guess-1234"), 401), ("", 401)):
        headers = {"X-Hub-Signature-256": signature} if signature else {}
        with pytest.raises(TriggerError) as caught:
            triggers.webhooks.git("generic", headers, body)
        assert caught.value.status == status
    assert store.counters("webhook_deliveries") == {("generic", "push", "invalid"): 1.0,
                                                    ("generic", "push", "unauthorized"): 2.0}


def test_a_pull_request_run_gets_no_task_secrets_unless_the_task_opts_in(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock],
        payload_json: Callable[[str], dict[str, Any]]) -> None:
    store, _, tasks, triggers, _ = world
    body = payload_json("github_pull_request_opened.json")
    url = body["repository"]["clone_url"]
    for name, opt_in in (("pr-closed", False), ("pr-opened", True)):
        tasks.create(TaskSpec(name=name, kind="cmd", cmd="busybox true", context=f"{url}#main",
                              secret_values={"tok": "s3cret"}, webhook_secret=f"secret-{name}",
                              triggers=TriggerSettings(pull_request_enabled=True, branch="*",
                                                       pull_request_secrets=opt_in)))
    raw = json.dumps(body).encode()
    for name, opt_in in (("pr-closed", False), ("pr-opened", True)):
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": f"d-{name}",
                   "X-Hub-Signature-256": _sign(raw, f"secret-{name}")}
        reply = triggers.webhooks.git("github", headers, raw)
        [run] = reply["runs"]
        record = store.get_run(run["runId"])
        assert record is not None and record.trigger is Trigger.PULL_REQUEST and record.request is not None
        assert record.request.untrusted is (not opt_in)
        assert store.run_secrets(run["runId"]).set_secrets == (("tok=s3cret",) if opt_in else ())
        assert record.request.commit == body["pull_request"]["head"]["sha"]
        assert record.request.context == f"{url}#{body['pull_request']['head']['sha']}"


@pytest.fixture
def payload_json() -> Callable[[str], dict[str, Any]]:
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "triggers" / "payloads"

    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((folder / name).read_text())
        return data

    return load


def test_a_base_that_moves_back_and_forth_rebuilds_its_dependant_each_time(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, _, tasks, triggers, _ = world
    cmd_task(tasks, "flip-task")
    base, out = f"{REG}/flip:1", f"{REG}/flipped:1"
    end(store, triggers, finished_build(store, triggers, "flip-task", []), [report(out, D[9], base, D[1])])
    for n, digest in enumerate((D[2], D[1], D[2]), start=1):  # D1 -> D2 -> D1 -> D2 within the dedupe window
        assert registry_push(triggers, base, digest, f"flip-{n}")["queued"] == 1, n
        [run] = image_update_runs(store, "flip-task")[:1]
        started = finished_build(store, triggers, "flip-task", [], {"imageUpdateTrigger": run.image_update_trigger})
        end(store, triggers, started, [report(out, D[9], base, digest)])
        assert registry_push(triggers, base, digest, f"flip-{n}-again")["queued"] == 0  # built on it: unchanged
    assert len(image_update_runs(store, "flip-task")) == 3


def test_an_image_update_run_canceled_while_queued_does_not_swallow_later_updates(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, runs, tasks, triggers, _ = world
    cmd_task(tasks, "cancel-task")
    base = f"{REG}/cbase:1"
    end(store, triggers, finished_build(store, triggers, "cancel-task", []), [report(f"{REG}/c:1", D[9], base, D[1])])
    assert registry_push(triggers, base, D[2], "c-1")["queued"] == 1
    [run] = image_update_runs(store, "cancel-task")
    assert runs.cancel(run.run_id).status is RunStatus.CANCELED
    # without forgetting the canceled decision, this update would fold into a run that never starts
    assert registry_push(triggers, base, D[3], "c-2")["queued"] == 1
    assert len(image_update_runs(store, "cancel-task")) == 2


def test_a_deleted_task_recreated_under_its_name_starts_with_a_clean_cascade(
        world: tuple[RedisStore, RunService, TaskService, Triggers, Clock]) -> None:
    store, runs, _, triggers, _ = world
    tasks = TaskService(store, runs, deleted_hooks=[triggers.cascade.forget_task])
    cmd_task(tasks, "again-task")
    base = f"{REG}/again:1"
    end(store, triggers, finished_build(store, triggers, "again-task", []), [report(f"{REG}/a:1", D[9], base, D[1])])
    assert registry_push(triggers, base, D[2], "a-1")["queued"] == 1  # decided, queued, never started
    tasks.delete("again-task")
    assert triggers.store.cascade_state()[1]["pending"] == {}
    cmd_task(tasks, "again-task")
    end(store, triggers, finished_build(store, triggers, "again-task", []), [report(f"{REG}/a:1", D[9], base, D[1])])
    assert registry_push(triggers, base, D[2], "a-2")["queued"] == 1  # not folded into the dead decision


def test_a_run_parked_at_its_tasks_cap_says_so_in_its_queue_info(world: Any) -> None:
    """``task show-run`` of a run waiting for a ``--max-concurrent-runs`` slot names the cap, not the queue."""
    store, runs, tasks, _triggers, _clock = world
    cmd_task(tasks, "capped", max_concurrent_runs=1)
    first, second, third = (tasks.run("capped").run_id for _ in range(3))
    assert store.claim(first, worker="w", lease_ttl=30) is not None
    for parked in (second, third):
        assert store.claim(parked, worker="w", lease_ttl=30) is None
    info = runs.describe(runs.get(third))["queueInfo"]
    assert info["parked"] == {"task": "capped", "position": 2, "parked": 2, "running": 1, "maxConcurrentRuns": 1}
    assert info["reason"] == ("task 'capped' is at its --max-concurrent-runs cap (1 of 1 running); 1 run(s) of the "
                              "task ahead of this one: it starts when one of them ends")
    assert "parked" not in runs.describe(runs.get(first))  # Started: no queue info at all
    assert runs.describe(runs.get(second))["queueInfo"]["parked"]["position"] == 1
