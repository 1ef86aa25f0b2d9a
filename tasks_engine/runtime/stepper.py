"""One step, start to end, on the step's own thread: start delay, repeat x retries, push, output masking.

Why the step does not watch its own timeout: it spends its life blocked inside ``backend.run_attempt``. The
executor's main loop owns every clock (step timeout, run timeout, cancel) and sets the step's ``stop`` event;
everything here waits on that same event (``stop.wait(delay)``), so a stop interrupts an attempt, a retry
delay or a start delay alike. Semantics follow ACR's ``RunRepeatWithRetries`` (spec §4.8).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.plan.model import StepSpec, StepType
from tasks_engine.runtime.backend import AttemptResult, Backend
from tasks_engine.runtime.runlog import RunLog


@dataclass
class StepOutcome:
    """What happened to a step, as the step thread saw it; the executor turns it into a ``StepResult``."""

    started: bool = False
    ok: bool = False
    stopped: bool = False
    errors: list[str] = field(default_factory=list)
    attempts: int = 0
    exit_code: int | None = None
    image_id: str | None = None
    pushed: dict[str, str] = field(default_factory=dict)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    exception: Exception | None = None

    @property
    def error(self) -> str:
        return ", ".join(self.errors)


class _OutputMatcher:
    """Remembers whether the attempt's raw output contained any ``retryOnErrors`` substring, across chunks."""

    def __init__(self, needles: list[str]) -> None:
        self._needles = [n for n in needles if n]
        self._keep = max((len(n) for n in self._needles), default=1) - 1
        self._tail = ""
        self.found = False

    def feed(self, chunk: str) -> None:
        if self.found or not self._needles:
            return
        text = self._tail + chunk
        if any(n in text for n in self._needles):
            self.found = True
        self._tail = text[-self._keep :] if self._keep else ""


def attempt_error(result: AttemptResult) -> str:
    if result.error:
        return result.error
    if result.exit_code is not None:
        return f"exit status {result.exit_code}"
    return "failed"


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class StepRunner:
    def __init__(
        self,
        spec: StepSpec,
        *,
        backend: Backend,
        stop: threading.Event,
        log: RunLog,
        default_network: str | None,
        time_scale: float,
        on_started: Callable[[], None],
    ) -> None:
        self.spec = spec
        self.backend = backend
        self.stop = stop
        self.log = log
        self.default_network = default_network
        self.time_scale = time_scale
        self.on_started = on_started
        self.outcome = StepOutcome()

    def run(self) -> StepOutcome:
        spec = self.spec
        network = spec.network or self.default_network or ""
        self.log.engine(
            f"Executing step ID: {spec.id}. Timeout(sec): {_fmt_seconds(spec.timeout)}, "
            f"Working directory: '{spec.working_directory or ''}', Network: '{network}'"
        )
        if spec.start_delay > 0:
            delay = _fmt_seconds(spec.start_delay)
            self.log.engine(f"Waiting {delay} seconds before executing step ID: {spec.id}")
            if self.stop.wait(spec.start_delay * self.time_scale):
                self.outcome.stopped = True
                return self.outcome
        if self.stop.is_set():
            self.outcome.stopped = True
            return self.outcome
        self.outcome.started = True
        self.on_started()
        try:
            if spec.type is StepType.PUSH:
                self._run_push()
            else:
                self._run_repeat()
        except Exception as exc:  # any backend bug or breakage ends the run as Error, never as a traceback
            self.outcome.exception = exc
        return self.outcome

    def _attempt(self) -> tuple[AttemptResult, bool]:
        """One backend attempt with masked, line-buffered output; returns the result and whether the output
        matched ``retryOnErrors``."""
        self.outcome.attempts += 1
        buffer = self.log.output(self.spec.id)
        matcher = _OutputMatcher(self.spec.retry_on_errors)

        def write(chunk: str) -> None:
            matcher.feed(chunk)
            buffer.write(chunk)

        try:
            result = self.backend.run_attempt(
                self.spec, attempt=self.outcome.attempts, log=write, stop=self.stop
            )
        finally:
            buffer.flush()
        if result.error:
            matcher.feed("\n" + result.error)
        self._record(result)
        return result, matcher.found

    def _record(self, result: AttemptResult) -> None:
        out = self.outcome
        if result.exit_code is not None:
            out.exit_code = result.exit_code
        if result.image_id:
            out.image_id = result.image_id
        out.pushed.update(result.pushed)
        if result.platforms:
            out.platforms = list(result.platforms)
        if result.dependencies:
            out.dependencies = list(result.dependencies)

    def _run_push(self) -> None:
        """Push steps ignore retries/retryDelay/repeat: the backend retries each push itself (ACR: 3
        tries)."""
        result, _ = self._attempt()
        if result.stopped or (self.stop.is_set() and not result.ok):
            self.outcome.stopped = True
            self.outcome.errors.append(attempt_error(result))
            return
        if result.ok:
            self.outcome.ok = True
        else:
            self.outcome.errors.append(attempt_error(result))

    def _run_repeat(self) -> None:
        for _ in range(max(self.spec.repeat, 0) + 1):
            error = self._run_with_retries()
            if self.outcome.stopped:
                return
            if error is not None:
                self.outcome.errors.append(error)
        self.outcome.ok = not self.outcome.errors

    def _run_with_retries(self) -> str | None:
        spec = self.spec
        retries = max(spec.retries, 0)
        error: str | None = None
        for attempt in range(retries + 1):
            if self.stop.is_set():
                self._stopped(error)
                return error
            self.log.engine(f"Launching container with name: {spec.id}")
            result, matched = self._attempt()
            if result.ok and not result.stopped:
                self.log.engine(f"Successfully executed container: {spec.id}")
                return None
            error = attempt_error(result)
            if result.stopped or self.stop.is_set():
                self._stopped(error)
                return error
            may_retry = attempt < retries and (not spec.retry_on_errors or matched)
            if not may_retry:
                self.log.engine(f"Container failed during run: {spec.id}. No retries remaining.")
                return error
            self.log.engine(
                f"Container failed during run: {spec.id}, waiting {_fmt_seconds(spec.retry_delay)} "
                "seconds before retrying..."
            )
            if self.stop.wait(max(spec.retry_delay, 0) * self.time_scale):
                self._stopped(error)
                return error
        return error

    def _stopped(self, error: str | None) -> None:
        self.outcome.stopped = True
        if error is not None:
            self.outcome.errors.append(error)
