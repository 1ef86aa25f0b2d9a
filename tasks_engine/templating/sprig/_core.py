"""Go value semantics shared by every Sprig module: coercions, emptiness, equality, names and limits.

Sprig v2.22 leans on Go's reflection (``reflect.ValueOf(v).Kind()``, ``reflect.DeepEqual``) and on its own
``toInt64``/``toFloat64`` (reflection + ``strconv``, *not* spf13/cast, which only arrived in Sprig 3). Those
rules differ from Python's (``1 == 1.0 == True`` in Python, not in Go), so they are spelled out here once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

# One Go %T for the template engine and Sprig (re-exported for the sprig modules).
from tasks_engine.templating.gotemplate.values import go_type_name as go_type_name

from ..gotemplate.gofmt import format_value
from ..gotemplate.gostrconv import format_float
from ..gotemplate.values import MISSING

INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
MAX_ITEMS: Final = 100_000
MAX_CHARS: Final = 10_000_000

# unicode.IsSpace: Python's str.isspace() also accepts U+001C..U+001F, Go does not.
GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_GO_INT_RE: Final = re.compile(r"[+-]?[0-9]+\Z")
_GO_DEC_FLOAT_RE: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_GO_HEX_FLOAT_RE: Final = re.compile(r"([+-]?)0[xX]((?:_?[0-9a-fA-F])*)(?:\.((?:[0-9a-fA-F]_?)*))?[pP]([+-]?[0-9]+)\Z")
_GO_SPECIAL_FLOAT: Final = {
    "inf": math.inf,
    "+inf": math.inf,
    "-inf": -math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-infinity": -math.inf,
    "nan": math.nan,
}


def is_missing(v: object) -> bool:
    """The engine's "no value" (missing map key); Go hands it to ``interface{}`` parameters as nil."""
    return v is MISSING or type(v).__name__ == "_Missing"


def is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def wrap64(n: int) -> int:
    """Go int64 arithmetic wraps around silently."""
    return ((n - INT64_MIN) & 0xFFFFFFFFFFFFFFFF) + INT64_MIN


def float_to_int64(f: float) -> int:
    """Go's ``int64(f)``: truncation; NaN and out-of-range give the amd64 "integer indefinite" value."""
    if math.isnan(f) or f >= 9.223372036854775807e18 or f < -9.223372036854775808e18:
        return INT64_MIN
    return int(f)


def parse_go_int(s: str, base: int = 10) -> int | None:
    """``strconv.ParseInt(s, base, 64)`` for base 8 or 10; None where Go returns an error."""
    if base == 10:
        if not _GO_INT_RE.match(s):
            return None
    elif not re.fullmatch(r"[+-]?[0-7]+", s):
        return None
    n = int(s, base)
    return n if INT64_MIN <= n <= INT64_MAX else None


def parse_go_float(s: str) -> float | None:
    """``strconv.ParseFloat(s, 64)``; None where Go returns an error (syntax or range)."""
    special = _GO_SPECIAL_FLOAT.get(s.lower())
    if special is not None:
        return special
    if _GO_DEC_FLOAT_RE.match(s):
        f = float(s)
    else:
        m = _GO_HEX_FLOAT_RE.match(s)
        if m is None:
            return None
        sign, whole, frac, exp = m.groups()
        try:
            f = float.fromhex(f"{sign}0x{whole.replace('_', '') or '0'}.{(frac or '').replace('_', '')}p{exp}")
        except (OverflowError, ValueError):
            return None
    return None if math.isinf(f) else f


def to_int64(v: object) -> int:
    """Sprig v2.22 ``toInt64``: strings via ``ParseInt(s, 10, 64)`` (error -> 0), floats truncate, bools 1/0."""
    if isinstance(v, str):
        n = parse_go_int(v)
        return 0 if n is None else n
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return wrap64(v)
    if isinstance(v, float):
        return float_to_int64(v)
    return 0


def to_float64(v: object) -> float:
    """Sprig v2.22 ``toFloat64``: strings via ``ParseFloat`` (error -> 0), ints widen, bools 1/0."""
    if isinstance(v, str):
        f = parse_go_float(v)
        return 0.0 if f is None else f
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int):
        return float(wrap64(v))
    if isinstance(v, float):
        return v
    return 0.0


def go_float_str(f: float) -> str:
    return format_float(f, "g", -1)


# ---------------------------------------------------------------- type names, emptiness, equality


def go_kind(v: object) -> str:
    """``reflect.ValueOf(v).Kind().String()``."""
    if v is None or is_missing(v):
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple | bytes | bytearray):
        return "slice"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, datetime):
        return "struct"
    return "ptr"


def go_empty(v: object) -> bool:
    """Sprig ``empty``: the zero value of its type (structs such as times are never empty)."""
    if v is None or is_missing(v):
        return True
    if isinstance(v, str | list | tuple | dict | bytes | bytearray):
        return len(v) == 0
    if isinstance(v, bool):
        return not v
    if isinstance(v, int | float):
        return v == 0
    return False


def deep_equal(a: object, b: object) -> bool:
    """``reflect.DeepEqual``: types must match exactly (1 != 1.0 != true), NaN never equals itself."""
    if a is None or is_missing(a):
        return b is None or is_missing(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_int(a) or is_int(b):
        return is_int(a) and is_int(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, float) and isinstance(b, float) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, list | tuple):
        if not isinstance(b, list | tuple) or len(a) != len(b):
            return False
        return all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        return all(k in b and deep_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, datetime):
        return isinstance(b, datetime) and a == b and a.tzinfo == b.tzinfo
    return a is b or (type(a) is type(b) and a == b)


# ---------------------------------------------------------------- strings


def go_time_string(t: datetime) -> str:
    """``time.Time.String()`` (no monotonic reading: the engine's clock has none)."""
    from .golayout import format_go_time

    return format_go_time(t, "2006-01-02 15:04:05.999999999 -0700 MST")


def strval(v: object) -> str:
    """Sprig ``strval``: strings as is, Stringers (times) via String(), everything else ``%v``."""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes | bytearray):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, datetime):
        return go_time_string(v)
    if is_missing(v):
        return "<nil>"
    return format_value(v)


def utf8(s: str) -> bytes:
    """Go strings are bytes; lone surrogates (impossible in Go) are carried through rather than crashing."""
    return s.encode("utf-8", "surrogatepass")


def from_utf8(b: bytes) -> str:
    """Byte slicing can cut a rune in half; Go would emit the raw bytes, we emit U+FFFD."""
    return b.decode("utf-8", "replace")


def slice_panic(lo: int, hi: int, length: int) -> ValueError:
    return ValueError(f"runtime error: slice bounds out of range [{lo}:{hi}] with length {length}")


def go_lower_rune(c: str) -> str:
    """``unicode.ToLower``: one rune in, one rune out (Python's full case mapping may return two)."""
    if c == "\u0130":
        return "i"
    low = c.lower()
    return low if len(low) == 1 else c


def go_upper_rune(c: str) -> str:
    up = c.upper()
    return up if len(up) == 1 else c


def go_title_rune(c: str) -> str:
    t = c.title()
    return t if len(t) == 1 else go_upper_rune(c)


def is_go_upper(c: str) -> bool:
    return unicodedata.category(c) == "Lu"


def is_go_lower(c: str) -> bool:
    return unicodedata.category(c) == "Ll"


def is_go_number(c: str) -> bool:
    return unicodedata.category(c).startswith("N")


def is_go_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def check_size(n: int, what: str) -> None:
    if n > MAX_CHARS:
        raise ValueError(f"{what}: result too large ({n} characters, the limit is {MAX_CHARS})")


# ---------------------------------------------------------------- times


class GoFixedZone(tzinfo):
    """``time.FixedZone(name, offset)``: a name that may be empty (then "MST" prints as ``-0700``)."""

    def __init__(self, name: str, offset_seconds: int) -> None:
        self._name = name
        self._offset = timedelta(seconds=offset_seconds)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self._offset

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return self._name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoFixedZone) and (self._name, self._offset) == (other._name, other._offset)

    def __hash__(self) -> int:
        return hash((self._name, self._offset))

    def __repr__(self) -> str:
        return f"GoFixedZone({self._name!r}, {int(self._offset.total_seconds())})"


class GoTime(datetime):
    """An aware datetime that the engine prints like Go's ``time.Time`` (``fmt.Stringer``) and whose Go
    methods templates can call (``{{ now.Unix }}``; see ``timemethods``)."""

    GO_TYPE = "time.Time"

    def go_string(self) -> str:
        return go_time_string(self)

    def go_methods(self) -> Mapping[str, Callable[..., object]]:
        from .timemethods import time_methods

        return time_methods(self, as_go_time)


ZERO_TIME: Final = GoTime(1, 1, 1, tzinfo=UTC)


def as_go_time(dt: datetime) -> GoTime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if isinstance(dt, GoTime):
        return dt
    return GoTime(
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond, tzinfo=dt.tzinfo, fold=dt.fold
    )


Clock = Callable[[], datetime]
