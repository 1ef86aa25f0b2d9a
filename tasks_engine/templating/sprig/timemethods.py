"""Go ``time.Time`` methods a template can call on a Sprig time (``{{ now.Year }}``, ``{{ now.Unix }}``,
``{{ now.Format "20060102" }}``, ``{{ now.UTC.Hour }}``), as text/template calls methods on Go values.

Only methods with one result (or a value and an error) are callable from Go templates; those that need a
``time.Duration`` or ``*time.Location`` argument are left out (nothing in a template can build one except
Sprig's own functions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ZERO_UNIX_NANOS = -62135596800 * 1_000_000_000  # 0001-01-01 00:00:00 UTC, Go's zero time
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class GoMonth(int):
    """``time.Month``: an int that prints as its English name (``%d`` still gives the number)."""

    GO_TYPE = "time.Month"

    def go_string(self) -> str:
        return _MONTHS[self - 1] if 1 <= self <= 12 else f"%!Month({int(self)})"


class GoWeekday(int):
    """``time.Weekday`` (Sunday = 0)."""

    GO_TYPE = "time.Weekday"

    def go_string(self) -> str:
        return _WEEKDAYS[self] if 0 <= self <= 6 else f"%!Weekday({int(self)})"


def _unix_nanos(t: datetime) -> int:
    delta = t - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def time_methods(t: datetime, wrap: Callable[[datetime], object]) -> Mapping[str, Callable[..., object]]:
    """The methods of ``t``; ``wrap`` turns a result datetime back into a template time value."""
    from .golayout import format_go_time  # golayout imports _core, which defines the time type

    def fmt(layout: str) -> str:
        return format_go_time(t, layout)

    def add_date(years: int, months: int, days: int) -> object:
        """Go normalises overflowing dates (Jan 31 + 1 month = Mar 3), so go through day arithmetic."""
        month0 = t.month - 1 + months
        year = t.year + years + month0 // 12
        first = t.replace(year=year, month=month0 % 12 + 1, day=1)
        return wrap(first + (t - t.replace(day=1)) + timedelta(days=days))

    def before(u: datetime) -> bool:
        return t < u

    def after(u: datetime) -> bool:
        return t > u

    def equal(u: datetime) -> bool:
        return t == u

    nanos = _unix_nanos(t)
    return {
        "Year": lambda: t.year,
        "Month": lambda: GoMonth(t.month),
        "Day": lambda: t.day,
        "Hour": lambda: t.hour,
        "Minute": lambda: t.minute,
        "Second": lambda: t.second,
        "Nanosecond": lambda: t.microsecond * 1000,
        "YearDay": lambda: t.timetuple().tm_yday,
        "Weekday": lambda: GoWeekday((t.weekday() + 1) % 7),
        "Unix": lambda: nanos // 1_000_000_000,
        "UnixMilli": lambda: nanos // 1_000_000,
        "UnixMicro": lambda: nanos // 1000,
        "UnixNano": lambda: nanos,
        "IsZero": lambda: nanos == _ZERO_UNIX_NANOS,  # the instant, whatever the zone
        "UTC": lambda: wrap(t.astimezone(UTC)),
        "String": lambda: getattr(t, "go_string", t.isoformat)(),
        "Format": fmt,
        "AddDate": add_date,
        "Before": before,
        "After": after,
        "Equal": equal,
    }
