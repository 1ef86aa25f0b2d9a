"""Sprig defaults and reflection (``defaults.go``, ``reflect.go``) and ``toString``.

``default``/``empty`` use Go's zero-value rules, so ``0``, ``false``, ``""``, empty lists/maps, nil and the
engine's "no value" are all empty, while any time value is not.
"""

from __future__ import annotations

from ._core import deep_equal, go_empty, go_kind, go_type_name, strval
from ._sig import FuncTable, go_func


def default(d: object, *given: object) -> object:
    if not given or go_empty(given[0]):
        return d
    return given[0]


def coalesce(*vals: object) -> object:
    for v in vals:
        if not go_empty(v):
            return v
    return None


def ternary(vt: object, vf: object, v: bool) -> object:
    return vt if v else vf


def type_is_like(target: str, src: object) -> bool:
    t = go_type_name(src)
    return target in (t, "*" + t)


def convert_functions() -> FuncTable:
    return {
        "default": go_func("default", default, ("any",), "any"),
        "empty": go_func("empty", go_empty, ("any",)),
        "coalesce": go_func("coalesce", coalesce, (), "any"),
        "ternary": go_func("ternary", ternary, ("any", "any", "bool")),
        "toString": go_func("toString", strval, ("any",)),
        "typeOf": go_func("typeOf", go_type_name, ("any",)),
        "typeIs": go_func("typeIs", lambda t, v: t == go_type_name(v), ("string", "any")),
        "typeIsLike": go_func("typeIsLike", type_is_like, ("string", "any")),
        "kindOf": go_func("kindOf", go_kind, ("any",)),
        "kindIs": go_func("kindIs", lambda t, v: t == go_kind(v), ("string", "any")),
        "deepEqual": go_func("deepEqual", deep_equal, ("any", "any")),
    }
