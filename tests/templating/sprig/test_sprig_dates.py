"""Go reference-time layouts, time parsing, durations and Sprig's date functions (injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sprig_helpers import NOW, call

from tasks_engine.templating.sprig import GoTime, format_go_time, parse_go_duration, parse_go_time
from tasks_engine.templating.sprig.dates import format_go_duration

# Go's reference time: Mon Jan 2 15:04:05 MST 2006 (-0700), plus 123456 µs for fractions.
REF = datetime(2006, 1, 2, 15, 4, 5, 123456, tzinfo=timezone(timedelta(hours=-7), "MST"))
PM_REF = datetime(2024, 3, 9, 0, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02", "2006-01-02"),
        ("20060102-150405", "20060102-150405"),
        ("Jan _2 15:04:05.000 MST", "Jan  2 15:04:05.123 MST"),
        ("Mon Jan _2 15:04:05 2006", "Mon Jan  2 15:04:05 2006"),  # ANSIC
        ("Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 02 Jan 2006 15:04:05 -0700"),  # RFC1123Z
        ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05-07:00"),  # RFC3339
        ("2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.123456-07:00"),
        ("Monday, 02-Jan-06 15:04:05 MST", "Monday, 02-Jan-06 15:04:05 MST"),
        ("January 2, 2006 3:04:05 PM", "January 2, 2006 3:04:05 PM"),
        ("3:04pm", "3:04pm"),
        ("06 1 2 3 4 5", "06 1 2 3 4 5"),
        ("002 __2", "002   2"),
        ("-07 -07:00:00 -070000 Z07 Z0700", "-07 -07:00:00 -070000 -07 -0700"),
        (".0 .00 ,000 .9 .99 .999999999", ".1 .12 ,123 .1 .12 .123456"),
        ("_2006", "_2006"),
        ("Month Monday", "Month Monday"),  # "Mon" followed by a lower-case letter is literal text
        ("Janet", "Janet"),
        ("no tokens here", "no tokens here"),
        ("", ""),
    ],
)
def test_format_go_time_reference(layout: str, expected: str) -> None:
    assert format_go_time(REF, layout) == expected


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("3:04:05 PM pm 03", "12:07:09 AM am 12"),
        ("Z07:00 Z0700 MST -0700", "Z Z UTC +0000"),
        ("Mon Monday Jan January 002", "Sat Saturday Mar March 069"),
        (".000 .999", ".000 "),
    ],
)
def test_format_go_time_utc(layout: str, expected: str) -> None:
    assert format_go_time(PM_REF, layout) == expected


def test_unnamed_fixed_zone_prints_numeric_abbreviation() -> None:
    t = datetime(2020, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert format_go_time(t, "MST -07:00") == "+0530 +05:30"


def test_parse_go_time() -> None:
    assert parse_go_time("2006-01-02", "2017-12-31") == datetime(2017, 12, 31, tzinfo=UTC)
    t = parse_go_time("2006-01-02T15:04:05Z07:00", "2021-06-01T10:20:30+02:00")
    assert t.utcoffset() == timedelta(hours=2)
    assert t.astimezone(UTC) == datetime(2021, 6, 1, 8, 20, 30, tzinfo=UTC)
    assert parse_go_time("2006 Jan _2 15:04:05.000", "2019 Feb  3 04:05:06.789").microsecond == 789000
    assert parse_go_time("2006-01-02 15:04:05", "2019-02-03 04:05:06.5").microsecond == 500000
    with pytest.raises(ValueError, match="year 0"):  # Go allows year 0; Python's datetime cannot hold it
        parse_go_time("15:04", "10:20")
    pm = parse_go_time("2006-01-02 3:04PM", "2020-02-29 12:30AM")
    assert (pm.hour, pm.minute, pm.day) == (0, 30, 29)


@pytest.mark.parametrize(
    ("layout", "value", "message"),
    [
        ("2006-01-02", "2017-13-01", "month out of range"),
        ("2006-01-02", "2017-02-30", "day out of range"),
        ("2006-01-02", "x", 'cannot parse "x" as "2006"'),
        ("2006-01-02", "2017-12-31 extra", 'extra text: " extra"'),
    ],
)
def test_parse_go_time_errors(layout: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_go_time(layout, value)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("300ms", 300_000_000),
        ("-1.5h", -5_400_000_000_000),
        ("2h45m", 9_900_000_000_000),
        ("1µs", 1000),
        ("1us", 1000),
        (".5s", 500_000_000),
        ("+3s", 3_000_000_000),
    ],
)
def test_parse_go_duration(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "1", "1x", ".s", "-", "1.5", "9999999999999999999h"])
def test_parse_go_duration_errors(text: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (125 * 10**9, "2m5s"),
        ((2 * 3600 + 34 * 60 + 17) * 10**9, "2h34m17s"),
        (-4 * 10**9, "-4s"),
        (3600 * 10**9, "1h0m0s"),
        (1_500_000, "1.5ms"),
        (1500, "1.5µs"),
        (7, "7ns"),
        (1_500_000_000, "1.5s"),
    ],
)
def test_format_go_duration(ns: int, text: str) -> None:
    assert format_go_duration(ns) == text


def test_now_comes_from_the_injected_clock() -> None:
    now = call("now")
    assert isinstance(now, GoTime)
    assert now == NOW
    assert now.go_string() == "2024-01-02 03:04:05.678901 +0000 UTC"


def test_date_functions() -> None:
    assert call("date", "2006-01-02", NOW) == "2024-01-02"
    assert call("date", "20060102-150405", 0) == "19700101-000000"
    assert call("date", "2006", "not a time") == "2024"  # Sprig: anything else means time.Now()
    assert call("dateInZone", "2006-01-02 15:04 MST", 0, "America/New_York") == "1969-12-31 19:00 EST"
    assert call("date_in_zone", "15:04 MST", 0, "Nowhere/Invalid") == "00:00 UTC"
    assert call("htmlDate", 1700000000) == "2023-11-14"
    assert call("htmlDateInZone", NOW, "Asia/Tokyo") == "2024-01-02"
    assert call("unixEpoch", datetime(2020, 1, 1, tzinfo=UTC)) == "1577836800"
    assert call("date", "2006-01-02", call("toDate", "2006-01-02", "2017-12-31")) == "2017-12-31"
    assert call("date", "02/01/2006", call("toDate", "2006-01-02", "2017-12-31")) == "31/12/2017"


def test_to_date_errors_give_the_zero_time() -> None:
    zero = call("toDate", "2006-01-02", "garbage")
    assert call("date", "2006-01-02 15:04:05 MST", zero) == "0001-01-01 00:00:00 UTC"
    assert call("unixEpoch", zero) == "-62135596800"


def test_date_modify_and_ago() -> None:
    assert call("dateModify", "-1.5h", NOW) == NOW - timedelta(hours=1.5)
    assert call("dateModify", "garbage", NOW) == NOW
    assert call("ago", NOW - timedelta(seconds=125)) == "2m5s"
    assert call("ago", NOW - timedelta(seconds=2 * 3600 + 34 * 60 + 17)) == "2h34m17s"
    assert call("ago", NOW + timedelta(seconds=5)) == "-5s"
    assert call("ago", "garbage") == "0s"


def test_date_zone_uses_zoneinfo_abbreviations() -> None:
    summer = datetime(2024, 7, 1, 12, tzinfo=UTC)
    assert call("dateInZone", "15:04 MST -0700", summer, "Europe/Berlin") == "14:00 CEST +0200"
    assert format_go_time(summer.astimezone(ZoneInfo("UTC")), "MST") == "UTC"


def test_date_type_errors() -> None:
    with pytest.raises(TypeError, match=r"expected time\.Time; got string"):
        call("unixEpoch", "2020")
    with pytest.raises(TypeError, match="wrong number of args for date"):
        call("date", "2006")
