"""SSE framing and the log payload: exact bytes survive, ids are offsets, a stream parses back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.api import sse


def test_an_event_has_id_name_and_data_lines_and_ends_with_a_blank_line() -> None:
    assert sse.event(name="log", data='"a\\nb"', event_id=12) == b'id: 12\nevent: log\ndata: "a\\nb"\n\n'
    assert sse.event(data="one\ntwo\r\nthree") == b"data: one\ndata: two\ndata: three\n\n"
    assert sse.comment() == b": ping\n\n"
    assert sse.retry(2000) == b"retry: 2000\n\n"


def test_ids_and_names_cannot_break_the_framing() -> None:
    with pytest.raises(ValueError, match="id"):
        sse.event(data="x", event_id="1\n2")
    with pytest.raises(ValueError, match="name"):
        sse.event(data="x", name="log\nevent: eof")


def test_log_data_is_one_json_line_and_utf8_stays_readable() -> None:
    data = sse.log_data("step ✓ done\r\n".encode())
    assert "\n" not in data and "\r" not in data
    assert data == '"step ✓ done\\r\\n"'
    assert sse.log_bytes(data) == "step ✓ done\r\n".encode()


@given(st.binary(max_size=300))
def test_any_bytes_round_trip_through_an_event(chunk: bytes) -> None:
    frame = sse.event(name="log", data=sse.log_data(chunk), event_id=len(chunk)).decode("utf-8")
    (parsed,) = list(sse.parse(frame))
    assert isinstance(parsed, sse.Event)
    assert (parsed.name, parsed.event_id) == ("log", str(len(chunk)))
    assert sse.log_bytes(parsed.data) == chunk


def test_a_stream_parses_into_events_comments_and_retry() -> None:
    stream = (sse.retry(2000) + sse.event(name="status", data='{"status":"Queued"}') + sse.comment()
              + sse.event(name="log", data=sse.log_data(b"hi\n"), event_id=3)
              + sse.event(name="eof", data='{"status":"Succeeded"}')).decode()
    items = list(sse.parse(stream))
    assert items[0] == "retry:2000"
    assert items[1] == sse.Event("status", '{"status":"Queued"}', None)
    assert items[2] == ":ping"
    assert items[3] == sse.Event("log", '"hi\\n"', "3")
    assert items[4] == sse.Event("eof", '{"status":"Succeeded"}', None)
