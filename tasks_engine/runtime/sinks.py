"""Event sinks: the console (ACR's log format), memory (tests, the service), and a tee.

Why ACR's format on the console: people diff our logs against ACR's and grep them with the same patterns.
Engine lines carry Go's ``log.Printf`` prefix ``YYYY/MM/DD HH:MM:SS`` in UTC; step output is printed raw, as
the ``docker run`` child process output is in ACR. Every sink is thread-safe because parallel steps emit at
once.
"""

from __future__ import annotations

import threading
from datetime import UTC
from typing import TextIO, TypeVar

from tasks_engine.runtime.events import Event, EventSink, LogLine

E = TypeVar("E")


def format_log_line(line: LogLine, *, timestamps: bool = True) -> str:
    if line.step_id is not None or line.plain or not timestamps:
        return line.text
    stamp = line.time.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")
    return f"{stamp} {line.text}"


class ConsoleSink:
    """Prints log lines to a text stream; other events are facts for machines and are not printed."""

    def __init__(self, stream: TextIO, *, timestamps: bool = True) -> None:
        self._stream = stream
        self._timestamps = timestamps
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        if not isinstance(event, LogLine):
            return
        text = format_log_line(event, timestamps=self._timestamps)
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()


class MemorySink:
    """Keeps every event in order; the helpers answer the questions tests and the service ask most."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def of_type(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def lines(self) -> list[LogLine]:
        return self.of_type(LogLine)

    def texts(self, *, step_id: str | None = None, engine: bool | None = None) -> list[str]:
        """Log texts; ``engine=True`` only engine lines, ``engine=False`` only step output (of one step if
        ``step_id`` is given)."""
        out: list[str] = []
        for line in self.lines():
            if engine is True and line.step_id is not None:
                continue
            if engine is False and line.step_id is None:
                continue
            if step_id is not None and line.step_id != step_id:
                continue
            out.append(line.text)
        return out

    def render(self, *, timestamps: bool = False) -> str:
        return "".join(format_log_line(line, timestamps=timestamps) + "\n" for line in self.lines())


class TeeSink:
    """Sends each event to several sinks, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self._sinks:
            sink.emit(event)
