"""A server-sent events parser (the WHATWG ``text/event-stream`` rules), fed one line at a time.

Why our own: the log endpoint is the only stream we read, the format is forty lines of rules, and the
parser must keep the last event id across reconnects (the byte offset a resumed follow starts from), which
is state the caller owns. Lines arrive without their terminator (httpx's ``iter_lines`` splits on CR, LF
and CRLF, as the spec does).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str | None = None


class EventParser:
    """``feed(line)`` returns the event a blank line completes, else None. ``last_id`` and ``retry_ms``
    persist across events, as a browser's EventSource keeps them across reconnects."""

    def __init__(self, *, last_id: str | None = None) -> None:
        self.last_id = last_id
        self.retry_ms: int | None = None
        self._event = ""
        self._data: list[str] = []
        self._has_data = False

    def feed(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Event | None:
        event, data, has_data = self._event or "message", "\n".join(self._data), self._has_data
        self._event, self._data, self._has_data = "", [], False
        if not has_data:
            return None
        return Event(event=event, data=data, id=self.last_id)
