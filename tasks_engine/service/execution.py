"""A worker executing one run: claim it, hold its lease, run it through the shared runner, record the end.

Why here and not in the Celery task: none of this depends on Celery. The task (``workers/tasks.py``) passes
a run id and returns; everything that makes a run safe under crashes and redelivery is this module, tested
without a broker.

Guarantees this module keeps (the reaper and the store keep the rest; docs/service.md has the whole list):

* A run executes only after a successful ``claim`` (``Queued -> Started`` with a new fencing token), so a
  duplicate delivery of the same message, or a redelivery after a lost message, does nothing.
* While it runs, the supervisor renews the lease every ``leaseRenew`` seconds and looks for a cancel request
  every ``cancel_poll`` seconds. A cancel stops the executor (containers killed at once); a lost lease (the
  reaper took the run back) or renewals failing for longer than the lease minus one renewal interval stop it
  too and suppress every further write, so two executions of one run never overlap.
* Every container and network of the run is labelled with the lease token, so a sweep can tell the live
  execution's objects from those a dead one left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tasks_engine.backends.docker.sweep import remove_run_objects
from tasks_engine.config import EngineConfig, ServiceSettings
from tasks_engine.credentials import RegistryCredential
from tasks_engine.errors import DefinitionError, EngineError, InfrastructureError, TransientError
from tasks_engine.runtime.events import LogLine
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.runtime.results import RunResult, RunStatus
from tasks_engine.service.logsink import StoreSink
from tasks_engine.service.quick import BuildRequest
from tasks_engine.service.redact import nonempty
from tasks_engine.service.runner import OpenUpload, RunJob, job_secrets, prepare_run
from tasks_engine.source import GitAuth
from tasks_engine.store import Claim, LeaseState, RedisStore, RunRecord, RunSecrets

_LOG = logging.getLogger(__name__)

LABEL_LEASE = "tasks-engine.lease"
LABEL_WORKER = "tasks-engine.worker"
LABEL_INSTALLATION = "tasks-engine.installation"


def installation_scope(store: RedisStore) -> dict[str, str]:
    """The labels that say "this installation's" on a Docker daemon other installations may share."""
    return {LABEL_INSTALLATION: store.installation_id()}


def job_from_record(record: RunRecord, secrets: RunSecrets) -> RunJob:
    """The ``RunJob`` a stored request describes, with its decrypted secrets."""
    request = record.request
    if request is None:
        raise EngineError(f"run {record.run_id} has no stored request")
    build = None
    if request.kind == "build":
        data = request.build or {}
        build = BuildRequest(
            tags=tuple(data.get("tags") or ()), dockerfile=data.get("dockerfile"),
            build_args=tuple(data.get("buildArgs") or ()), secret_build_args=secrets.secret_build_args,
            target=data.get("target"), platform=data.get("platform"), no_cache=bool(data.get("noCache")),
            pull=bool(data.get("pull")), no_push=bool(data.get("noPush")),
        )
    return RunJob(
        run_id=record.run_id,
        task_file=(request.task_file or "acb.yaml") if request.kind == "file" else None,
        task_text=request.encoded_task if request.kind == "encoded" else None,
        task_filename=request.task_file or "<encoded task>",
        cmd=request.cmd if request.kind == "cmd" else None,
        build=build,
        context=request.context,
        values_file=request.values_file,
        values_text=request.encoded_values,
        set_values=request.set_values,
        set_secrets=secrets.set_secrets,
        registry=request.registry,
        commit=request.commit,
        branch=request.branch,
        repository=request.repository,
        git_tag=request.git_tag,
        triggered_by=request.triggered_by,
        task_name=request.task_name or record.task,
        credentials=tuple(RegistryCredential(c.registry, c.username, c.password) for c in secrets.credentials),
        git_auth=GitAuth(password=secrets.git_token) if secrets.git_token else None,
        timeout=request.timeout,
        max_parallel=request.max_parallel,
        untrusted=request.untrusted,
        refresh_images=updated_bases(record),
    )


def updated_bases(record: RunRecord) -> tuple[str, ...]:
    """``registry/repository:tag`` of each image whose update started this run (its ``imageUpdateTrigger``)."""
    images = (record.image_update_trigger or {}).get("images") or ()
    out = []
    for image in images:
        if isinstance(image, dict) and image.get("repository") and image.get("tag"):
            registry = f"{image['registry']}/" if image.get("registry") else ""
            out.append(f"{registry}{image['repository']}:{image['tag']}")
    return tuple(out)


class RunHooks(Protocol):
    """Told of every run's start and end (the trigger layer: dependency index and cascade)."""

    def started(self, record: RunRecord) -> None: ...

    def finished(self, record: RunRecord, status: RunStatus, *, dependencies: Sequence[Mapping[str, Any]] = (),
                 output_images: Sequence[Mapping[str, Any]] = ()) -> None: ...

    def ended_unstarted(self, record: RunRecord) -> None: ...


@dataclass
class WorkerContext:
    """What a worker process knows: settings, engine policy, who it is, how to fetch uploads, who to tell
    about runs (``hooks``) and how to publish a run that a finished one woke (``dispatch``)."""

    settings: ServiceSettings
    engine: EngineConfig
    worker_id: str
    open_upload: OpenUpload | None = None
    cancel_poll: float = 0.5
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    hooks: RunHooks | None = None
    dispatch: Callable[[str, str], None] | None = None


class Supervisor:
    """Renews the lease and watches for cancel; sets ``stop`` when the run must end early."""

    def __init__(self, store: RedisStore, claim: Claim, ctx: WorkerContext, stop: threading.Event,
                 sink: StoreSink | None = None) -> None:
        self._store = store
        self._claim = claim
        self._ctx = ctx
        self.stop = stop
        self.sink = sink
        self.lost = False
        self.canceled = False
        self.cut_off = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{claim.run_id}", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    @property
    def fenced(self) -> bool:
        return self.lost or self.cut_off or bool(self.sink and self.sink.fenced)

    def _loop(self) -> None:
        settings = self._ctx.settings
        last_ok = time.monotonic()
        next_renew = last_ok + settings.lease_renew
        # Stop before anyone else may take the run: the reaper waits for the lease to expire, measured from
        # the last renewal Redis accepted, which is no earlier than when we sent it.
        give_up_after = settings.lease_ttl - settings.lease_renew / 2
        while not self._done.wait(self._ctx.cancel_poll):
            now = time.monotonic()
            try:
                if now >= next_renew:
                    sent = now
                    state = self._store.renew(self._claim, lease_ttl=settings.lease_ttl)
                    last_ok = sent
                    next_renew = sent + settings.lease_renew
                    if state is LeaseState.LOST:
                        self._end("lost")
                    elif state is LeaseState.CANCEL:
                        self._end("cancel")
                elif self._store.run_field(self._claim.run_id, "cancel") == "1":
                    self._end("cancel")
            except InfrastructureError as exc:
                _LOG.warning("run %s: cannot reach Redis to renew the lease: %s", self._claim.run_id, exc)
                next_renew = now + 1.0
            if self.sink is not None and self.sink.fenced:
                self._end("lost")
            if time.monotonic() - last_ok > give_up_after:
                self._end("cut off")

    def _end(self, why: str) -> None:
        if why == "cancel":
            self.canceled = True
        elif why == "lost":
            self.lost = True
        else:
            self.cut_off = True
        if not self.stop.is_set():
            _LOG.warning("run %s: stopping (%s)", self._claim.run_id, why)
        self.stop.set()

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)


def _engine_line(sink: StoreSink, ctx: WorkerContext, text: str) -> None:
    sink.emit(LogLine(time=ctx.clock(), text=text))


def _finish(store: RedisStore, claim: Claim, status: RunStatus, message: str | None, supervisor: Supervisor,
            **documents: object) -> bool:
    """Record the end, retrying while Redis is away (for as long as the lease could still be ours)."""
    if supervisor.fenced:
        return False
    deadline = time.monotonic() + 30.0
    while True:
        try:
            return store.finish(claim, status, message=message, **documents)
        except TransientError:
            if time.monotonic() > deadline or supervisor.fenced:
                return False
            time.sleep(0.5)


def _problem_lines(exc: DefinitionError, masker: SecretMasker) -> list[str]:
    return [masker.mask(p.format()) for p in exc.problems]


def execute_claimed(store: RedisStore, claim: Claim, ctx: WorkerContext) -> RunStatus | None:
    """Run a claimed run to its end; returns the recorded status (None when fenced out)."""
    record = store.get_run(claim.run_id)
    if record is None:
        return None
    if ctx.hooks is not None:
        ctx.hooks.started(record)
    secrets = store.run_secrets(claim.run_id)
    stop = threading.Event()
    sink = StoreSink(store, claim)
    supervisor = Supervisor(store, claim, ctx, stop, sink).start()
    masker = SecretMasker(nonempty(secrets.values))
    status: RunStatus = RunStatus.ERROR
    message: str | None = None
    documents: dict[str, object] = {}
    try:
        job = job_from_record(record, secrets)
        masker = SecretMasker(job_secrets(job, ctx.engine))
        if claim.attempt > 1:
            _engine_line(sink, ctx, f"Attempt {claim.attempt} of {record.max_attempts} on {ctx.worker_id}")
            # What an earlier attempt left running on this Docker host stops before this one starts.
            remove_run_objects(claim.run_id, scope=installation_scope(store))
        if job.context:
            _engine_line(sink, ctx, "Downloading source code...")
        with prepare_run(job, engine=ctx.engine, host_files=False, open_upload=ctx.open_upload,
                         reuse_folder=True) as run:
            if job.context:
                _engine_line(sink, ctx, "Finished downloading source code")
            masker = run.masker
            for problem in run.warnings:
                _engine_line(sink, ctx, masker.mask(problem.format()))
            sink.set_steps([{"id": s.id, "status": "skipped"} for s in run.compiled.plan.steps])
            store.update(claim, status=RunStatus.RUNNING)
            labels = {LABEL_LEASE: str(claim.token), LABEL_WORKER: ctx.worker_id, **installation_scope(store)}
            result: RunResult = run.execute(sink=sink, cancel=stop, labels=labels, clock=ctx.clock)
        status = result.status
        if supervisor.canceled and status is not RunStatus.SUCCEEDED:
            status = RunStatus.CANCELED
        message = masker.mask(result.error.message) if result.error else None
        documents = {
            "steps": masker.mask_data([s.to_dict() for s in result.steps]),
            "outputImages": masker.mask_data([o.to_dict() for o in result.output_images]),
            "dependencies": masker.mask_data(result.dependencies),
        }
    except DefinitionError as exc:
        for line in _problem_lines(exc, masker):
            _engine_line(sink, ctx, line)
        status, message = RunStatus.FAILED, masker.mask(f"the task is invalid: {len(exc.problems)} problem(s)")
        sink.emit(LogLine(time=ctx.clock(), text=f"Run ID: {claim.run_id} failed after 0s. Error: {message}",
                          plain=True))
    except EngineError as exc:
        transient = isinstance(exc, InfrastructureError)
        status = RunStatus.ERROR if transient else RunStatus.FAILED
        message = masker.mask(str(exc))
        _engine_line(sink, ctx, f"Error: {message}")
        sink.emit(LogLine(time=ctx.clock(), text=f"Run ID: {claim.run_id} failed after 0s. Error: {message}",
                          plain=True))
    except Exception as exc:  # a bug: still end the run, with a reason, instead of leaving it to the reaper
        _LOG.exception("run %s: internal error", claim.run_id)
        status, message = RunStatus.ERROR, masker.mask(f"internal error: {type(exc).__name__}: {exc}")
        _engine_line(sink, ctx, message)
    finally:
        sink.close()
        supervisor.close()
    if "steps" not in documents:
        documents["steps"] = masker.mask_data(sink.steps)
    if not _finish(store, claim, status, message, supervisor, **documents):
        return None
    _after_finish(store, ctx, record, status, documents)
    return status


def _after_finish(store: RedisStore, ctx: WorkerContext, record: RunRecord, status: RunStatus,
                  documents: Mapping[str, object]) -> None:
    """Publish the runs this run's freed slot woke (``--max-concurrent-runs``), then tell the hooks: the
    index and the cascade learn what the run was built on and pushed."""
    if ctx.dispatch is not None:
        try:
            for run_id in store.take_woken():
                ctx.dispatch(run_id, store.run_field(run_id, "queue") or ctx.settings.default_queue)
        except EngineError as exc:  # the reaper publishes them after service.requeueAfter
            _LOG.warning("run %s: could not publish the runs it woke: %s", record.run_id, exc)
    if ctx.hooks is not None:
        deps, outputs = documents.get("dependencies"), documents.get("outputImages")
        ctx.hooks.finished(record, status, dependencies=deps if isinstance(deps, list) else [],
                           output_images=outputs if isinstance(outputs, list) else [])


def run_one(store: RedisStore, run_id: str, ctx: WorkerContext) -> RunStatus | None:
    """The whole worker-side life of one delivery: claim (or skip a duplicate), execute, record."""
    claim = store.claim(run_id, worker=ctx.worker_id, lease_ttl=ctx.settings.lease_ttl)
    if claim is None:
        _LOG.info("run %s: not queued any more (already taken, finished, canceled or waiting); skipping", run_id)
        if ctx.hooks is not None:
            record = store.get_run(run_id)
            if record is not None and record.status is RunStatus.CANCELED and record.start_time is None:
                ctx.hooks.ended_unstarted(record)  # its task was disabled while it was queued
        return None
    return execute_claimed(store, claim, ctx)
