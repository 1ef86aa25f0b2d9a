"""ACR timer triggers: 5-field cron in UTC (NCrontab's syntax), next occurrences, and the no-backfill rule.

**Syntax** (acr-tasks-spec §6.3, NCrontab): ``minute hour day-of-month month day-of-week``; ``*``, values,
ranges ``a-b``, lists ``a,b``, steps ``*/n``, ``a-b/n`` and ``a/n`` (= ``a-max/n``); month names ``Jan``…
and weekday names ``Sun``… (case-insensitive; full names and prefixes of three or more letters too, as
NCrontab accepts prefixes; one- or two-letter prefixes are refused as ambiguous). Day of week is 0–6 with
Sunday = 0; ``7`` is accepted as Sunday (Vixie cron) — a deliberate leniency. Anything else — ``?``, ``L``,
``W``, ``#``, ``H``, ``@daily``, a seconds or year field — is an error naming the field.

**Day of month and day of week are ANDed**, as NCrontab does (``0 0 13 * Fri`` = Friday the 13th), unlike
Vixie cron's OR. This is the semantics ACR users' schedules were written against.

**Library.** croniter (pallets-eco, 7.x) computes the occurrences, from a canonical numeric expression
this module builds after validating: it is maintained, has ``day_or=False`` for NCrontab's AND (cronsim
only implements Vixie's OR), and iterates forwards and backwards. It is imported only here.

**Occurrences** are UTC minutes. :func:`next_fire` is strictly after ``after``;
:func:`occurrences_between` lists ``(start, end]`` — half-open, so consecutive windows never see one
occurrence twice or miss one. :func:`due_occurrence` is the scheduler's rule: at a tick, only the *latest*
occurrence since the previous tick is run, and only if it is at most ``grace`` old; older ones (missed while
everything was down) are skipped and counted, never backfilled. :func:`occurrence_claim_key` is the
per-occurrence claim that makes one run per occurrence however many schedulers tick.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from tasks_engine.triggers.errors import CronError, TriggerConfigError

__all__ = [
    "CronSchedule",
    "DueOccurrence",
    "TimerTrigger",
    "due_occurrence",
    "next_fire",
    "occurrence_claim_key",
    "occurrences_between",
    "parse_cron",
    "validate_timer_name",
    "validate_timers",
]

_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_VALUE_RE = re.compile(r"^(?:\d+|[A-Za-z]+)$")
_TIMER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$")
_MAX_OCCURRENCES = 100_000


class _FieldError(Exception):
    def __init__(self, field: int, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


def _name_value(field: int, token: str) -> int:
    names = _MONTHS if field == 3 else _DAYS if field == 4 else ()
    if not names:
        raise _FieldError(field, f"{token!r} is not a number")
    lowered = token.lower()
    if len(lowered) < 3:
        raise _FieldError(field, f"name {token!r} is too short; use at least three letters")
    for i, name in enumerate(names):
        if name.startswith(lowered):
            return i + _RANGES[field][0]
    raise _FieldError(field, f"{token!r} is not a {'month' if field == 3 else 'weekday'} name")


def _value(field: int, token: str) -> int:
    lo, hi = _RANGES[field]
    if field == 4:
        hi = 7  # Sunday as 7 (Vixie cron); folded to 0 after expansion
    if not _VALUE_RE.fullmatch(token):
        raise _FieldError(field, f"{token!r} is not a value (only numbers, names, '*', '-', ',' and '/')")
    if token.isdigit():
        value = int(token)
        if not lo <= value <= hi:
            raise _FieldError(field, f"{value} is out of range {lo}-{_RANGES[field][1]}")
        return value
    return _name_value(field, token)


def _parse_field(field: int, text: str) -> frozenset[int]:
    lo, hi = _RANGES[field]
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _FieldError(field, "empty list element")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise _FieldError(field, f"step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(field, first), _value(field, last)
            if start > end:
                raise _FieldError(field, f"range {base!r} runs backwards")
        else:
            start = _value(field, base)
            end = hi if slash else start
        values.update(range(start, end + 1, step))
    if field == 4 and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A validated schedule. ``fields`` are the expanded value sets; ``canonical`` their numeric spelling
    (``*`` for a full field), equal for equal schedules however they were written."""

    expression: str
    fields: tuple[frozenset[int], ...]

    @property
    def canonical(self) -> str:
        parts = []
        for (lo, hi), values in zip(_RANGES, self.fields, strict=True):
            parts.append("*" if values == frozenset(range(lo, hi + 1)) else ",".join(map(str, sorted(values))))
        return " ".join(parts)

    def matches(self, moment: datetime) -> bool:
        """Whether the UTC minute of ``moment`` is an occurrence (day fields ANDed, as NCrontab)."""
        t = _utc(moment)
        weekday = (t.weekday() + 1) % 7
        minute, hour, dom, month, dow = self.fields
        return t.minute in minute and t.hour in hour and t.day in dom and t.month in month and weekday in dow


def parse_cron(expression: str, *, field: str = "schedule") -> CronSchedule:
    """Validate ``expression`` (see the module docstring); ``CronError`` names the cron field at fault."""
    if not isinstance(expression, str):
        raise CronError(repr(expression), "a cron expression must be a string", field=field)
    text = " ".join(expression.split())
    if not text:
        raise CronError(expression, "the expression is empty", field=field)
    if text.startswith("@"):
        raise CronError(expression, "macros such as @daily are not supported; write the 5 fields", field=field)
    parts = text.split(" ")
    if len(parts) != 5:
        raise CronError(expression, f"expected 5 fields (minute hour day-of-month month day-of-week), got "
                        f"{len(parts)}; seconds and years are not supported", field=field)
    try:
        fields = tuple(_parse_field(i, part) for i, part in enumerate(parts))
    except _FieldError as exc:
        raise CronError(expression, exc.message, cron_field=_FIELDS[exc.field], field=field) from None
    schedule = CronSchedule(expression, fields)
    if not croniter.is_valid(schedule.canonical):
        raise CronError(expression, "the cron library refused the expression", field=field)
    if next_fire(schedule, datetime(2000, 1, 1, tzinfo=UTC), horizon_years=30) is None:
        raise CronError(expression, "the schedule never fires (no such date)", field=field)
    return schedule


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware (timers run in UTC)")
    return moment.astimezone(UTC)


def _iterate(schedule: CronSchedule, after: datetime, horizon_years: int = 50) -> Iterator[datetime]:
    """Occurrences strictly after ``after``, ascending, from one croniter (building one per step is slow)."""
    it = croniter(schedule.canonical, _utc(after), day_or=False, max_years_between_matches=horizon_years)
    while True:
        try:
            result = it.get_next(datetime)
        except Exception as exc:  # CroniterBadDateError: nothing matches within the horizon
            if type(exc).__name__.startswith("Croniter"):
                return
            raise
        if not isinstance(result, datetime):
            return
        yield result.astimezone(UTC)


def next_fire(schedule: CronSchedule, after: datetime, *, horizon_years: int = 50) -> datetime | None:
    """The first occurrence strictly after ``after`` (UTC), or None if none within ``horizon_years``
    (``0 0 30 Feb *`` never fires; validation refuses such schedules)."""
    return next(_iterate(schedule, after, horizon_years), None)


def occurrences_between(
    schedule: CronSchedule, start: datetime, end: datetime, *, limit: int = _MAX_OCCURRENCES
) -> list[datetime]:
    """Occurrences in ``(start, end]``; raises ``ValueError`` past ``limit`` (a window of years)."""
    begin, finish = _utc(start), _utc(end)
    out: list[datetime] = []
    for occurrence in _iterate(schedule, begin):
        if occurrence > finish:
            break
        out.append(occurrence)
        if len(out) > limit:
            raise ValueError(f"more than {limit} occurrences between {begin} and {finish}")
    return out


@dataclass(frozen=True)
class DueOccurrence:
    """The scheduler tick's verdict: run ``fire`` (None = nothing), ``missed`` occurrences skipped."""

    fire: datetime | None
    missed: int
    next_at: datetime | None


def due_occurrence(
    schedule: CronSchedule, last_tick: datetime, now: datetime, *, grace: timedelta = timedelta(minutes=2)
) -> DueOccurrence:
    """No-backfill rule: of the occurrences in ``(last_tick, now]`` only the latest may run, and only if
    ``now - occurrence <= grace``; the others were missed (downtime) and are skipped, never run later."""
    occurrences = occurrences_between(schedule, last_tick, now)
    fire = occurrences[-1] if occurrences and _utc(now) - occurrences[-1] <= grace else None
    missed = len(occurrences) - (1 if fire is not None else 0)
    return DueOccurrence(fire, missed, next_fire(schedule, now))


def occurrence_claim_key(task: str, timer: str, occurrence: datetime) -> str:
    """``task/timer/2026-01-01T09:30:00Z``: claimed once (e.g. ``SET NX``) so one run starts per occurrence."""
    return f"{task}/{timer}/{_utc(occurrence).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def validate_timer_name(name: str, *, field: str = "timerName") -> str:
    """1–50 letters, digits, ``-`` or ``_``, starting with a letter or digit (ACR's resource-name style)."""
    if not isinstance(name, str) or not _TIMER_NAME_RE.fullmatch(name):
        raise TriggerConfigError(field, f"timer name {name!r} must be 1-50 letters, digits, '-' or '_', "
                                 "starting with a letter or digit")
    return name


@dataclass(frozen=True)
class TimerTrigger:
    """ACR's ``timerTriggers[]`` entry: ``{name, schedule, status}``."""

    name: str
    schedule: CronSchedule
    enabled: bool = True

    @classmethod
    def create(cls, name: str, schedule: str, *, enabled: bool = True) -> TimerTrigger:
        return cls(validate_timer_name(name), parse_cron(schedule), enabled)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "schedule": self.schedule.expression,
                "status": "Enabled" if self.enabled else "Disabled"}


def validate_timers(timers: Sequence[TimerTrigger] | Iterable[TimerTrigger]) -> tuple[TimerTrigger, ...]:
    """Several timers per task: names unique (case-insensitively) and schedules different (ACR's rule;
    two spellings of one schedule count as the same)."""
    items = tuple(timers)
    names: dict[str, str] = {}
    schedules: dict[str, str] = {}
    for i, timer in enumerate(items):
        key = timer.name.lower()
        if key in names:
            raise TriggerConfigError(f"timers[{i}].name", f"timer name {timer.name!r} is used twice")
        names[key] = timer.name
        canonical = timer.schedule.canonical
        if canonical in schedules:
            raise TriggerConfigError(f"timers[{i}].schedule", f"timer {timer.name!r} has the same schedule as "
                                     f"{schedules[canonical]!r}; a task's timers must differ")
        schedules[canonical] = timer.name
    return items
