"""``execute_plan``: walk a ``RunPlan``'s DAG on a ``Backend`` and return a ``RunResult``.

Why a single main loop owning every clock: steps block inside the backend on their own threads, so something
else must notice a step timeout, the run timeout, a cancel request or a fail-fast, and it is simplest and
race-free when that is one thread that also owns all the bookkeeping. Step threads only report through a
queue; they never touch results. Stopping is always the same act: set the step's ``stop`` event.

Outcomes (spec §4.1, §4.8, §4.9):

* a step fails and does not ignore errors -> fail fast: nothing new starts, running steps are stopped,
  steps that never started stay ``skipped``; run ``Failed`` with ``failed to run step ID: <id>: <reason>``;
* step timeout -> that step fails with ``timed out`` (or is ignored with ``ignoreErrors``, as ACR does);
* run timeout -> ``Timeout``; ``cancel`` set -> ``Canceled``; an exception from the backend -> ``Error``;
* steps stopped because of another reason are ``failed`` with that reason; steps stopped during ``startDelay``
  never ran and stay ``skipped``;
* ``teardown`` runs exactly once, always, after the steps (even if ``setup`` raised). A teardown failure is
  logged as a warning and does not change the run status: ACR ignores cleanup errors too, and the steps'
  outcome is what the user asked about. Digests are looked up *before* teardown (the backend is still live).
* the per-step summary, digest population and dependency JSON are logged only after a successful run, as in
  ACR; a run that does not succeed ends with its error message as the last engine line.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tasks_engine.plan.model import RunPlan, StepSpec
from tasks_engine.runtime.backend import Backend
from tasks_engine.runtime.events import EventSink, RunFinished, StepFinished, StepStarted
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.runtime.results import OutputImage, RunError, RunResult, RunStatus, StepResult, StepStatus
from tasks_engine.runtime.runlog import RunLog
from tasks_engine.runtime.scheduler import DagState, PlanShapeError
from tasks_engine.runtime.stepper import StepOutcome, StepRunner
from tasks_engine.runtime.summary import (
    collect_output_images,
    go_json,
    populate_dependencies,
    summary_lines,
)

TIMED_OUT = "timed out"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Abort:
    status: RunStatus
    message: str
    step_id: str | None
    # What a running step that gets stopped because of this is told.
    step_note: str
    at: float


@dataclass
class _Running:
    spec: StepSpec
    stop: threading.Event
    thread: threading.Thread
    started_at: float | None = None
    deadline: float | None = None
    timed_out: bool = False


@dataclass
class _Started:
    step_id: str
    at: float
    time: datetime


@dataclass
class _Done:
    step_id: str
    outcome: StepOutcome
    at: float
    time: datetime


@dataclass
class ExecutorOptions:
    max_parallel: int | None = None
    total_timeout: float | None = None
    time_scale: float = 1.0
    poll_interval: float = 0.05
    stop_grace: float = 30.0
    cancel: threading.Event | None = None
    clock: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic


class _Run:
    def __init__(self, plan: RunPlan, backend: Backend, log: RunLog, opts: ExecutorOptions) -> None:
        self.plan = plan
        self.backend = backend
        self.log = log
        self.opts = opts
        self.results = {s.id: StepResult(id=s.id) for s in plan.steps}
        self.elapsed: dict[str, float] = {}
        self.dependencies: dict[str, list[dict[str, Any]]] = {}
        self.running: dict[str, _Running] = {}
        self.inbox: queue.Queue[_Started | _Done] = queue.Queue()
        self.abort: _Abort | None = None
        self.dag = DagState(plan.steps)
        self.start_mono = opts.monotonic()
        total = opts.total_timeout
        self.run_deadline = self.start_mono + total * opts.time_scale if total and total > 0 else None

    # -- stopping --------------------------------------------------------------------------------------------

    def stop_all(self, status: RunStatus, message: str, *, step_id: str | None, step_note: str) -> None:
        if self.abort is None:
            self.abort = _Abort(status, self.log.mask(message), step_id, step_note, self.opts.monotonic())
        for running in self.running.values():
            running.stop.set()

    # -- the loop --------------------------------------------------------------------------------------------

    def loop(self) -> None:
        while True:
            self._check_clocks()
            if self.abort is None:
                self._launch_ready()
            if not self.running:
                return
            if self.abort is not None and self.opts.monotonic() - self.abort.at > self.opts.stop_grace:
                self._give_up_on_running()
                return
            try:
                message = self.inbox.get(timeout=self._wait_time())
            except queue.Empty:
                continue
            self._handle(message)
            while True:
                try:
                    self._handle(self.inbox.get_nowait())
                except queue.Empty:
                    break

    def _wait_time(self) -> float:
        wait = self.opts.poll_interval
        now = self.opts.monotonic()
        deadlines = [r.deadline for r in self.running.values() if r.deadline is not None and not r.timed_out]
        if self.run_deadline is not None:
            deadlines.append(self.run_deadline)
        for deadline in deadlines:
            wait = min(wait, deadline - now)
        return max(wait, 0.001)

    def _check_clocks(self) -> None:
        now = self.opts.monotonic()
        cancel = self.opts.cancel
        if cancel is not None and cancel.is_set():
            self.stop_all(RunStatus.CANCELED, "canceled", step_id=None, step_note="canceled")
        if self.run_deadline is not None and now >= self.run_deadline:
            self.stop_all(RunStatus.TIMEOUT, TIMED_OUT, step_id=None, step_note=f"{TIMED_OUT} (run timeout)")
        for running in self.running.values():
            if running.deadline is not None and now >= running.deadline and not running.timed_out:
                running.timed_out = True
                running.stop.set()

    def _launch_ready(self) -> None:
        cap = self.opts.max_parallel
        for step_id in self.dag.ready():
            if cap is not None and cap > 0 and len(self.running) >= cap:
                return
            self._launch(self.plan.step(step_id))

    def _launch(self, spec: StepSpec) -> None:
        stop = threading.Event()

        def started() -> None:
            now = self.opts.clock()
            self.log.event(StepStarted(time=now, step_id=spec.id))
            self.inbox.put(_Started(spec.id, self.opts.monotonic(), now))

        runner = StepRunner(
            spec,
            backend=self.backend,
            stop=stop,
            log=self.log,
            default_network=self.plan.default_network,
            time_scale=self.opts.time_scale,
            on_started=started,
        )

        def body() -> None:
            try:
                outcome = runner.run()
            except Exception as exc:  # a bug in a log sink or the runner itself: still report, never hang
                outcome = runner.outcome
                outcome.exception = exc
            self.inbox.put(_Done(spec.id, outcome, self.opts.monotonic(), self.opts.clock()))

        thread = threading.Thread(target=body, name=f"step-{spec.id}", daemon=True)
        self.dag.mark_started(spec.id)
        self.running[spec.id] = _Running(spec=spec, stop=stop, thread=thread)
        thread.start()

    # -- results ---------------------------------------------------------------------------------------------

    def _handle(self, message: _Started | _Done) -> None:
        running = self.running.get(message.step_id)
        if running is None:
            return
        result = self.results[message.step_id]
        if isinstance(message, _Started):
            running.started_at = message.at
            timeout = running.spec.timeout
            if timeout and timeout > 0:
                running.deadline = message.at + timeout * self.opts.time_scale
            result.status = StepStatus.RUNNING
            result.start_time = message.time
            if self.abort is not None:
                running.stop.set()
            return
        del self.running[message.step_id]
        if running.started_at is not None:
            self.elapsed[message.step_id] = message.at - running.started_at
        self._finish(running, message.outcome, result, message.time)

    def _finish(self, running: _Running, outcome: StepOutcome, result: StepResult, at: datetime) -> None:
        spec = running.spec
        result.attempts = outcome.attempts
        result.exit_code = outcome.exit_code
        result.image_id = outcome.image_id
        result.pushed = dict(outcome.pushed)
        result.platforms = list(outcome.platforms)
        if outcome.dependencies:
            self.dependencies[spec.id] = outcome.dependencies
        if outcome.started:
            result.finish_time = at
        stopped_by_run = outcome.stopped and not running.timed_out and self.abort is not None
        if outcome.exception is not None:
            reason = self.log.mask(str(outcome.exception) or type(outcome.exception).__name__)
            result.status, result.error = StepStatus.FAILED, reason
            self.stop_all(
                RunStatus.ERROR,
                f"failed to run step ID: {spec.id}: {reason}",
                step_id=spec.id,
                step_note="stopped after an infrastructure error",
            )
        elif not outcome.started:
            result.status = StepStatus.SKIPPED
        elif outcome.ok:
            result.status = StepStatus.SUCCESSFUL
            self.dag.mark_succeeded(spec.id)
        elif stopped_by_run:
            assert self.abort is not None
            result.status, result.error = StepStatus.FAILED, self.abort.step_note
        else:
            reason = TIMED_OUT if running.timed_out else self.log.mask(outcome.error or "failed")
            result.error = reason
            if spec.ignore_errors:
                self.log.engine(
                    f"Step ID: {spec.id} encountered an error: {reason}, "
                    "but is set to ignore errors. Continuing..."
                )
                result.status = StepStatus.SUCCESSFUL
                self.dag.mark_succeeded(spec.id)
            else:
                result.status = StepStatus.FAILED
                self.stop_all(
                    RunStatus.FAILED,
                    f"failed to run step ID: {spec.id}: {reason}",
                    step_id=spec.id,
                    step_note=f"stopped after step ID: {spec.id} failed",
                )
        self.log.event(StepFinished(time=self.opts.clock(), result=result))

    def _give_up_on_running(self) -> None:
        grace = self.opts.stop_grace
        for step_id, running in list(self.running.items()):
            self.log.engine(f"WARNING: step ID: {step_id} did not stop within {grace} seconds; abandoning it")
            result = self.results[step_id]
            result.status = StepStatus.FAILED
            result.error = "did not stop"
            if running.started_at is not None:
                self.elapsed[step_id] = self.opts.monotonic() - running.started_at
            self.log.event(StepFinished(time=self.opts.clock(), result=result))
        self.running.clear()

    def emit_skipped(self) -> None:
        for step_id in self.dag.never_started():
            self.log.event(StepFinished(time=self.opts.clock(), result=self.results[step_id]))


def execute_plan(
    plan: RunPlan,
    backend: Backend,
    *,
    sink: EventSink,
    cancel: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    max_parallel: int | None = None,
    secrets: Sequence[str] = (),
    total_timeout: float | None = None,
    time_scale: float = 1.0,
    poll_interval: float = 0.05,
    stop_grace: float = 30.0,
) -> RunResult:
    """Run every step of ``plan`` on ``backend``; a failing step is data in the result, never an exception.

    ``total_timeout`` overrides ``plan.total_timeout`` (``<= 0`` disables it). ``time_scale`` multiplies every
    duration taken from the plan (timeouts, delays) before waiting — tests use it to run "seconds" quickly;
    logs still show the plan's numbers. ``cancel`` may be set from any thread (Ctrl-C handler, a worker
    polling a cancel flag); it is checked every ``poll_interval`` seconds. After a stop, running steps get
    ``stop_grace`` seconds to return before they are abandoned (marked failed) and teardown proceeds.
    """
    opts = ExecutorOptions(
        max_parallel=max_parallel,
        total_timeout=plan.total_timeout if total_timeout is None else total_timeout,
        time_scale=time_scale,
        poll_interval=poll_interval,
        stop_grace=stop_grace,
        cancel=cancel,
        clock=clock,
        monotonic=monotonic,
    )
    log = RunLog(sink, SecretMasker(secrets), clock)
    start_time = clock()
    try:
        run = _Run(plan, backend, log, opts)
    except PlanShapeError as exc:
        return _finish_run(plan, log, start_time, RunStatus.ERROR, RunError(f"invalid run plan: {exc}"), [])
    try:
        status, error, output_images, dependencies = _drive(run)
    except BaseException:
        # KeyboardInterrupt or a bug: stop what runs, still clean up, then let it propagate.
        run.stop_all(RunStatus.CANCELED, "canceled", step_id=None, step_note="canceled")
        _teardown(plan, backend, log)
        raise
    _teardown(plan, backend, log)
    if error is not None:
        log.engine(error.message)
    steps = [run.results[s.id] for s in plan.steps]
    return _finish_run(
        plan, log, start_time, status, error, steps, output_images=output_images, dependencies=dependencies
    )


def _drive(run: _Run) -> tuple[RunStatus, RunError | None, list[OutputImage], list[dict[str, Any]]]:
    plan, backend, log = run.plan, run.backend, run.log
    try:
        backend.setup(plan, log=log.engine)
    except Exception as exc:
        reason = log.mask(str(exc) or type(exc).__name__)
        run.emit_skipped()
        return RunStatus.ERROR, RunError(f"failed to set up the run: {reason}"), [], []
    run.loop()
    run.emit_skipped()
    if run.abort is not None:
        abort = run.abort
        images = collect_output_images(plan, run.results, backend=None)
        return abort.status, RunError(abort.message, abort.step_id), images, []
    try:
        for line in summary_lines(plan, run.results, run.elapsed):
            log.engine(line)
        dependencies = populate_dependencies(plan, run.dependencies, backend, log)
        if dependencies:
            log.engine("The following dependencies were found:")
            log.engine("\n" + go_json(dependencies))
        images = collect_output_images(plan, run.results, backend=backend, dependencies=dependencies)
    except Exception as exc:
        reason = log.mask(str(exc) or type(exc).__name__)
        images = collect_output_images(plan, run.results, backend=None)
        return RunStatus.ERROR, RunError(f"failed to populate digests: {reason}"), images, []
    return RunStatus.SUCCEEDED, None, images, dependencies


def _teardown(plan: RunPlan, backend: Backend, log: RunLog) -> None:
    try:
        backend.teardown(plan)
    except Exception as exc:
        log.engine(f"WARNING: failed to clean up the run: {exc}")


def _finish_run(
    plan: RunPlan,
    log: RunLog,
    start_time: datetime,
    status: RunStatus,
    error: RunError | None,
    steps: list[StepResult],
    *,
    output_images: list[OutputImage] | None = None,
    dependencies: list[dict[str, Any]] | None = None,
) -> RunResult:
    result = RunResult(
        run_id=plan.run_id,
        status=status,
        start_time=start_time,
        finish_time=log.clock(),
        steps=steps or [StepResult(id=s.id) for s in plan.steps],
        output_images=output_images or [],
        dependencies=dependencies or [],
        error=error,
    )
    log.event(RunFinished(time=result.finish_time, result=result))
    return result
