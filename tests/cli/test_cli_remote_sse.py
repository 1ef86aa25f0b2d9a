"""The SSE parser the CLI follows logs with: WHATWG framing, ids kept across events, never an exception."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.cli.remote.sse import Event, EventParser

_BREAK = re.compile(r"\r\n|\r|\n")

names = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), min_size=1, max_size=12)
datas = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
ids = st.none() | st.text(st.characters(blacklist_characters="\0\r\n", blacklist_categories=("Cs",)), max_size=10)


def encode(name: str, data: str, event_id: str | None) -> str:
    """The server side of the framing (as any conforming writer produces it)."""
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines.append(f"event: {name}")
    lines += [f"data: {line}" for line in _BREAK.split(data)]
    return "\n".join(lines) + "\n\n"


def feed(parser: EventParser, stream: str) -> list[Event]:
    events = []
    for line in _BREAK.split(stream):
        event = parser.feed(line)
        if event is not None:
            events.append(event)
    return events


@given(st.lists(st.tuples(names, datas, ids), max_size=8), st.sampled_from(["\n", "\r\n", "\r"]))
def test_round_trip_of_any_events(items: list[tuple[str, str, str | None]], newline: str) -> None:
    stream = "".join(encode(*item) for item in items).replace("\n", newline)
    events = feed(EventParser(), stream)
    assert [(e.event, e.data) for e in events] == [(n, "\n".join(_BREAK.split(d))) for n, d, _ in items]
    last: str | None = None
    for event, (_, _, event_id) in zip(events, items, strict=True):
        last = event_id if event_id is not None else last
        assert event.id == last  # an event without an id keeps the last one, as EventSource does


@given(st.lists(st.text(max_size=40), max_size=30))
def test_arbitrary_lines_never_raise_and_ids_stay_clean(lines: list[str]) -> None:
    parser = EventParser()
    for line in lines:
        event = parser.feed(line.replace("\n", "").replace("\r", ""))
        assert event is None or isinstance(event.data, str)
    assert parser.last_id is None or "\0" not in parser.last_id


def test_comments_retry_and_field_forms() -> None:
    parser = EventParser(last_id="7")
    events = feed(parser, "retry: 2000\n\n: ping\n\nevent:eof\ndata:{\"a\": 1}\n\nid\ndata\n\n")
    assert parser.retry_ms == 2000
    assert events[0] == Event(event="eof", data='{"a": 1}', id="7")
    assert events[1] == Event(event="message", data="", id="")  # a bare "id" resets it, a bare "data" is empty


def test_an_event_without_data_is_not_dispatched() -> None:
    parser = EventParser()
    assert feed(parser, "event: status\nid: 5\n\n") == []
    assert parser.last_id == "5"
