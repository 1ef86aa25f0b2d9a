"""ACR timer schedules: NCrontab syntax, field-named errors, next occurrences, no backfill, timer rules."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.triggers import (
    CronError,
    TimerTrigger,
    TriggerConfigError,
    due_occurrence,
    next_fire,
    occurrence_claim_key,
    occurrences_between,
    parse_cron,
    validate_timer_name,
    validate_timers,
)

T0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("expression", "canonical"),
    [
        ("* * * * *", "* * * * *"),
        ("30 9 * Jan Mon", "30 9 * 1 1"),
        ("0 */6 * * *", "0 0,6,12,18 * * *"),
        ("15,45 8-10 * * 1-5", "15,45 8,9,10 * * 1,2,3,4,5"),
        ("0 0 1 jan,JUL *", "0 0 1 1,7 *"),
        ("0 12 * * Monday-Friday", "0 12 * * 1,2,3,4,5"),
        ("0 12 * * Tues", "0 12 * * 2"),
        ("0 0 * Sept *", "0 0 * 9 *"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("0 0 * * 0-6", "0 0 * * *"),
        ("5/20 * * * *", "5,25,45 * * * *"),
        ("0-30/10 * * * *", "0,10,20,30 * * * *"),
        ("0  0   *  * *", "0 0 * * *"),
        ("0 0 29 Feb *", "0 0 29 2 *"),
    ],
)
def test_acr_syntax(expression: str, canonical: str) -> None:
    assert parse_cron(expression).canonical == canonical


@pytest.mark.parametrize(
    ("expression", "field", "message"),
    [
        ("", "", "empty"),
        ("* * * *", "", "expected 5 fields"),
        ("0 * * * * *", "", "expected 5 fields"),
        ("0 0 1 1 * 2026", "", "expected 5 fields"),
        ("@daily", "", "macros"),
        ("60 * * * *", "minute", "60 is out of range 0-59"),
        ("* 24 * * *", "hour", "24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month", "0 is out of range 1-31"),
        ("* * 32 * *", "day-of-month", "32 is out of range"),
        ("* * * 13 *", "month", "13 is out of range 1-12"),
        ("* * * * 8", "day-of-week", "8 is out of range 0-6"),
        ("*/0 * * * *", "minute", "step '0' must be a positive number"),
        ("*/x * * * *", "minute", "step 'x'"),
        ("5-1 * * * *", "minute", "runs backwards"),
        ("1,,2 * * * *", "minute", "empty list element"),
        ("* * * Foo *", "month", "'Foo' is not a month name"),
        ("* * * * Mo", "day-of-week", "too short"),
        ("* * * * Fun", "day-of-week", "not a weekday name"),
        ("Mon * * * *", "minute", "'Mon' is not a number"),
        ("* * L * *", "day-of-month", "'L' is not a number"),
        ("* * ? * *", "day-of-month", "not a value"),
        ("* * * * 5#3", "day-of-week", "not a value"),
        ("* * 15W * *", "day-of-month", "not a value"),
        ("H * * * *", "minute", "'H' is not a number"),
        ("0 0 30 Feb *", "", "never fires"),
        ("0 0 31 Apr,Jun *", "", "never fires"),
    ],
)
def test_errors_name_the_field(expression: str, field: str, message: str) -> None:
    with pytest.raises(CronError, match=message) as info:
        parse_cron(expression)
    assert info.value.cron_field == field
    assert info.value.field == "schedule"
    assert isinstance(info.value, TriggerConfigError)
    if field:
        assert f"{field} field" in str(info.value)


def test_day_of_month_and_day_of_week_are_anded_as_ncrontab() -> None:
    friday_13 = parse_cron("0 0 13 * Fri")
    hits = occurrences_between(friday_13, T0, T0 + timedelta(days=366))
    assert [d.date().isoformat() for d in hits] == ["2026-02-13", "2026-03-13", "2026-11-13"]


def test_next_fire_examples() -> None:
    assert next_fire(parse_cron("30 9 * Jan Mon"), T0) == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert next_fire(parse_cron("* * * * *"), T0) == T0 + timedelta(minutes=1)
    assert next_fire(parse_cron("0 0 29 Feb *"), T0) == datetime(2028, 2, 29, tzinfo=UTC)
    assert next_fire(parse_cron("0 0 * * *"), datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)) == datetime(
        2026, 1, 2, tzinfo=UTC
    )


def test_times_are_utc_and_must_be_aware() -> None:
    schedule = parse_cron("0 9 * * *")
    plus_two = timezone(timedelta(hours=2))
    assert next_fire(schedule, datetime(2026, 1, 1, 10, 0, tzinfo=plus_two)) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(schedule, datetime(2026, 1, 1))


def test_occurrences_are_half_open_so_windows_never_overlap() -> None:
    schedule = parse_cron("*/15 * * * *")
    first = occurrences_between(schedule, T0, T0 + timedelta(hours=1))
    second = occurrences_between(schedule, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert first[0] == T0 + timedelta(minutes=15) and first[-1] == T0 + timedelta(hours=1)
    assert second[0] == T0 + timedelta(hours=1, minutes=15)
    with pytest.raises(ValueError, match="more than"):
        occurrences_between(parse_cron("* * * * *"), T0, T0 + timedelta(days=1), limit=10)


def test_no_backfill_after_downtime() -> None:
    hourly = parse_cron("0 * * * *")
    # ticked on time: the occurrence runs
    on_time = due_occurrence(hourly, T0 + timedelta(minutes=59), T0 + timedelta(hours=1, seconds=5))
    assert on_time.fire == T0 + timedelta(hours=1) and on_time.missed == 0
    assert on_time.next_at == T0 + timedelta(hours=2)
    # down from 00:30 to 05:10: 01:00…05:00 were missed, and 05:00 is 10 minutes old: nothing runs
    down = due_occurrence(hourly, T0 + timedelta(minutes=30), T0 + timedelta(hours=5, minutes=10))
    assert down.fire is None and down.missed == 5
    # back just after 05:00 (within grace): only the latest runs, the four before are skipped
    back = due_occurrence(hourly, T0 + timedelta(minutes=30), T0 + timedelta(hours=5, minutes=1))
    assert back.fire == T0 + timedelta(hours=5) and back.missed == 4
    # nothing due
    idle = due_occurrence(hourly, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2))
    assert idle.fire is None and idle.missed == 0


def test_claim_keys() -> None:
    occurrence = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    assert occurrence_claim_key("nightly", "t1", occurrence) == "nightly/t1/2026-01-01T09:30:00Z"
    same = occurrence.astimezone(timezone(timedelta(hours=-5)))
    assert occurrence_claim_key("nightly", "t1", same) == occurrence_claim_key("nightly", "t1", occurrence)


@pytest.mark.parametrize("name", ["t1", "nightly-build", "A_b-9", "x" * 50])
def test_good_timer_names(name: str) -> None:
    assert validate_timer_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "_x", "a b", "a/b", "x" * 51, "ünï"])
def test_bad_timer_names(name: str) -> None:
    with pytest.raises(TriggerConfigError, match="timer name") as info:
        validate_timer_name(name)
    assert info.value.field == "timerName"


def test_several_timers_per_task() -> None:
    timers = [TimerTrigger.create("morning", "0 6 * * *"), TimerTrigger.create("evening", "0 18 * * Mon-Fri")]
    assert validate_timers(timers) == tuple(timers)
    assert timers[1].to_dict() == {"name": "evening", "schedule": "0 18 * * Mon-Fri", "status": "Enabled"}
    with pytest.raises(TriggerConfigError, match="used twice"):
        validate_timers([*timers, TimerTrigger.create("MORNING", "0 7 * * *")])
    with pytest.raises(TriggerConfigError, match="same schedule") as info:
        validate_timers([*timers, TimerTrigger.create("again", "0 18 * * 1-5")])
    assert info.value.field == "timers[2].schedule"


# ---- property tests -------------------------------------------------------------------------------------

_RANGES = {"minute": (0, 59), "hour": (0, 23), "dom": (1, 28), "month": (1, 12), "dow": (0, 6)}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def field_strategy(lo: int, hi: int) -> st.SearchStrategy[str]:
    value = st.integers(lo, hi)
    ranged = st.tuples(value, value).map(lambda t: f"{min(t)}-{max(t)}")
    stepped = st.tuples(st.sampled_from(["*", f"{lo}"]), st.integers(1, hi - lo + 1)).map(lambda t: f"{t[0]}/{t[1]}")
    item = st.one_of(value.map(str), ranged, stepped)
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=3).map(",".join))


schedules = st.tuples(*(field_strategy(*r) for r in _RANGES.values())).map(" ".join)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@settings(max_examples=200)
@given(schedules, moments)
def test_next_fire_is_after_and_is_the_first_occurrence(expression: str, after: datetime) -> None:
    schedule = parse_cron(expression)
    result = next_fire(schedule, after)
    assert result is not None
    assert result > after
    assert result.second == 0 and result.microsecond == 0
    assert schedule.matches(result)
    assert next_fire(schedule, result - timedelta(microseconds=1)) == result
    assert next_fire(schedule, result - timedelta(seconds=1)) == result


@settings(max_examples=60)
@given(schedules, moments)
def test_no_occurrence_is_skipped_between_after_and_next_fire(expression: str, after: datetime) -> None:
    schedule = parse_cron(expression)
    result = next_fire(schedule, after)
    assert result is not None
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    steps = 0
    while minute < result and steps < 3000:  # brute-force oracle over the first two days
        assert not schedule.matches(minute), minute
        minute += timedelta(minutes=1)
        steps += 1


@given(st.integers(0, 11), st.integers(0, 6), st.integers(0, 23), st.integers(0, 59), moments)
def test_names_equal_numbers(month: int, dow: int, hour: int, minute: int, after: datetime) -> None:
    by_name = parse_cron(f"{minute} {hour} * {MONTHS[month]} {DAYS[dow]}")
    by_number = parse_cron(f"{minute} {hour} * {month + 1} {dow}")
    by_full_name = parse_cron(f"{minute} {hour} * {MONTHS[month].upper()} {DAYS[dow].lower()}")
    assert by_name.canonical == by_number.canonical == by_full_name.canonical
    assert next_fire(by_name, after) == next_fire(by_number, after)


@given(moments, st.integers(1, 180))
def test_every_minute_fires_every_minute(start: datetime, minutes: int) -> None:
    every = parse_cron("* * * * *")
    hits = occurrences_between(every, start, start + timedelta(minutes=minutes))
    assert len(hits) == minutes
    assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(hits))


@settings(max_examples=60)
@given(schedules, moments, st.integers(1, 6 * 60))
def test_consecutive_windows_see_each_occurrence_once(expression: str, start: datetime, split: int) -> None:
    schedule = parse_cron(expression)
    middle = start + timedelta(minutes=split)
    end = middle + timedelta(hours=6)
    whole = occurrences_between(schedule, start, end, limit=10_000)
    parts = occurrences_between(schedule, start, middle, limit=10_000) + occurrences_between(
        schedule, middle, end, limit=10_000
    )
    assert whole == parts


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_cron_error(text: str) -> None:
    with contextlib.suppress(CronError):
        parse_cron(text)
