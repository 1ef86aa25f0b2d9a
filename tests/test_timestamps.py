"""The one reader of the service's ISO times: round trips in UTC, and anything else is no time, never an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.timestamps import parse_utc


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_z_time_reads_back_as_the_same_moment(moment: datetime) -> None:
    text = moment.isoformat().replace("+00:00", "Z")
    assert parse_utc(text) == moment


def test_a_time_without_a_zone_is_utc_and_an_offset_is_kept() -> None:
    assert parse_utc("2026-12-01T20:20:36") == datetime(2026, 12, 1, 20, 20, 36, tzinfo=UTC)
    assert parse_utc("2026-12-01T21:20:36+01:00") == datetime(2026, 12, 1, 21, 20, 36,
                                                              tzinfo=timezone(timedelta(hours=1)))


@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()))
def test_garbage_is_no_time(value: object) -> None:
    parsed = parse_utc(value)
    assert parsed is None or parsed.tzinfo is not None
