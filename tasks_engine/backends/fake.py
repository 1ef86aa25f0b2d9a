"""A scripted backend for executor tests: every failure path the real Docker backend can produce, on demand.

Why ship it in the package (not in tests/): the contract in ``runtime/backend.py`` is only trustworthy if a
reference implementation exercises it, and the service and CLI tests will want the same fake later.

A script says, per step id and per attempt, what the attempt does: emit log chunks (the test chooses the chunk
boundaries, e.g. a secret split across two chunks), wait, then exit with a code, fail to start, raise an
infrastructure exception, hang until stopped, or report pushed images / dependencies. Attempts beyond the
scripted list repeat the last entry (attempts are numbered from 1 across all repeats of a step). Every call
is recorded with monotonic timestamps, and ``stop`` is honoured within a few milliseconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.plan.model import RunPlan, StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter


@dataclass
class AttemptScript:
    """What one attempt does, in order: emit ``chunks``, raise ``raises``, wait ``delay`` (or until stopped
    when ``hang``), then return. ``start_error`` makes the attempt fail at once without an exit code (a
    missing image, a refused container create)."""

    exit_code: int = 0
    delay: float = 0.0
    chunks: Sequence[str] = ()
    start_error: str | None = None
    error: str | None = None
    raises: BaseException | None = None
    hang: bool = False
    image_id: str | None = None
    pushed: Mapping[str, str] = field(default_factory=dict)
    dependencies: Sequence[dict[str, Any]] = ()


def ok(delay: float = 0.0, *chunks: str, **kwargs: Any) -> AttemptScript:
    return AttemptScript(exit_code=0, delay=delay, chunks=chunks, **kwargs)


def fail(exit_code: int = 1, delay: float = 0.0, *chunks: str, **kwargs: Any) -> AttemptScript:
    return AttemptScript(exit_code=exit_code, delay=delay, chunks=chunks, **kwargs)


def hang(*chunks: str) -> AttemptScript:
    return AttemptScript(hang=True, chunks=chunks)


def crash(exc: BaseException, *chunks: str) -> AttemptScript:
    return AttemptScript(raises=exc, chunks=chunks)


def exits(*codes: int, delay: float = 0.0) -> list[AttemptScript]:
    """A sequence of attempts ending with these exit codes."""
    return [AttemptScript(exit_code=c, delay=delay) for c in codes]


@dataclass
class AttemptRecord:
    step_id: str
    attempt: int
    started: float
    finished: float | None = None
    stopped: bool = False
    ok: bool | None = None


Script = AttemptScript | Sequence[AttemptScript]


class FakeBackend:
    """Implements the ``Backend`` protocol from scripts; thread-safe; records everything it is asked to do."""

    def __init__(
        self,
        scripts: Mapping[str, Script] | None = None,
        *,
        default: AttemptScript | None = None,
        digests: Mapping[str, str] | None = None,
        setup_error: BaseException | None = None,
        teardown_error: BaseException | None = None,
        digest_error: BaseException | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._scripts: dict[str, list[AttemptScript]] = {}
        for step_id, script in (scripts or {}).items():
            self._scripts[step_id] = [script] if isinstance(script, AttemptScript) else list(script)
        self._default = default or AttemptScript()
        self._digests = dict(digests or {})
        self._setup_error = setup_error
        self._teardown_error = teardown_error
        self._digest_error = digest_error
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._active = 0
        self.max_concurrent = 0
        self.calls: list[tuple[str, str | None]] = []
        self.attempts: list[AttemptRecord] = []
        self.setup_calls = 0
        self.teardown_calls = 0
        self.digest_queries: list[str] = []
        self.detached: list[str] = []

    # -- queries for tests -----------------------------------------------------------------------------------

    def attempts_of(self, step_id: str) -> list[AttemptRecord]:
        with self._lock:
            return [a for a in self.attempts if a.step_id == step_id]

    def stopped_steps(self) -> list[str]:
        with self._lock:
            return [a.step_id for a in self.attempts if a.stopped]

    def started_steps(self) -> list[str]:
        with self._lock:
            out: list[str] = []
            for a in self.attempts:
                if a.step_id not in out:
                    out.append(a.step_id)
            return out

    # -- Backend protocol ------------------------------------------------------------------------------------

    def setup(self, plan: RunPlan, *, log: Callable[[str], None] | None = None) -> None:
        with self._lock:
            self.setup_calls += 1
            self.calls.append(("setup", None))
        if self._setup_error is not None:
            raise self._setup_error

    def run_attempt(
        self, step: StepSpec, *, attempt: int, log: LogWriter, stop: threading.Event
    ) -> AttemptResult:
        script = self._script_for(step.id, attempt)
        record = AttemptRecord(step.id, attempt, self._monotonic())
        with self._lock:
            self.calls.append(("attempt", step.id))
            self.attempts.append(record)
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            result = self._play(step, script, log, stop)
            record.stopped = result.stopped
            record.ok = result.ok
            return result
        finally:
            record.finished = self._monotonic()
            with self._lock:
                self._active -= 1

    def digest_of(self, ref: str) -> str | None:
        with self._lock:
            self.digest_queries.append(ref)
        if self._digest_error is not None:
            raise self._digest_error
        return self._digests.get(ref)

    def teardown(self, plan: RunPlan) -> None:
        with self._lock:
            self.teardown_calls += 1
            self.calls.append(("teardown", None))
            self.detached.clear()
        if self._teardown_error is not None:
            raise self._teardown_error

    # -- internals -------------------------------------------------------------------------------------------

    def _script_for(self, step_id: str, attempt: int) -> AttemptScript:
        scripts = self._scripts.get(step_id)
        if not scripts:
            return self._default
        return scripts[min(attempt, len(scripts)) - 1]

    def _play(
        self, step: StepSpec, script: AttemptScript, log: LogWriter, stop: threading.Event
    ) -> AttemptResult:
        if stop.is_set():
            return AttemptResult(ok=False, error="stopped before start", stopped=True)
        if script.start_error is not None:
            return AttemptResult(ok=False, error=script.start_error)
        for chunk in script.chunks:
            log(chunk)
        if script.raises is not None:
            raise script.raises
        if step.detach:
            with self._lock:
                self.detached.append(step.id)
            return self._result(script, ok=True)
        if script.hang:
            stop.wait()
            return AttemptResult(ok=False, error="stopped", stopped=True)
        if script.delay > 0 and stop.wait(script.delay):
            return AttemptResult(ok=False, error="stopped", stopped=True)
        return self._result(script, ok=script.exit_code == 0)

    @staticmethod
    def _result(script: AttemptScript, *, ok: bool) -> AttemptResult:
        return AttemptResult(
            ok=ok,
            exit_code=script.exit_code,
            error=None if ok else (script.error or f"exit status {script.exit_code}"),
            image_id=script.image_id,
            pushed=dict(script.pushed) if ok else {},
            dependencies=[dict(d) for d in script.dependencies],
        )
