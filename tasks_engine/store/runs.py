"""Run records: create, read, list, and every state transition (through the Lua scripts).

The delivery protocol the worker and the reaper follow (guarantees in docs/service.md):

1. ``create_run`` writes the record ``Queued`` and puts it in its queue's pending set, in one script; the
   caller then publishes the run id and calls ``mark_dispatched``.
2. A worker's ``claim`` moves ``Queued -> Started`` and hands out a fencing token; a second delivery of the
   same run finds it not ``Queued`` and does nothing.
3. The worker renews its lease (``renew``) and writes only with its token (``update``, ``append_log``,
   ``finish``). A write with a stale token is refused, so a worker that was presumed dead cannot overwrite
   what its successor does.
4. ``expire_lease`` (the reaper) takes back a run whose lease ran out: re-queued with a new token while
   attempts remain (and, unless ``redeliverStarted``, no step had started), otherwise finished as ``Error``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tasks_engine.runtime.results import RunStatus
from tasks_engine.store.base import StoreBase, dumps, iso_ms, loads, text
from tasks_engine.store.connect import redis_errors
from tasks_engine.store.records import (
    Claim,
    LeaseState,
    Platform,
    RunRecord,
    RunRequest,
    RunSecrets,
    RunType,
    Trigger,
)

_BATCH = 100


@dataclass(frozen=True)
class UniqueKey:
    """A run's exactly-once key: ``once`` (never a second run for it: a timer occurrence) or ``active`` (no
    second run while the first is not finished: a webhook's (task, repository, ref, commit))."""

    key: str
    mode: str = "active"
    ttl: float = 31 * 86400.0


@dataclass(frozen=True, kw_only=True)
class NewRun:
    id_prefix: str
    queue: str
    run_type: RunType
    request: RunRequest
    secrets: RunSecrets | None = None
    trigger: Trigger = Trigger.MANUAL
    task: str = ""
    platform: Platform | None = None
    agent_pool: str | None = None
    max_attempts: int = 2
    trigger_info: dict[str, Any] | None = None
    unique: UniqueKey | None = None
    outbox: str | None = None
    brief: bool = False
    """Only the new run's id comes back (``Created.run_id``), not the record."""


@dataclass(frozen=True)
class Parked:
    """A queued run its worker parked because its task was at its ``--max-concurrent-runs`` cap: it holds no
    broker message and waits to be woken when one of the task's runs ends."""

    task: str
    position: int  # 0-based among the task's parked runs (the oldest is woken first)
    parked: int
    running: int
    cap: int


@dataclass(frozen=True)
class Created:
    """``run_id`` (and ``record``, unless the create was brief) when the run was created; else ``existing``
    names the run that holds its unique key (``""`` when its outbox entry had been consumed already)."""

    record: RunRecord | None
    existing: str = ""
    run_id: str = ""

    @property
    def created(self) -> bool:
        return bool(self.run_id)


@dataclass(frozen=True)
class RunPage:
    runs: list[RunRecord]
    next_cursor: int | None


def _record_from_hash(data: dict[bytes, bytes]) -> RunRecord:
    get = {k.decode(): v for k, v in data.items()}
    request = loads(get.get("request"), None)
    return RunRecord(
        run_id=text(get.get("runId")),
        status=RunStatus(text(get.get("status"))),
        run_type=RunType(text(get.get("runType")) or RunType.QUICK_RUN.value),
        trigger=Trigger(text(get.get("trigger")) or Trigger.MANUAL.value),
        task=text(get.get("task")),
        create_time=iso_ms(get.get("createTime")) or "",
        start_time=iso_ms(get.get("startTime")),
        finish_time=iso_ms(get.get("finishTime")),
        last_updated_time=iso_ms(get.get("lastUpdated")) or "",
        platform=Platform.from_dict(loads(get.get("platform"), None)),
        agent_pool_name=text(get.get("agentPool")) or None,
        queue=text(get.get("queue")),
        output_images=loads(get.get("outputImages"), []),
        steps=loads(get.get("steps"), []),
        dependencies=loads(get.get("dependencies"), []),
        run_error_message=text(get.get("runErrorMessage")) or None,
        source_trigger=loads(get.get("sourceTrigger"), None),
        image_update_trigger=loads(get.get("imageUpdateTrigger"), None),
        timer_trigger=loads(get.get("timerTrigger"), None),
        timeout=int(text(get.get("timeout"))) if text(get.get("timeout")) else None,
        attempt=int(text(get.get("attempt")) or 0),
        max_attempts=int(text(get.get("maxAttempts")) or 1),
        worker=text(get.get("worker")) or None,
        cancel_requested=text(get.get("cancel")) == "1",
        log_bytes=int(text(get.get("logBytes")) or 0),
        log_truncated=text(get.get("logTruncated")) == "1",
        seq=int(text(get.get("seq")) or 0),
        request=RunRequest.from_dict(request) if request else None,
    )


class RunsMixin(StoreBase):
    # -- create and read ------------------------------------------------------------------------------------

    def create_run(self, *, id_prefix: str, queue: str, run_type: RunType, request: RunRequest,
                   secrets: RunSecrets | None = None, trigger: Trigger = Trigger.MANUAL, task: str = "",
                   platform: Platform | None = None, agent_pool: str | None = None, max_attempts: int = 2,
                   trigger_info: dict[str, Any] | None = None) -> RunRecord:
        """Write a new ``Queued`` run and return it (its id is ``<id_prefix><base-36 counter>``)."""
        created = self.create_runs([NewRun(id_prefix=id_prefix, queue=queue, run_type=run_type, request=request,
                                           secrets=secrets, trigger=trigger, task=task, platform=platform,
                                           agent_pool=agent_pool, max_attempts=max_attempts,
                                           trigger_info=trigger_info)])
        record = created[0].record
        assert record is not None  # no unique key and no outbox: always created
        return record

    def create_runs(self, runs: Sequence[NewRun]) -> list[Created]:
        """Write many runs in one round trip (a pipeline of the create script): a cascade queues a thousand
        dependants at once. Each answer says whether the run was created, or which run already holds its
        unique key, or that its outbox entry was consumed by another process."""
        if not runs:
            return []
        create = self._scripts["create"]
        with redis_errors():
            if len(runs) == 1:
                # One run (every API submit): no pipeline, whose execute() first asks SCRIPT EXISTS (a round
                # trip more); the script object's EVALSHA loads the script itself after a Redis restart.
                one: list[Any] = [self.keys.prefix, *self._create_args(runs[0])]
                replies = [create(keys=[], args=one)]
            else:
                pipe = self.client.pipeline(transaction=False)
                for new in runs:
                    args: list[Any] = [self.keys.prefix, *self._create_args(new)]
                    create(keys=[], args=args, client=pipe)
                replies = pipe.execute()
        out: list[Created] = []
        for reply in replies:
            if reply and reply[0] == b"existing":
                out.append(Created(record=None, existing=text(reply[1])))
            elif reply and reply[0] == b"gone":
                out.append(Created(record=None, existing=""))
            elif reply and reply[0] == b"created":
                out.append(Created(record=None, run_id=text(reply[1])))
            else:
                record = _record_from_hash(dict(zip(reply[::2], reply[1::2], strict=True)))
                out.append(Created(record=record, run_id=record.run_id))
        return out

    def _create_args(self, new: NewRun) -> list[object]:
        platform = new.platform or Platform()
        request = new.request
        fields: list[object] = [
            "runType", new.run_type.value, "trigger", new.trigger.value, "task", new.task,
            "platform", dumps(platform.to_dict()), "platformName", str(platform),
            "agentPool", new.agent_pool or "", "maxAttempts", new.max_attempts, "request", dumps(request.to_dict()),
        ]
        if request.timeout is not None:
            fields += ["timeout", request.timeout]
        if new.secrets is not None and new.secrets.values:
            fields += ["secrets", self._sealed(new.secrets.to_dict())]
        for name, value in (new.trigger_info or {}).items():
            fields += [name, dumps(value)]
        unique = self.keys.unique(new.unique.key) if new.unique else ""
        mode = new.unique.mode if new.unique else ""
        ttl = int(new.unique.ttl * 1000) if new.unique else 0
        return [new.id_prefix, new.queue, unique, mode, ttl, new.outbox or "", 1 if new.brief else 0, *fields]

    def get_run(self, run_id: str) -> RunRecord | None:
        with redis_errors():
            data = self.client.hgetall(self.keys.run(run_id))
        return _record_from_hash(data) if data else None

    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord | None]:
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for run_id in run_ids:
                pipe.hgetall(self.keys.run(run_id))
            rows = pipe.execute()
        return [_record_from_hash(row) if row else None for row in rows]

    def run_secrets(self, run_id: str) -> RunSecrets:
        """The decrypted secret half of a run's request (workers only)."""
        with redis_errors():
            sealed = self.client.hget(self.keys.run(run_id), "secrets")
        return RunSecrets.from_dict(self._unsealed(sealed)) if sealed else RunSecrets()

    def run_field(self, run_id: str, name: str) -> str:
        with redis_errors():
            return text(self.client.hget(self.keys.run(run_id), name))

    def list_runs(self, *, task: str | None = None, status: RunStatus | None = None,
                  trigger: Trigger | None = None, top: int = 15, cursor: int | None = None) -> RunPage:
        """Newest first, filtered; ``cursor`` is the ``seq`` to continue below (from ``next_cursor``)."""
        if task:
            index = self.keys.runs_by("task", task)
        elif status:
            index = self.keys.runs_by("status", status.value)
        elif trigger:
            index = self.keys.runs_by("trigger", trigger.value)
        else:
            index = self.keys.runs
        found: list[RunRecord] = []
        upper: str = f"({cursor}" if cursor else "+inf"
        while len(found) < top:
            with redis_errors():
                batch = self.client.zrevrangebyscore(index, upper, "-inf", start=0, num=_BATCH, withscores=True)
            if not batch:
                return RunPage(found, None)
            ids = [text(member) for member, _ in batch]
            records = self.get_runs(ids)
            stale = [run_id for run_id, record in zip(ids, records, strict=True) if record is None]
            if stale:  # records expired after the retention period: drop them from the index lazily
                with redis_errors():
                    self.client.zrem(index, *stale)
            for record in records:
                if record is None:
                    continue
                if (task and record.task != task) or (status and record.status is not status) or (
                        trigger and record.trigger is not trigger):
                    continue
                found.append(record)
                if len(found) == top:
                    return RunPage(found, record.seq)
            upper = f"({int(batch[-1][1])}"
            if len(batch) < _BATCH:
                return RunPage(found, None)
        return RunPage(found, found[-1].seq if found else None)

    def count_by_status(self, statuses: Iterable[RunStatus]) -> dict[RunStatus, int]:
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            wanted = list(statuses)
            for status in wanted:
                pipe.zcard(self.keys.runs_by("status", status.value))
            counts = pipe.execute()
        return {status: int(n) for status, n in zip(wanted, counts, strict=True)}

    # -- queues -----------------------------------------------------------------------------------------------

    def mark_dispatched(self, run_id: str) -> bool:
        return bool(self._run_script("dispatched", [run_id]))

    def queue_position(self, queue: str, run_id: str) -> tuple[int | None, int]:
        """``(0-based position, queue length)`` of a queued run in its queue; position None when not queued."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            pipe.zrank(self.keys.pending(queue), run_id)
            pipe.zcard(self.keys.pending(queue))
            rank, size = pipe.execute()
        return (None if rank is None else int(rank)), int(size)

    def parked(self, run_id: str, task: str) -> Parked | None:
        """Where a run parked at its task's ``maxConcurrentRuns`` cap stands; None when it is not parked."""
        if not task:
            return None
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            pipe.zrank(self.keys.waiting(task), run_id)
            pipe.zcard(self.keys.waiting(task))
            pipe.scard(self.keys.active(task))
            pipe.hget(self.keys.task(task), "maxConcurrentRuns")
            rank, parked, running, cap = pipe.execute()
        if rank is None:
            return None
        return Parked(task=task, position=int(rank), parked=int(parked), running=int(running),
                      cap=int(text(cap) or 0))

    def pending_runs(self, queue: str, *, limit: int = 1000) -> list[str]:
        with redis_errors():
            return [text(m) for m in self.client.zrange(self.keys.pending(queue), 0, limit - 1)]

    def pending_queues(self) -> dict[str, int]:
        """Every queue with queued runs, and how many."""
        prefix = self.keys.pending("")
        out: dict[str, int] = {}
        with redis_errors():
            for key in self.client.scan_iter(match=self.keys.pending_pattern, count=500):
                name = text(key)[len(prefix):]
                out[name] = int(self.client.zcard(key))
        return out

    # -- the worker's side ------------------------------------------------------------------------------------

    def claim(self, run_id: str, *, worker: str, lease_ttl: float) -> Claim | None:
        """Take a queued run for ``worker``; None when it is not queued (a duplicate delivery, a cancel), when
        its task was disabled meanwhile (the run is then ``Canceled``), or when its task is at its
        ``maxConcurrentRuns`` cap (the run waits until one of the task's runs ends and wakes it)."""
        line = f"Run ID: {run_id} was canceled: its task was disabled before an agent started it\n"
        reply = self._run_script("claim", [run_id, worker, int(lease_ttl * 1000), self.retention_ms, line])
        if int(reply[0]) == 0:
            return None
        return Claim(run_id=run_id, token=int(reply[0]), attempt=int(reply[1]))

    def take_woken(self, limit: int = 1000) -> list[str]:
        """Runs a finished run's freed slot woke (``maxConcurrentRuns``): the caller publishes them."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.lrange(self.keys.wake, 0, limit - 1)
            pipe.ltrim(self.keys.wake, limit, -1)
            woken, _ = pipe.execute()
        return [text(w) for w in woken]

    def renew(self, claim: Claim, *, lease_ttl: float) -> LeaseState:
        return LeaseState(text(self._run_script("renew", [claim.run_id, claim.token, int(lease_ttl * 1000)])))

    def update(self, claim: Claim, *, status: RunStatus | None = None, **documents: Any) -> bool:
        """Write JSON documents (``steps=[...]``, ``outputImages=[...]``) and maybe ``Started -> Running``."""
        fields: list[object] = []
        for name, value in documents.items():
            fields += [name, value if isinstance(value, str | int) else dumps(value)]
        return bool(self._run_script("update", [claim.run_id, claim.token, status.value if status else "",
                                                *fields]))

    def finish(self, claim: Claim, status: RunStatus, *, message: str | None = None, **documents: Any) -> bool:
        """The run's final status; False when fenced out or already final."""
        fields: list[object] = []
        for name, value in documents.items():
            fields += [name, value if isinstance(value, str | int) else dumps(value)]
        return bool(self._run_script("finish", [claim.run_id, claim.token, status.value, message or "",
                                                self.retention_ms, *fields]))

    # -- cancel and the reaper --------------------------------------------------------------------------------

    def request_cancel(self, run_id: str) -> str:
        """``Canceled`` (it was queued), ``requested`` (its worker will stop it), its final status, or ``""``
        when there is no such run."""
        line = f"Run ID: {run_id} was canceled before an agent started it\n"
        return text(self._run_script("cancel", [run_id, self.retention_ms, line]))

    def expired_leases(self, *, grace: float, limit: int = 100) -> list[str]:
        return [text(x) for x in self._run_script("expired", [int(grace * 1000), limit])]

    def expire_lease(self, run_id: str, *, grace: float, redeliver_started: bool, max_attempts: int = 0) -> str:
        """Take back one run whose lease ran out: ``requeued``, ``failed`` or ``""`` (nothing to do)."""
        stamp = "[tasks-engine]"
        requeue = (f"{stamp} the worker running this run stopped renewing its lease (lost, killed or cut off "
                   "from Redis); the run is queued again for another attempt\n")
        message = ("agent lost: the worker running this run stopped renewing its lease and no attempt is left "
                   "(service.maxAttempts)")
        failed = f"{stamp} {message}\n"
        return text(self._run_script("lost", [run_id, int(grace * 1000), max_attempts,
                                              1 if redeliver_started else 0, self.retention_ms, requeue, failed,
                                              message]))

    def leased_runs(self) -> list[tuple[str, int]]:
        """``(run id, lease expiry ms)`` of every leased run."""
        with redis_errors():
            return [(text(m), int(s)) for m, s in self.client.zrange(self.keys.leases, 0, -1, withscores=True)]

    def prune_indexes(self, *, batch: int = 500) -> int:
        """Remove index entries whose run record expired (retention); returns how many."""
        removed = 0
        with redis_errors():
            indexes = [self.keys.runs, *(text(k) for k in self.client.scan_iter(match=f"{self.keys.runs}:*"))]
            for index in indexes:
                for start in range(0, int(self.client.zcard(index)), batch):
                    ids = [text(m) for m in self.client.zrange(index, start, start + batch - 1)]
                    pipe = self.client.pipeline(transaction=False)
                    for run_id in ids:
                        pipe.exists(self.keys.run(run_id))
                    gone = [run_id for run_id, alive in zip(ids, pipe.execute(), strict=True) if not alive]
                    if gone:
                        self.client.zrem(index, *gone)
                        removed += len(gone)
        return removed

    def installation_id(self) -> str:
        """A random id made once per installation (per Redis and key prefix): Docker objects carry it, so a
        worker never sweeps another installation's containers on a shared daemon."""
        import uuid

        with redis_errors():
            key = f"{self.keys.prefix}:installation"
            self.client.set(key, uuid.uuid4().hex[:12], nx=True)
            return text(self.client.get(key))

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        return bool(self._run_script("lock", [name, owner, int(ttl * 1000)]))
