"""The log stream: byte offsets, whole reads, partial reads, the size cap and its marker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_support import new_run

from tasks_engine.store import LogRangeError, RedisStore


def _claimed(store: RedisStore) -> tuple[str, object]:
    run_id = new_run(store)
    claim = store.claim(run_id, worker="w", lease_ttl=60)
    assert claim is not None
    return run_id, claim


def test_reading_from_any_offset_returns_exactly_the_rest(store: RedisStore) -> None:
    run_id, claim = _claimed(store)
    chunks = [b"one\n", b"two\ntwo\n", "\u00e9t\u00e9\n".encode(), b"four\n"]
    assert store.append_log(run_id, chunks, claim=claim) == sum(map(len, chunks))  # type: ignore[arg-type]
    whole = b"".join(chunks)
    for offset in range(len(whole) + 1):
        piece = store.read_log(run_id, offset)
        assert piece.data == whole[offset:]
        assert piece.next_offset == len(whole)
    with pytest.raises(LogRangeError) as info:
        store.read_log(run_id, len(whole) + 1)
    assert info.value.size == len(whole)


def test_limit_pages_through_the_log(store: RedisStore) -> None:
    run_id, claim = _claimed(store)
    lines = [f"line {i}\n".encode() for i in range(200)]
    store.append_log(run_id, lines, claim=claim)  # type: ignore[arg-type]
    whole = b"".join(lines)
    got = b""
    offset = 0
    while True:
        piece = store.read_log(run_id, offset, limit=100)
        if not piece.data:
            break
        got += piece.data
        offset = piece.next_offset
    assert got == whole


# make_store is a factory: every example makes its own store.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"), min_size=1,
                max_size=15), st.data())
def test_offsets_are_stable_for_any_chunking(make_store: object, chunks: list[bytes], data: st.DataObject) -> None:
    store = make_store()  # type: ignore[operator]
    run_id, claim = _claimed(store)
    for chunk in chunks:
        store.append_log(run_id, [chunk], claim=claim)
    whole = b"".join(chunks)
    offset = data.draw(st.integers(0, len(whole)))
    assert store.read_log(run_id, offset).data == whole[offset:]


def test_the_cap_truncates_with_a_marker_and_the_closing_lines_still_arrive(make_store: object) -> None:
    store = make_store(log_max_bytes=50)  # type: ignore[operator]
    run_id, claim = _claimed(store)
    store.append_log(run_id, [b"a" * 30 + b"\n"], claim=claim)  # type: ignore[arg-type]
    store.append_log(run_id, [b"b" * 30 + b"\n"], claim=claim)  # type: ignore[arg-type]
    store.append_log(run_id, [b"c\n"], claim=claim)  # type: ignore[arg-type]
    store.append_log(run_id, [b"Run ID: x was successful after 1s\n"], claim=claim, force=True)  # type: ignore[arg-type]
    text = store.read_log(run_id).data.decode()
    assert text.count("log truncated") == 1
    assert "b" * 30 not in text and "\nc\n" not in text
    assert text.endswith("Run ID: x was successful after 1s\n")
    assert store.get_run(run_id).log_truncated  # type: ignore[union-attr]
