"""Go durations and Sprig's date functions (``date.go``), on an injected clock and "Local" zone.

ACR build agents run in UTC, which is the default "Local" here; ``now`` comes from the injected clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ._core import ZERO_TIME, GoTime, as_go_time, is_int
from ._sig import FuncTable, GoType, go_func
from .golayout import _quote, format_go_time, parse_go_time

__all__ = ["format_go_duration", "format_go_time", "parse_go_duration", "parse_go_time"]


# ---------------------------------------------------------------- durations

_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_go_duration(s: str) -> int:
    """Go ``time.ParseDuration`` in nanoseconds; raises ValueError with Go's message."""
    orig = s
    bad = ValueError(f"time: invalid duration {_quote(orig)}")
    neg = False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise bad
    total = 0
    while s:
        m = re.match(r"([0-9]*)(?:\.([0-9]*))?", s)
        assert m is not None
        whole, frac = m.group(1), m.group(2)
        if not whole and not frac:
            raise bad
        s = s[m.end() :]
        u = re.match(r"[^0-9.]*", s)
        assert u is not None
        unit_s = u.group()
        if not unit_s:
            raise ValueError(f"time: missing unit in duration {_quote(orig)}")
        s = s[u.end() :]
        unit = _UNITS.get(unit_s)
        if unit is None:
            raise ValueError(f"time: unknown unit {_quote(unit_s)} in duration {_quote(orig)}")
        v = int(whole or "0") * unit
        if frac:
            v += int(float("0." + frac) * unit)
        total += v
        if total > 1 << 63:
            raise bad
    if not neg and total > (1 << 63) - 1:
        raise bad
    return -total if neg else total


def format_go_duration(ns: int) -> str:
    """Go ``time.Duration.String``."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = abs(ns)
    if u < 10**9:
        for unit, name in ((10**6, "ms"), (10**3, "µs"), (1, "ns")):
            if u >= unit:
                whole, rem = divmod(u, unit)
                frac = f"{rem:0{len(str(unit)) - 1}d}".rstrip("0") if unit > 1 else ""
                return ("-" if neg else "") + str(whole) + ("." + frac if frac else "") + name
    secs, rem = divmod(u, 10**9)
    frac = f"{rem:09d}".rstrip("0")
    out = f"{secs % 60}" + ("." + frac if frac else "") + "s"
    mins = secs // 60
    if mins:
        out = f"{mins % 60}m" + out
        hours = mins // 60
        if hours:
            out = f"{hours}h" + out
    return ("-" if neg else "") + out


# ---------------------------------------------------------------- Sprig date functions


def load_location(zone: str, local: tzinfo) -> tzinfo:
    """``time.LoadLocation``; Sprig falls back to UTC when the zone is unknown."""
    if zone in ("", "UTC"):
        return UTC
    if zone == "Local":
        return local
    try:
        return ZoneInfo(zone)
    except Exception:  # ZoneInfoNotFoundError, ValueError (bad key), OSError, IsADirectoryError
        return UTC


def date_functions(now: Callable[[], datetime], local: tzinfo = UTC) -> FuncTable:
    def _now() -> GoTime:
        return as_go_time(now())

    def _to_time(v: object) -> datetime:
        if isinstance(v, datetime):
            return as_go_time(v)
        if is_int(v):
            assert isinstance(v, int)
            try:
                return datetime.fromtimestamp(v, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"time: unix time {v} is outside the supported range") from None
        return _now()

    def date_in_zone(fmt: str, date: object, zone: str) -> str:
        return format_go_time(_to_time(date).astimezone(load_location(zone, local)), fmt)

    def date_modify(fmt: str, date: datetime) -> datetime:
        try:
            ns = parse_go_duration(fmt)
        except ValueError:
            return date
        try:
            return as_go_time(date + timedelta(microseconds=int(ns / 1000)))
        except OverflowError:
            raise ValueError("dateModify: resulting time is out of range") from None

    def ago(date: object) -> str:
        t = date if isinstance(date, datetime) else _to_time(date) if is_int(date) else _now()
        delta = _now() - as_go_time(t)
        us = delta // timedelta(microseconds=1)
        secs = (abs(us) + 500_000) // 1_000_000
        return format_go_duration((secs if us >= 0 else -secs) * 10**9)

    def to_date(fmt: str, s: str) -> datetime:
        try:
            return parse_go_time(fmt, s, local)
        except ValueError:
            return ZERO_TIME

    def unix_epoch(date: datetime) -> str:
        return str(int((date - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)))

    any3: tuple[GoType, ...] = ("string", "any", "string")
    return {
        "now": go_func("now", _now),
        "date": go_func("date", lambda fmt, d: date_in_zone(fmt, d, "Local"), ("string", "any")),
        "date_in_zone": go_func("date_in_zone", date_in_zone, any3),
        "dateInZone": go_func("dateInZone", date_in_zone, any3),
        "date_modify": go_func("date_modify", date_modify, ("string", "time")),
        "dateModify": go_func("dateModify", date_modify, ("string", "time")),
        "htmlDate": go_func("htmlDate", lambda d: date_in_zone("2006-01-02", d, "Local"), ("any",)),
        "htmlDateInZone": go_func("htmlDateInZone", lambda d, z: date_in_zone("2006-01-02", d, z), ("any", "string")),
        "ago": go_func("ago", ago, ("any",)),
        "toDate": go_func("toDate", to_date, ("string", "string")),
        "unixEpoch": go_func("unixEpoch", unix_epoch, ("time",)),
    }
