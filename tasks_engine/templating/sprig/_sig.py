"""Go function signatures for Sprig functions: text/template checks argument count and type before a call.

The engine calls every function as ``fn(*args)``. A Go FuncMap function declares typed parameters, and
text/template rejects a call with the wrong count (``wrong number of args for upper: want 1 got 2``) or an
argument that is not assignable (``wrong type for value; expected string; got int``; nil for a string is
``invalid value; expected string``). ``interface{}`` parameters take anything, and "no value" arrives as nil.
Declaring the Go signature next to each function keeps that behaviour in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from ._core import as_go_time, go_type_name, is_int, is_missing

GoType = Literal["any", "string", "int", "float64", "bool", "map", "time"]

_GO_NAMES: dict[str, str] = {"map": "map[string]interface {}", "time": "time.Time"}


def _wrong(t: GoType, v: object) -> TypeError:
    name = _GO_NAMES.get(t, t)
    if v is None or is_missing(v):
        return TypeError(f"invalid value; expected {name}")
    return TypeError(f"wrong type for value; expected {name}; got {go_type_name(v)}")


def coerce(t: GoType, v: object) -> object:
    """Convert one argument the way text/template's ``validateType`` would, or raise its error."""
    if t == "any":
        return None if is_missing(v) else v
    if t == "string":
        if isinstance(v, str):
            return v
    elif t == "int":
        if is_int(v):
            return v
    elif t == "float64":
        if isinstance(v, float):
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)  # an untyped numeric constant converts to float64
    elif t == "bool":
        if isinstance(v, bool):
            return v
    elif t == "map":
        if isinstance(v, dict):
            return v
        if v is None or is_missing(v):
            return None  # a nil map is a valid map value
    elif t == "time" and isinstance(v, datetime):
        return as_go_time(v)
    raise _wrong(t, v)


def go_func(
    name: str,
    fn: Callable[..., object],
    params: tuple[GoType, ...] = (),
    variadic: GoType | None = None,
) -> Callable[..., object]:
    """Wrap ``fn`` so calls are checked against the Go signature ``params`` (+ ``...variadic``)."""
    n = len(params)

    def call(*args: object) -> object:
        if variadic is None and len(args) != n:
            raise TypeError(f"wrong number of args for {name}: want {n} got {len(args)}")
        if variadic is not None and len(args) < n:
            raise TypeError(f"wrong number of args for {name}: want at least {n} got {len(args)}")
        conv = [coerce(p, a) for p, a in zip(params, args, strict=False)]
        if variadic is not None:
            conv.extend(coerce(variadic, a) for a in args[n:])
        try:
            return fn(*conv)
        except RecursionError:
            raise ValueError(f"{name}: value is nested too deeply (or refers to itself)") from None
        except (OverflowError, ZeroDivisionError, MemoryError) as e:
            raise ValueError(f"{name}: {e}") from None

    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = fn.__doc__
    return call


FuncTable = dict[str, Callable[..., object]]
