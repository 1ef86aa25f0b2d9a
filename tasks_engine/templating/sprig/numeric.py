"""Sprig math and conversion functions (``numeric.go`` and the arithmetic lambdas in ``functions.go``).

All integer math is Go int64: every operand goes through Sprig's ``toInt64`` ("12" -> 12, "abc" -> 0,
1.9 -> 1, true -> 1, nil -> 0), results wrap on overflow, ``div`` truncates toward zero, ``mod`` takes the
sign of the dividend, and dividing by zero is Go's runtime panic (a template error).
"""

from __future__ import annotations

import math

from ._core import (
    INT64_MIN,
    parse_go_int,
    strval,
    to_float64,
    to_int64,
    wrap64,
)
from ._sig import FuncTable, GoType, go_func

_DIV_ZERO = "runtime error: integer divide by zero"


def add(*vals: object) -> int:
    total = 0
    for v in vals:
        total = wrap64(total + to_int64(v))
    return total


def sub(a: object, b: object) -> int:
    return wrap64(to_int64(a) - to_int64(b))


def mul(a: object, *rest: object) -> int:
    val = to_int64(a)
    for b in rest:
        val = wrap64(val * to_int64(b))
    return val


def go_div(x: int, y: int) -> int:
    if y == 0:
        raise ValueError(_DIV_ZERO)
    q = abs(x) // abs(y)
    return wrap64(q if (x >= 0) == (y >= 0) else -q)


def go_mod(x: int, y: int) -> int:
    if y == 0:
        raise ValueError(_DIV_ZERO)
    if x == INT64_MIN and y == -1:
        return 0
    return x - y * go_div(x, y)


def div(a: object, b: object) -> int:
    return go_div(to_int64(a), to_int64(b))


def mod(a: object, b: object) -> int:
    return go_mod(to_int64(a), to_int64(b))


def max_(a: object, *rest: object) -> int:
    return max([to_int64(a), *(to_int64(b) for b in rest)])


def min_(a: object, *rest: object) -> int:
    return min([to_int64(a), *(to_int64(b) for b in rest)])


def _ffloor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def _fceil(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else x


def floor(a: object) -> float:
    return _ffloor(to_float64(a))


def ceil(a: object) -> float:
    return _fceil(to_float64(a))


def round_(a: object, places: int, *r_opt: float) -> float:
    """Sprig ``round``: scale, round half up at ``roundOn`` (default .5) using Modf's signed fraction."""
    round_on = r_opt[0] if r_opt else 0.5
    val = to_float64(a)
    try:
        pow_ = math.pow(10, float(places))
    except OverflowError:
        pow_ = math.inf
    digit = pow_ * val
    frac = math.modf(digit)[0] if math.isfinite(digit) else math.nan
    rounded = _fceil(digit) if frac >= round_on else _ffloor(digit)
    if pow_ == 0:
        return math.nan if rounded == 0 or math.isnan(rounded) else math.copysign(math.inf, rounded)
    return rounded / pow_


def atoi(s: str) -> int:
    n = parse_go_int(s)
    return 0 if n is None else n


def to_decimal(v: object) -> int:
    """Unix octal text to a number: ``ParseInt(fmt.Sprint(v), 8, 64)``, errors give 0."""
    n = parse_go_int(strval(v), 8)
    return 0 if n is None else n


def numeric_functions() -> FuncTable:
    a1: tuple[GoType, ...] = ("any",)
    a2: tuple[GoType, ...] = ("any", "any")
    return {
        "add1": go_func("add1", lambda i: wrap64(to_int64(i) + 1), a1),
        "add": go_func("add", add, (), "any"),
        "sub": go_func("sub", sub, a2),
        "div": go_func("div", div, a2),
        "mod": go_func("mod", mod, a2),
        "mul": go_func("mul", mul, a1, "any"),
        "biggest": go_func("biggest", max_, a1, "any"),
        "max": go_func("max", max_, a1, "any"),
        "min": go_func("min", min_, a1, "any"),
        "ceil": go_func("ceil", ceil, a1),
        "floor": go_func("floor", floor, a1),
        "round": go_func("round", round_, ("any", "int"), "float64"),
        "atoi": go_func("atoi", atoi, ("string",)),
        "int64": go_func("int64", to_int64, a1),
        "int": go_func("int", to_int64, a1),
        "float64": go_func("float64", to_float64, a1),
        "toDecimal": go_func("toDecimal", to_decimal, a1),
    }
