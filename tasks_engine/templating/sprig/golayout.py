"""Go reference-time layouts: ``time.Time.Format`` and ``time.ParseInLocation``.

Task files format dates with Go layouts such as ``2006-01-02`` or ``20060102-150405``; strftime cannot express
them, so ``time/format.go``'s ``nextStdChunk`` tokenizer and parser are ported branch by branch.
Python's datetime holds microseconds and years 1-9999, so nanoseconds are truncated and year 0 is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from enum import IntEnum

from ._core import GoFixedZone, GoTime


class Std(IntEnum):
    NONE = 0
    LONG_MONTH = 1
    MONTH = 2
    NUM_MONTH = 3
    ZERO_MONTH = 4
    LONG_WEEKDAY = 5
    WEEKDAY = 6
    DAY = 7
    UNDER_DAY = 8
    ZERO_DAY = 9
    UNDER_YEARDAY = 10
    ZERO_YEARDAY = 11
    HOUR = 12
    HOUR12 = 13
    ZERO_HOUR12 = 14
    MINUTE = 15
    ZERO_MINUTE = 16
    SECOND = 17
    ZERO_SECOND = 18
    LONG_YEAR = 19
    YEAR = 20
    PM_UPPER = 21
    PM_LOWER = 22
    TZ = 23
    ISO_TZ = 24
    ISO_SECONDS_TZ = 25
    ISO_SHORT_TZ = 26
    ISO_COLON_TZ = 27
    ISO_COLON_SECONDS_TZ = 28
    NUM_TZ = 29
    NUM_SECONDS_TZ = 30
    NUM_SHORT_TZ = 31
    NUM_COLON_TZ = 32
    NUM_COLON_SECONDS_TZ = 33
    FRAC0 = 34
    FRAC9 = 35


_STD0X = [Std.ZERO_MONTH, Std.ZERO_DAY, Std.ZERO_HOUR12, Std.ZERO_MINUTE, Std.ZERO_SECOND, Std.YEAR]
_TZ_TOKENS = [
    ("-070000", Std.NUM_SECONDS_TZ),
    ("-07:00:00", Std.NUM_COLON_SECONDS_TZ),
    ("-0700", Std.NUM_TZ),
    ("-07:00", Std.NUM_COLON_TZ),
    ("-07", Std.NUM_SHORT_TZ),
    ("Z070000", Std.ISO_SECONDS_TZ),
    ("Z07:00:00", Std.ISO_COLON_SECONDS_TZ),
    ("Z0700", Std.ISO_TZ),
    ("Z07:00", Std.ISO_COLON_TZ),
    ("Z07", Std.ISO_SHORT_TZ),
]
_ISO = {Std.ISO_TZ, Std.ISO_SECONDS_TZ, Std.ISO_SHORT_TZ, Std.ISO_COLON_TZ, Std.ISO_COLON_SECONDS_TZ}
LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
SHORT_DAYS = [d[:3] for d in LONG_DAYS]
LONG_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SHORT_MONTHS = [m[:3] for m in LONG_MONTHS]

Chunk = tuple[str, Std, int, str, str]  # prefix, std, frac digits, frac separator, suffix


def next_std_chunk(layout: str) -> Chunk:
    """Go's ``nextStdChunk``: the literal text before the first layout token, the token, and the rest."""
    n = len(layout)
    for i, c in enumerate(layout):
        pre = layout[:i]
        if c == "J" and layout.startswith("Jan", i):
            if layout.startswith("January", i):
                return pre, Std.LONG_MONTH, 0, "", layout[i + 7 :]
            if not layout[i + 3 : i + 4].islower() or not layout[i + 3 : i + 4].isascii():
                return pre, Std.MONTH, 0, "", layout[i + 3 :]
        elif c == "M" and n >= i + 3:
            if layout.startswith("Mon", i):
                if layout.startswith("Monday", i):
                    return pre, Std.LONG_WEEKDAY, 0, "", layout[i + 6 :]
                nxt = layout[i + 3 : i + 4]
                if not ("a" <= nxt <= "z"):
                    return pre, Std.WEEKDAY, 0, "", layout[i + 3 :]
            if layout.startswith("MST", i):
                return pre, Std.TZ, 0, "", layout[i + 3 :]
        elif c == "0":
            if n >= i + 2 and "1" <= layout[i + 1] <= "6":
                return pre, _STD0X[ord(layout[i + 1]) - ord("1")], 0, "", layout[i + 2 :]
            if layout.startswith("002", i):
                return pre, Std.ZERO_YEARDAY, 0, "", layout[i + 3 :]
        elif c == "1":
            if layout.startswith("15", i):
                return pre, Std.HOUR, 0, "", layout[i + 2 :]
            return pre, Std.NUM_MONTH, 0, "", layout[i + 1 :]
        elif c == "2":
            if layout.startswith("2006", i):
                return pre, Std.LONG_YEAR, 0, "", layout[i + 4 :]
            return pre, Std.DAY, 0, "", layout[i + 1 :]
        elif c == "_":
            if layout.startswith("_2", i):
                if layout.startswith("_2006", i):
                    return layout[: i + 1], Std.LONG_YEAR, 0, "", layout[i + 5 :]
                return pre, Std.UNDER_DAY, 0, "", layout[i + 2 :]
            if layout.startswith("__2", i):
                return pre, Std.UNDER_YEARDAY, 0, "", layout[i + 3 :]
        elif c in "345":
            std = {"3": Std.HOUR12, "4": Std.MINUTE, "5": Std.SECOND}[c]
            return pre, std, 0, "", layout[i + 1 :]
        elif c == "P" and layout.startswith("PM", i):
            return pre, Std.PM_UPPER, 0, "", layout[i + 2 :]
        elif c == "p" and layout.startswith("pm", i):
            return pre, Std.PM_LOWER, 0, "", layout[i + 2 :]
        elif c in "-Z":
            for tok, std in _TZ_TOKENS:
                if layout.startswith(tok, i):
                    return pre, std, 0, "", layout[i + len(tok) :]
        elif c in ".," and i + 1 < n and layout[i + 1] in "09":
            ch = layout[i + 1]
            j = i + 1
            while j < n and layout[j] == ch:
                j += 1
            if not (j < n and layout[j].isdigit() and layout[j].isascii()):
                std = Std.FRAC0 if ch == "0" else Std.FRAC9
                return pre, std, j - (i + 1), c, layout[j:]
    return layout, Std.NONE, 0, "", ""


def _zone(t: datetime) -> tuple[str, int]:
    """Zone abbreviation ("" when unnamed, as for Go's FixedZone("", off)) and offset in seconds."""
    off = t.utcoffset()
    offset = int(off.total_seconds()) if off is not None else 0
    name = t.tzname() or ""
    if t.tzinfo is UTC:
        name = "UTC"
    elif re.fullmatch(r"UTC[+-]\d\d:\d\d(:\d\d(\.\d+)?)?", name):
        name = ""  # datetime.timezone without an explicit name
    return name, offset


def _num_tz(std: Std, offset: int) -> str:
    if offset == 0 and std in _ISO:
        return "Z"
    zone = offset // 60 if offset >= 0 else -((-offset) // 60)
    absoff = abs(offset)
    out = "-" if zone < 0 else "+"
    zone = abs(zone)
    out += f"{zone // 60:02d}"
    if std in (Std.ISO_COLON_TZ, Std.NUM_COLON_TZ, Std.ISO_COLON_SECONDS_TZ, Std.NUM_COLON_SECONDS_TZ):
        out += ":"
    if std not in (Std.NUM_SHORT_TZ, Std.ISO_SHORT_TZ):
        out += f"{zone % 60:02d}"
    if std in (Std.ISO_SECONDS_TZ, Std.NUM_SECONDS_TZ, Std.NUM_COLON_SECONDS_TZ, Std.ISO_COLON_SECONDS_TZ):
        if std in (Std.NUM_COLON_SECONDS_TZ, Std.ISO_COLON_SECONDS_TZ):
            out += ":"
        out += f"{absoff % 60:02d}"
    return out


def _frac(nanos: int, std: Std, digits: int, sep: str) -> str:
    if std == Std.FRAC9 and (digits == 0 or nanos == 0):
        return ""
    s = f"{nanos:09d}"[: min(digits, 9)]
    if std == Std.FRAC9:
        s = s.rstrip("0")
        return sep + s if s else ""
    return sep + s


def format_go_time(t: datetime, layout: str) -> str:
    """Go ``time.Time.Format(layout)`` for an aware (or UTC-naive) datetime."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    name, offset = _zone(t)
    out: list[str] = []
    while layout:
        prefix, std, digits, sep, suffix = next_std_chunk(layout)
        out.append(prefix)
        if std == Std.NONE:
            break
        layout = suffix
        hour12 = t.hour % 12 or 12
        yday = t.timetuple().tm_yday
        match std:
            case Std.YEAR:
                out.append(f"{t.year % 100:02d}")
            case Std.LONG_YEAR:
                out.append(f"{t.year:04d}")
            case Std.MONTH:
                out.append(SHORT_MONTHS[t.month - 1])
            case Std.LONG_MONTH:
                out.append(LONG_MONTHS[t.month - 1])
            case Std.NUM_MONTH:
                out.append(str(t.month))
            case Std.ZERO_MONTH:
                out.append(f"{t.month:02d}")
            case Std.WEEKDAY:
                out.append(SHORT_DAYS[(t.weekday() + 1) % 7])
            case Std.LONG_WEEKDAY:
                out.append(LONG_DAYS[(t.weekday() + 1) % 7])
            case Std.DAY:
                out.append(str(t.day))
            case Std.UNDER_DAY:
                out.append(f"{t.day:2d}")
            case Std.ZERO_DAY:
                out.append(f"{t.day:02d}")
            case Std.UNDER_YEARDAY:
                out.append(f"{yday:3d}")
            case Std.ZERO_YEARDAY:
                out.append(f"{yday:03d}")
            case Std.HOUR:
                out.append(f"{t.hour:02d}")
            case Std.HOUR12:
                out.append(str(hour12))
            case Std.ZERO_HOUR12:
                out.append(f"{hour12:02d}")
            case Std.MINUTE:
                out.append(str(t.minute))
            case Std.ZERO_MINUTE:
                out.append(f"{t.minute:02d}")
            case Std.SECOND:
                out.append(str(t.second))
            case Std.ZERO_SECOND:
                out.append(f"{t.second:02d}")
            case Std.PM_UPPER:
                out.append("PM" if t.hour >= 12 else "AM")
            case Std.PM_LOWER:
                out.append("pm" if t.hour >= 12 else "am")
            case Std.TZ:
                out.append(name if name else _num_tz(Std.NUM_TZ, offset))
            case Std.FRAC0 | Std.FRAC9:
                out.append(_frac(t.microsecond * 1000, std, digits, sep))
            case _:
                out.append(_num_tz(std, offset))
    return "".join(out)


# ---------------------------------------------------------------- parsing


class _Bad(Exception):
    pass


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _getnum(s: str, fixed: bool) -> tuple[int, str]:
    if not s[:1].isdigit() or not s[:1].isascii():
        raise _Bad
    if not (s[1:2].isdigit() and s[1:2].isascii()):
        if fixed:
            raise _Bad
        return int(s[0]), s[1:]
    return int(s[:2]), s[2:]


def _lookup(tab: list[str], val: str) -> tuple[int, str]:
    for i, v in enumerate(tab):
        if len(val) >= len(v) and val[: len(v)].lower() == v.lower():
            return i, val[len(v) :]
    raise _Bad


def _skip(value: str, prefix: str) -> str:
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                raise _Bad
            prefix = prefix.lstrip(" ")
            value = value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            raise _Bad
        prefix, value = prefix[1:], value[1:]
    return value


def _parse_tz_name(value: str) -> int:
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value[:3] == "GMT":
        m = re.match(r"[+-](\d+)", value[3:])
        return 3 + (m.end() if m and int(m.group(1)) <= 23 else 0)
    if value[0] in "+-":
        m = re.match(r"[+-](\d+)", value)
        return m.end() if m and int(m.group(1)) <= 23 else 0
    n = 0
    while n < 6 and n < len(value) and "A" <= value[n] <= "Z":
        n += 1
    if n == 3:
        return 3
    if n == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if n == 5 and value[4] == "T":
        return 5
    return 0


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def parse_go_time(layout: str, value: str, loc: tzinfo = UTC) -> GoTime:
    """Go ``time.ParseInLocation`` (the engine's Local is ``loc``); raises ValueError with Go's message."""
    alayout, avalue = layout, value
    year, month, day, yday = 0, -1, -1, -1
    hour = minute = sec = nsec = 0
    am = pm = False
    z: tzinfo | None = None
    zone_offset: int | None = None
    zone_name = ""
    while True:
        prefix, std, digits, _sep, suffix = next_std_chunk(layout)
        stdstr = layout[len(prefix) : len(layout) - len(suffix)]
        try:
            value = _skip(value, prefix)
        except _Bad:
            raise ValueError(
                f"parsing time {_quote(avalue)} as {_quote(alayout)}: cannot parse {_quote(value)} as {_quote(prefix)}"
            ) from None
        if std == Std.NONE:
            if value:
                raise ValueError(f"parsing time {_quote(avalue)}: extra text: {_quote(value)}")
            break
        layout = suffix
        hold = value
        range_err = ""
        try:
            match std:
                case Std.YEAR:
                    if len(value) < 2 or not value[:2].isdigit() or not value[:2].isascii():
                        raise _Bad
                    year = int(value[:2])
                    year += 1900 if year >= 69 else 2000
                    value = value[2:]
                case Std.LONG_YEAR:
                    if len(value) < 4 or not re.match(r"[0-9]{4}", value):
                        raise _Bad
                    year, value = int(value[:4]), value[4:]
                case Std.MONTH | Std.LONG_MONTH:
                    i, value = _lookup(SHORT_MONTHS if std == Std.MONTH else LONG_MONTHS, value)
                    month = i + 1
                case Std.NUM_MONTH | Std.ZERO_MONTH:
                    month, value = _getnum(value, std == Std.ZERO_MONTH)
                    if not 1 <= month <= 12:
                        range_err = "month"
                case Std.WEEKDAY | Std.LONG_WEEKDAY:
                    _, value = _lookup(SHORT_DAYS if std == Std.WEEKDAY else LONG_DAYS, value)
                case Std.DAY | Std.UNDER_DAY | Std.ZERO_DAY:
                    if std == Std.UNDER_DAY and value[:1] == " ":
                        value = value[1:]
                    day, value = _getnum(value, std == Std.ZERO_DAY)
                case Std.UNDER_YEARDAY | Std.ZERO_YEARDAY:
                    if std == Std.UNDER_YEARDAY:
                        for _ in range(2):
                            if value[:1] == " ":
                                value = value[1:]
                    m = re.match(r"[0-9]{1,3}", value)
                    if m is None or (std == Std.ZERO_YEARDAY and m.end() != 3):
                        raise _Bad
                    yday, value = int(m.group()), value[m.end() :]
                case Std.HOUR:
                    hour, value = _getnum(value, False)
                    if hour >= 24:
                        range_err = "hour"
                case Std.HOUR12 | Std.ZERO_HOUR12:
                    hour, value = _getnum(value, std == Std.ZERO_HOUR12)
                    if hour > 12:
                        range_err = "hour"
                case Std.MINUTE | Std.ZERO_MINUTE:
                    minute, value = _getnum(value, std == Std.ZERO_MINUTE)
                    if minute >= 60:
                        range_err = "minute"
                case Std.SECOND | Std.ZERO_SECOND:
                    sec, value = _getnum(value, std == Std.ZERO_SECOND)
                    if sec >= 60:
                        range_err = "second"
                    elif re.match(r"[.,][0-9]", value) and next_std_chunk(layout)[1] not in (Std.FRAC0, Std.FRAC9):
                        m = re.match(r"[.,]([0-9]+)", value)
                        assert m is not None
                        nsec = int((m.group(1) + "000000000")[:9])
                        value = value[m.end() :]
                case Std.PM_UPPER | Std.PM_LOWER:
                    p = value[:2]
                    value = value[2:]
                    want = ("PM", "AM") if std == Std.PM_UPPER else ("pm", "am")
                    if p == want[0]:
                        pm = True
                    elif p == want[1]:
                        am = True
                    else:
                        raise _Bad
                case Std.TZ:
                    if value.startswith("UTC"):
                        z, value = UTC, value[3:]
                    else:
                        n = _parse_tz_name(value)
                        if n == 0:
                            raise _Bad
                        zone_name, value = value[:n], value[n:]
                case Std.FRAC0:
                    nd = 1 + digits
                    if len(value) < nd or not re.fullmatch(r"[.,][0-9]*", value[:nd]):
                        raise _Bad
                    nsec = int((value[1:nd] + "0" * 9)[:9]) if nd > 1 else 0
                    value = value[nd:]
                case Std.FRAC9:
                    m = re.match(r"[.,]([0-9]+)", value)
                    if m is not None:
                        nsec = int((m.group(1) + "0" * 9)[:9])
                        value = value[m.end() :]
                case _:
                    if std in _ISO and value[:1] == "Z":
                        z, value = UTC, value[1:]
                    else:
                        zone_offset, value = _parse_num_tz(std, value)
                        if zone_offset is None:
                            range_err = "time zone offset"
        except _Bad:
            raise ValueError(
                f"parsing time {_quote(avalue)} as {_quote(alayout)}: cannot parse {_quote(hold)} as {_quote(stdstr)}"
            ) from None
        if range_err:
            raise ValueError(f"parsing time {_quote(avalue)}: {range_err} out of range")
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    leap = _days_in(2, year) == 29
    if yday >= 0:
        d = m_ = 0
        if leap and yday == 60:
            m_, d = 2, 29
        elif leap and yday > 60:
            yday -= 1
        if yday < 1 or yday > 365:
            raise ValueError(f"parsing time {_quote(avalue)}: day-of-year out of range")
        if m_ == 0:
            cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]
            m_ = next(i for i in range(1, 13) if yday <= cum[i])
            d = yday - cum[m_ - 1]
        if month >= 0 and month != m_:
            raise ValueError(f"parsing time {_quote(avalue)}: day-of-year does not match month")
        if day >= 0 and day != d:
            raise ValueError(f"parsing time {_quote(avalue)}: day-of-year does not match day")
        month, day = m_, d
    else:
        month = 1 if month < 0 else month
        day = 1 if day < 0 else day
    if day < 1 or day > _days_in(month, year):
        raise ValueError(f"parsing time {_quote(avalue)}: day out of range")
    if year < 1:
        raise ValueError(f"parsing time {_quote(avalue)}: year {year} cannot be represented")
    if z is None:
        if zone_offset is not None:
            z = (
                loc
                if _offset_at(loc, year, month, day) == zone_offset and not zone_name
                else GoFixedZone(zone_name, zone_offset)
            )
        elif zone_name:
            off = 0
            if zone_name.startswith("GMT") and len(zone_name) > 3:
                off = int(zone_name[3:]) * 3600
            z = GoFixedZone(zone_name, off)
        else:
            z = loc
    return GoTime(year, month, day, hour, minute, sec, nsec // 1000, tzinfo=z)


def _offset_at(loc: tzinfo, year: int, month: int, day: int) -> int | None:
    off = datetime(year, month, day, tzinfo=loc).utcoffset()
    return None if off is None else int(off.total_seconds())


def _parse_num_tz(std: Std, value: str) -> tuple[int | None, str]:
    colon = std in (Std.ISO_COLON_TZ, Std.NUM_COLON_TZ)
    short = std in (Std.NUM_SHORT_TZ, Std.ISO_SHORT_TZ)
    colon_sec = std in (Std.ISO_COLON_SECONDS_TZ, Std.NUM_COLON_SECONDS_TZ)
    secs = std in (Std.ISO_SECONDS_TZ, Std.NUM_SECONDS_TZ)
    if colon:
        if len(value) < 6 or value[3] != ":":
            raise _Bad
        sign, hh, mm, ss, value = value[0], value[1:3], value[4:6], "00", value[6:]
    elif short:
        if len(value) < 3:
            raise _Bad
        sign, hh, mm, ss, value = value[0], value[1:3], "00", "00", value[3:]
    elif colon_sec:
        if len(value) < 9 or value[3] != ":" or value[6] != ":":
            raise _Bad
        sign, hh, mm, ss, value = value[0], value[1:3], value[4:6], value[7:9], value[9:]
    elif secs:
        if len(value) < 7:
            raise _Bad
        sign, hh, mm, ss, value = value[0], value[1:3], value[3:5], value[5:7], value[7:]
    else:
        if len(value) < 5:
            raise _Bad
        sign, hh, mm, ss, value = value[0], value[1:3], value[3:5], "00", value[5:]
    if not all(re.fullmatch(r"[0-9]{2}", x) for x in (hh, mm, ss)) or sign not in "+-":
        raise _Bad
    h, m, s = int(hh), int(mm), int(ss)
    if h > 24 or m > 60 or s > 60:
        return None, value
    off = (h * 60 + m) * 60 + s
    return (-off if sign == "-" else off), value
