"""Run use cases over the store and a dispatcher: submit, get, list, cancel, explain a wait.

Every way a run starts — the API's quick runs, ``task run``, and later webhooks, base-image updates and
timers — goes through ``RunService.submit``: one place validates, records and enqueues, so a rule added here
(a disabled task never starts, a concurrency cap) holds for every source.

The dispatcher is a protocol because publishing is Celery's job and Celery has exactly one home
(``workers/dispatch.py``); the process that assembles the service passes it in.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from tasks_engine import compiler
from tasks_engine.config import EngineConfig, ServiceSettings
from tasks_engine.errors import ConflictError, NotFoundError, UsageError
from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.execution import job_from_record
from tasks_engine.service.runids import RUN_ID
from tasks_engine.service.runner import RunJob, compile_inputs_for, run_info_for
from tasks_engine.store import (
    Created,
    NewRun,
    Parked,
    Platform,
    RedisStore,
    RunPage,
    RunRecord,
    RunRequest,
    RunSecrets,
    RunType,
    Trigger,
    UniqueKey,
    WorkerInfo,
)

KINDS = ("build", "file", "encoded", "cmd")


class Dispatcher(Protocol):
    def dispatch(self, run_id: str, queue: str) -> None: ...


def dispatch_all(dispatcher: Dispatcher, run_ids: list[str], queue: str) -> None:
    """Publish many runs of one queue: over one broker connection when the dispatcher can (a cascade's
    thousand dependants), else one by one."""
    many = getattr(dispatcher, "dispatch_many", None)
    if many is not None:
        many(run_ids, queue)
        return
    for run_id in run_ids:
        dispatcher.dispatch(run_id, queue)


_CHUNK = 200


class _Publisher:
    """Publishes batches of run ids, in a thread of its own when ``background`` (errors re-raised at exit)."""

    def __init__(self, dispatcher: Dispatcher, *, background: bool) -> None:
        self.dispatcher = dispatcher
        self.background = background
        self._work: queue.Queue[tuple[list[str], str] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="publish", daemon=True) if background else None

    def __enter__(self) -> _Publisher:
        if self._thread is not None:
            self._thread.start()
        return self

    def publish(self, run_ids: list[str], queue_name: str) -> None:
        if self._thread is None:
            dispatch_all(self.dispatcher, run_ids, queue_name)
        else:
            self._work.put((run_ids, queue_name))

    def _loop(self) -> None:
        while (item := self._work.get()) is not None:
            if self._error is None:
                try:
                    dispatch_all(self.dispatcher, *item)
                except BaseException as exc:
                    self._error = exc

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
            if self._error is not None and exc[0] is None:
                raise self._error


@dataclass(frozen=True, kw_only=True)
class Submission:
    """One run to start: the request, its secrets, and how it was started."""

    request: RunRequest
    secrets: RunSecrets = field(default_factory=RunSecrets)
    run_type: RunType
    trigger: Trigger = Trigger.MANUAL
    task: str = ""
    platform: Platform = field(default_factory=Platform)
    agent_pool: str | None = None
    trigger_info: dict[str, Any] = field(default_factory=dict)
    unique: UniqueKey | None = None
    """Exactly-once key of a triggered run (a timer occurrence, a webhook's commit): see ``store.UniqueKey``."""
    outbox: str | None = None
    """The cascade outbox entry this run consumes (a decided image-update run)."""


class _ContextNeeded(Exception):
    """Raised by the pre-check's alias loader: the task reads files of a context not yet on a worker."""


def _no_context_loader(source: str) -> str:
    raise _ContextNeeded(source)


@dataclass(frozen=True)
class QueueInfo:
    """Why a queued run waits: where it stands and who could take it."""

    queue: str
    position: int | None
    length: int
    workers: list[WorkerInfo]
    parked: Parked | None = None

    def to_dict(self) -> dict[str, Any]:
        listening = [w for w in self.workers if self.queue in w.queues]
        parked = self.parked
        extra: dict[str, Any] = {}
        if parked is not None:
            ahead = f"; {parked.position} run(s) of the task ahead of this one" if parked.position else ""
            reason = (f"task {parked.task!r} is at its --max-concurrent-runs cap ({parked.running} of "
                      f"{parked.cap} running){ahead}: it starts when one of them ends")
            extra["parked"] = {"task": parked.task, "position": parked.position + 1, "parked": parked.parked,
                               "running": parked.running, "maxConcurrentRuns": parked.cap}
        elif not listening:
            reason = (f"no worker listens on queue {self.queue!r}: start one with "
                      f"`celery -A workers.app worker -Q {self.queue}`")
        elif self.position:
            reason = f"{self.position} run(s) ahead of it on queue {self.queue!r}"
        else:
            reason = f"next on queue {self.queue!r}; waiting for a free worker slot"
        return {"queue": self.queue, "position": None if self.position is None else self.position + 1,
                "length": self.length, "workersListening": len(listening),
                "workers": [w.worker_id for w in listening], "reason": reason, **extra}


class RunService:
    def __init__(self, store: RedisStore, dispatcher: Dispatcher | None, settings: ServiceSettings,
                 engine: EngineConfig | None = None) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.settings = settings
        self.engine = engine or EngineConfig()
        # Told of a queued run canceled before it started (the cascade forgets the decision it was).
        self.ended_unstarted: list[Callable[[RunRecord], None]] = []

    # -- submit -----------------------------------------------------------------------------------------------

    def submit(self, sub: Submission, *, precheck: bool = True) -> RunRecord:
        created = self.submit_many([sub], precheck=precheck)[0]
        if created.record is None:
            raise ConflictError(f"run {created.existing or '?'} already holds this run's key")
        return created.record

    def submit_many(self, subs: Sequence[Submission], *, precheck: bool = True, brief: bool = False
                    ) -> list[Created]:
        """Record and publish runs: pipelined store writes and one broker connection for all of them.

        A submission with a unique key or an outbox entry may create nothing (``Created.created`` False): its
        run exists already, which is how a replayed trigger stays one run. ``brief``: the runs' ids only, not
        their records. A large batch is written in chunks, each published by a second thread while the next is
        written: a run is published only once it is recorded, and the two halves overlap.
        """
        for sub in subs:
            if sub.request.kind not in KINDS:
                raise UsageError(f"unknown run kind {sub.request.kind!r}; expected one of {', '.join(KINDS)}")
            if precheck:
                self.precheck(sub)
        if self.dispatcher is None:
            raise UsageError("this process cannot queue runs (no dispatcher)")
        news = [NewRun(id_prefix=self.settings.run_id_prefix, queue=self.settings.queue_for(sub.agent_pool),
                       run_type=sub.run_type, request=sub.request, secrets=sub.secrets, trigger=sub.trigger,
                       task=sub.task, platform=sub.platform, agent_pool=sub.agent_pool,
                       max_attempts=self.settings.max_attempts, trigger_info=sub.trigger_info, unique=sub.unique,
                       outbox=sub.outbox, brief=brief) for sub in subs]
        # One script per run and one publish: the record (as created, Queued) is what the caller shows. Should
        # the publish fail, the runs are still recorded and the reaper publishes them after service.requeueAfter.
        with _Publisher(self.dispatcher, background=len(news) > _CHUNK) as publisher:
            created: list[Created] = []
            for start in range(0, len(news), _CHUNK):
                chunk = news[start:start + _CHUNK]
                made = self.store.create_runs(chunk)
                created += made
                by_queue: dict[str, list[str]] = {}
                for new, outcome in zip(chunk, made, strict=True):
                    if outcome.created:
                        by_queue.setdefault(new.queue, []).append(outcome.run_id)
                for queue, run_ids in by_queue.items():
                    publisher.publish(run_ids, queue)
        return created

    def precheck(self, sub: Submission) -> None:
        """Reject a run whose task is invalid before it is queued (HTTP 422), where that can be known:
        encoded tasks, ``--cmd`` and builds. A task file inside a context is checked by the worker."""
        request = sub.request
        if request.kind == "file":
            return
        probe = RunRecord(run_id=f"{self.settings.run_id_prefix}0", status=RunStatus.QUEUED,
                          run_type=sub.run_type, request=request)
        job: RunJob = job_from_record(probe, sub.secrets)
        run = run_info_for(job, run_id=probe.run_id, context=None, now=datetime.now(UTC))
        inputs = compile_inputs_for(job, self.engine, run=run, context_dir=None, host_files=False, environ={})
        try:
            compiler.compile_task(replace(inputs, load_alias_source=_no_context_loader))
        except _ContextNeeded:
            return

    # -- read -------------------------------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        if not RUN_ID.fullmatch(run_id):
            raise NotFoundError(f"run {run_id!r} not found")
        record = self.store.get_run(run_id)
        if record is None:
            raise NotFoundError(f"run {run_id!r} not found")
        return record

    def list(self, *, task: str | None = None, status: str | None = None, trigger: str | None = None,
             top: int = 15, cursor: int | None = None) -> RunPage:
        try:
            run_status = RunStatus(status) if status else None
        except ValueError:
            raise UsageError(f"unknown run status {status!r}; expected one of "
                             f"{', '.join(s.value for s in RunStatus)}") from None
        try:
            run_trigger = Trigger(trigger) if trigger else None
        except ValueError:
            raise UsageError(f"unknown trigger {trigger!r}; expected one of "
                             f"{', '.join(t.value for t in Trigger)}") from None
        if not 1 <= top <= 1000:
            raise UsageError("top must be between 1 and 1000")
        return self.store.list_runs(task=task or None, status=run_status, trigger=run_trigger, top=top,
                                    cursor=cursor)

    def queue_info(self, record: RunRecord) -> QueueInfo | None:
        if record.status is not RunStatus.QUEUED:
            return None
        position, length = self.store.queue_position(record.queue, record.run_id)
        return QueueInfo(record.queue, position, length, self.store.workers(),
                         self.store.parked(record.run_id, record.task))

    def describe(self, record: RunRecord) -> dict[str, Any]:
        """The run as the API returns it: ACR's fields, plus why it waits when it is queued."""
        data = record.to_dict()
        info = self.queue_info(record)
        if info is not None:
            data["queueInfo"] = info.to_dict()
        return data

    # -- cancel -----------------------------------------------------------------------------------------------

    def cancel(self, run_id: str) -> RunRecord:
        """Idempotent: a queued run is canceled at once, a running one is stopped by its worker (within about
        a second), a finished one is left as it is."""
        self.get(run_id)
        outcome = self.store.request_cancel(run_id)
        record = self.get(run_id)
        if outcome == "Canceled":  # it ended without ever starting: whoever waits for its start must not
            for hook in self.ended_unstarted:
                hook(record)
        return record
