"""The one door through which the executor talks to a sink: stamps time, masks secrets, splits output lines.

Why one door: masking is only trustworthy if nothing can reach a sink around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tasks_engine.runtime.events import Event, EventSink, LogLine
from tasks_engine.runtime.masking import LineBuffer, SecretMasker


class RunLog:
    def __init__(self, sink: EventSink, masker: SecretMasker, clock: Callable[[], datetime]) -> None:
        self.sink = sink
        self.masker = masker
        self.clock = clock

    def engine(self, text: str) -> None:
        """An engine line (ACR's ``log.Printf``): printed with a timestamp prefix by the console sink."""
        self.sink.emit(LogLine(time=self.clock(), text=self.masker.mask(text)))

    def event(self, event: Event) -> None:
        self.sink.emit(event)

    def output(self, step_id: str) -> LineBuffer:
        """A line buffer for one attempt's output; call ``flush`` when the attempt ends."""

        def emit(line: str) -> None:
            self.sink.emit(LogLine(time=self.clock(), text=line, step_id=step_id))

        return self.masker.line_buffer(emit)

    def mask(self, text: str) -> str:
        return self.masker.mask(text)
