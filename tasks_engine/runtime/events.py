"""Executor events: plain data a sink can print, store in memory, or append to a Redis stream.

Why events instead of callbacks per concern: the CLI, the worker and the tests all want the same facts (a step
started, a log line, a step finished, the run finished) in the same order; one ``EventSink.emit`` keeps the
executor ignorant of where they go. Log text reaching a sink has already been masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tasks_engine.runtime.results import RunResult, StepResult


@dataclass(frozen=True)
class LogLine:
    """One line of log output. ``step_id`` None means an engine line (ACR's ``log.Printf`` lines, printed
    with a timestamp) unless ``plain``: the run's closing ``Run ID: ...`` line has no timestamp in ACR."""

    time: datetime
    text: str
    step_id: str | None = None
    plain: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "log", "time": self.time.isoformat(), "stepId": self.step_id, "text": self.text}


@dataclass(frozen=True)
class StepStarted:
    time: datetime
    step_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "step-started", "time": self.time.isoformat(), "stepId": self.step_id}


@dataclass(frozen=True)
class StepFinished:
    time: datetime
    result: StepResult

    def to_dict(self) -> dict[str, Any]:
        return {"type": "step-finished", "time": self.time.isoformat(), "step": self.result.to_dict()}


@dataclass(frozen=True)
class RunFinished:
    time: datetime
    result: RunResult

    def to_dict(self) -> dict[str, Any]:
        return {"type": "run-finished", "time": self.time.isoformat(), "run": self.result.to_dict()}


Event = LogLine | StepStarted | StepFinished | RunFinished


class EventSink(Protocol):
    """Must be thread-safe: parallel steps emit from several threads."""

    def emit(self, event: Event) -> None: ...
