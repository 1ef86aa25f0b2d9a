"""Server-sent events, as pure functions: framing (WHATWG "Server-sent events") and the log payload.

Log bytes travel as a JSON string so that ``\\r``, control characters and every byte survive the line-based
SSE framing. Bytes that are not UTF-8 (a step printing binary) are carried as lone surrogates U+DC80..U+DCFF,
Python's ``surrogateescape``: ``log_bytes(data)`` restores the exact bytes, so a client that concatenates the
events gets the log byte for byte, and the ``id`` (a byte offset) stays meaningful.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BAD_ID = re.compile(r"[\x00\r\n]")


def event(*, data: str, name: str | None = None, event_id: str | int | None = None) -> bytes:
    """One event; ``data`` with line breaks becomes several ``data:`` lines (joined by the client with LF)."""
    lines: list[str] = []
    if event_id is not None:
        text = str(event_id)
        if _BAD_ID.search(text):
            raise ValueError("an SSE id may not contain NUL, CR or LF")
        lines.append(f"id: {text}")
    if name:
        if _LINE_BREAK.search(name):
            raise ValueError("an SSE event name is one line")
        lines.append(f"event: {name}")
    lines += [f"data: {line}" for line in _LINE_BREAK.split(data)]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def comment(text: str = "ping") -> bytes:
    return f": {text}\n\n".encode()


def retry(milliseconds: int) -> bytes:
    return f"retry: {int(milliseconds)}\n\n".encode()


def json_data(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def log_data(chunk: bytes) -> str:
    """The JSON string for log bytes (see the module docstring)."""
    text = chunk.decode("utf-8", "surrogateescape")
    try:
        out = json.dumps(text, ensure_ascii=False)
        out.encode("utf-8")
        return out
    except UnicodeEncodeError:  # lone surrogates cannot be written as UTF-8: escape them (\\udcxx)
        return json.dumps(text, ensure_ascii=True)


def log_bytes(data: str) -> bytes:
    """The inverse of ``log_data``."""
    text = json.loads(data)
    if not isinstance(text, str):
        raise ValueError("a log event carries a JSON string")
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Event:
    name: str
    data: str
    event_id: str | None


def parse(stream: str) -> Iterator[Event | str]:
    """The events of a complete stream (``str`` items are comments and ``retry`` values), as a client sees
    them; tests and clients use it."""
    name, event_id, seen = "message", None, False
    data: list[str] = []
    for line in _LINE_BREAK.split(stream):
        if line == "":
            if seen:
                yield Event(name, "\n".join(data), event_id)
            name, data, event_id, seen = "message", [], None, False
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "":
            yield f":{value}"
        elif field == "retry":
            yield f"retry:{value}"
        elif field == "event":
            name, seen = value, True
        elif field == "data":
            data.append(value)
            seen = True
        elif field == "id":
            event_id, seen = value, True
