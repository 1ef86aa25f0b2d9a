"""The worker's event sink: log lines batched into the run's stored log, step results into its record.

Why a buffer and a flusher thread (Woodpecker's line writer, Buildkite's 1 s chunks): step threads must never
wait for a Redis round trip per line, yet followers expect lines within a fraction of a second. Lines are
formatted exactly as the console prints them (ACR's format), collected, and written by one thread every
``interval`` seconds or as soon as ``batch_bytes`` are waiting, as whole lines.

Memory stays bounded: when ``max_pending`` bytes are waiting (Redis slow or restarting), emitting threads
wait for the flusher instead of growing the buffer, which in turn slows the container's output (Docker
buffers it). The sink never raises into the executor: a write refused because the lease was lost marks the
sink ``fenced`` (the supervisor then stops the run), and Redis errors are retried until ``close``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tasks_engine.errors import InfrastructureError
from tasks_engine.runtime.events import Event, LogLine, RunFinished, StepFinished, StepStarted
from tasks_engine.runtime.sinks import format_log_line
from tasks_engine.store import Claim, RedisStore

_LOG = logging.getLogger(__name__)


class StoreSink:
    def __init__(self, store: RedisStore, claim: Claim, *, interval: float = 0.05, batch_bytes: int = 256 << 10,
                 max_pending: int = 8 << 20, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._claim = claim
        self._interval = interval
        self._batch_bytes = batch_bytes
        self._max_pending = max_pending
        self._monotonic = monotonic
        self._lines: list[bytes] = []
        self._pending = 0
        self._steps: dict[str, dict[str, Any]] = {}
        self._steps_dirty = False
        self._step_durations: list[tuple[str, float]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._inflight = False
        self.fenced = False
        self.failures = 0
        self.bytes_written = 0
        self._thread = threading.Thread(target=self._run, name=f"log-{claim.run_id}", daemon=True)
        self._thread.start()

    # -- EventSink --------------------------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        try:
            if isinstance(event, LogLine):
                self._add_line((format_log_line(event) + "\n").encode("utf-8", "surrogateescape"))
            elif isinstance(event, StepStarted):
                with self._cond:
                    step = self._steps.setdefault(event.step_id, {"id": event.step_id})
                    step.update(status="inprogress", startTime=event.time.isoformat().replace("+00:00", "Z"))
                    self._steps_dirty = True
                    self._cond.notify_all()
            elif isinstance(event, StepFinished):
                data = event.result.to_dict()
                with self._cond:
                    self._steps[data["id"]] = data
                    self._steps_dirty = True
                    if event.result.start_time and event.result.finish_time:
                        seconds = (event.result.finish_time - event.result.start_time).total_seconds()
                        self._step_durations.append((data["status"], seconds))
                    self._cond.notify_all()
            elif isinstance(event, RunFinished):
                return
        except Exception:  # the executor must never see a sink's problem
            _LOG.exception("run %s: dropping an event the sink could not take", self._claim.run_id)

    def _add_line(self, data: bytes) -> None:
        with self._cond:
            while self._pending >= self._max_pending and not self._closed and not self.fenced:
                self._cond.wait(0.5)
            if self.fenced:
                return
            self._lines.append(data)
            self._pending += len(data)
            if self._pending >= self._batch_bytes:
                self._cond.notify_all()

    # -- the flusher ------------------------------------------------------------------------------------------

    def set_steps(self, steps: list[dict[str, Any]]) -> None:
        """Seed the step list (every step of the plan, ``skipped`` until it starts)."""
        with self._cond:
            for step in steps:
                self._steps.setdefault(step["id"], step)
            self._steps_dirty = True

    @property
    def steps(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(s) for s in self._steps.values()]

    def _take(self) -> tuple[list[bytes], list[dict[str, Any]] | None, list[tuple[str, float]]]:
        with self._cond:
            lines, self._lines = self._lines, []
            self._pending = 0
            steps = [dict(s) for s in self._steps.values()] if self._steps_dirty else None
            self._steps_dirty = False
            durations, self._step_durations = self._step_durations, []
            self._inflight = bool(lines or steps is not None or durations)
            self._cond.notify_all()
            return lines, steps, durations

    def _batches(self, lines: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        current: list[bytes] = []
        size = 0
        for line in lines:
            if current and size + len(line) > self._batch_bytes:
                out.append(b"".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line)
        if current:
            out.append(b"".join(current))
        return out

    def _write(self, lines: list[bytes], steps: list[dict[str, Any]] | None,
               durations: list[tuple[str, float]]) -> None:
        if lines and not self.fenced:
            chunks = self._batches(lines)
            for start in range(0, len(chunks), 16):
                size = self._store.append_log(self._claim.run_id, chunks[start:start + 16], claim=self._claim)
                if size < 0:
                    self.fenced = True
                    return
            self.bytes_written += sum(len(c) for c in chunks)
        if steps is not None and not self.fenced:
            started = any(s.get("status") != "skipped" for s in steps)
            ok = (self._store.update(self._claim, steps=steps, stepsStarted=1) if started
                  else self._store.update(self._claim, steps=steps))
            if not ok:
                self.fenced = True
        for status, seconds in durations:
            self._store.observe_step(status, seconds)

    def _run(self) -> None:
        while True:
            with self._cond:
                deadline = self._monotonic() + self._interval
                while not self._closed and self._pending < self._batch_bytes:
                    left = deadline - self._monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                closed = self._closed
            work = self._take()
            while True:
                try:
                    self._write(*work)
                    with self._cond:
                        self._inflight = False
                    break
                except InfrastructureError as exc:
                    self.failures += 1
                    _LOG.warning("run %s: log write failed, retrying: %s", self._claim.run_id, exc)
                    if self.fenced:
                        break
                    time.sleep(min(0.1 * self.failures, 2.0))
                    with self._cond:
                        if self._closed and self.failures > 50:
                            return
            with self._cond:
                self._inflight = False
                if closed and not self._lines and not self._steps_dirty:
                    return

    def flush(self) -> None:
        """Wait until everything emitted so far is written (or the sink is fenced)."""
        while True:
            with self._cond:
                idle = not self._lines and not self._steps_dirty and not self._inflight
                if idle or self.fenced or not self._thread.is_alive():
                    return
                self._cond.notify_all()
            time.sleep(self._interval / 2)

    def close(self, timeout: float = 60.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
