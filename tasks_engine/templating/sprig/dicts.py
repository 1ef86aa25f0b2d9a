"""Sprig dict functions (``dict.go``): Go ``map[string]interface{}`` semantics over Python dicts.

``set``/``unset``/``merge`` mutate their first argument and return it, as in Go, because templates rely on
``$_ := set $d "k" "v"`` changing ``$d``. ``merge`` follows mergo 0.3 (dest wins unless its value is empty).
"""

from __future__ import annotations

import copy

from ._core import go_empty, strval
from ._sig import FuncTable, go_func

Map = dict[str, object] | None


def dict_(*v: object) -> dict[str, object]:
    d: dict[str, object] = {}
    for i in range(0, len(v), 2):
        d[strval(v[i])] = v[i + 1] if i + 1 < len(v) else ""
    return d


def get(d: Map, key: str) -> object:
    """Sprig 3 ``get`` (not in v2.22): the value, or "" when the key is absent."""
    if d is not None and key in d:
        return d[key]
    return ""


def set_(d: Map, key: str, value: object) -> dict[str, object]:
    if d is None:
        raise ValueError("assignment to entry in nil map")
    d[key] = value
    return d


def unset(d: Map, key: str) -> Map:
    if d is not None:
        d.pop(key, None)
    return d


def has_key(d: Map, key: str) -> bool:
    return d is not None and key in d


def pluck(key: str, *dicts: Map) -> list[object]:
    return [d[key] for d in dicts if d is not None and key in d]


def keys(*dicts: Map) -> list[object]:
    return [k for d in dicts if d is not None for k in d]


def pick(d: Map, *names: str) -> dict[str, object]:
    return {k: d[k] for k in names if d is not None and k in d}


def omit(d: Map, *names: str) -> dict[str, object]:
    drop = set(names)
    return {k: v for k, v in (d or {}).items() if k not in drop}


def values(d: Map) -> list[object]:
    return list((d or {}).values())


def _merge_into(dst: dict[str, object], src: dict[str, object], overwrite: bool, depth: int = 0) -> None:
    if depth > 200:
        raise RecursionError
    for k, sv in src.items():
        if sv is None:
            continue
        dv = dst.get(k)
        if isinstance(sv, dict) and isinstance(dv, dict):
            _merge_into(dv, sv, overwrite, depth + 1)
            continue
        if k not in dst or go_empty(dv) or overwrite:
            dst[k] = sv


def merge(dst: Map, *srcs: Map) -> object:
    out = {} if dst is None else dst
    for src in srcs:
        if src is not None:
            _merge_into(out, src, overwrite=False)
    return out


def merge_overwrite(dst: Map, *srcs: Map) -> object:
    out = {} if dst is None else dst
    for src in srcs:
        if src is not None:
            _merge_into(out, src, overwrite=True)
    return out


def dict_functions() -> FuncTable:
    return {
        "dict": go_func("dict", dict_, (), "any"),
        "get": go_func("get", get, ("map", "string")),
        "set": go_func("set", set_, ("map", "string", "any")),
        "unset": go_func("unset", unset, ("map", "string")),
        "hasKey": go_func("hasKey", has_key, ("map", "string")),
        "pluck": go_func("pluck", pluck, ("string",), "map"),
        "keys": go_func("keys", keys, (), "map"),
        "pick": go_func("pick", pick, ("map",), "string"),
        "omit": go_func("omit", omit, ("map",), "string"),
        "merge": go_func("merge", merge, ("map",), "map"),
        "mergeOverwrite": go_func("mergeOverwrite", merge_overwrite, ("map",), "map"),
        "values": go_func("values", values, ("map",)),
        "deepCopy": go_func("deepCopy", copy.deepcopy, ("any",)),
    }
