"""Sprig list functions (``list.go``) plus ``toStrings``/``join``/``sortAlpha`` and the integer ranges.

Sprig v2.22 panics when a list function gets something that is not a slice (``Cannot push on type string``)
and dereferences a nil type for nil (Go's ``invalid memory address`` panic); both become template errors.
Results are fresh lists: the input slice is never modified, as in Go.
"""

from __future__ import annotations

from ._core import MAX_ITEMS, deep_equal, go_empty, go_kind, strval, to_int64
from ._sig import FuncTable, GoType, go_func

_NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"


def as_list(v: object, what: str) -> list[object]:
    """The elements of a Go slice/array, or the panic Sprig raises for anything else."""
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, bytes | bytearray):
        return list(v)
    if v is None:
        raise ValueError(_NIL_DEREF)
    raise ValueError(f"Cannot {what} type {go_kind(v)}")


def strslice(v: object) -> list[str]:
    """Sprig ``strslice``: a slice's non-nil elements as strings; nil is empty; a scalar is one string."""
    if isinstance(v, list | tuple):
        return [strval(x) for x in v if x is not None]
    if v is None:
        return []
    return [strval(v)]


def push(lst: object, v: object) -> list[object]:
    return [*as_list(lst, "push on"), v]


def prepend(lst: object, v: object) -> list[object]:
    return [v, *as_list(lst, "prepend on")]


def first(lst: object) -> object:
    items = as_list(lst, "find first on")
    return items[0] if items else None


def last(lst: object) -> object:
    items = as_list(lst, "find last on")
    return items[-1] if items else None


def rest(lst: object) -> list[object]:
    return as_list(lst, "find rest on")[1:]


def initial(lst: object) -> list[object]:
    return as_list(lst, "find initial on")[:-1]


def reverse(lst: object) -> list[object]:
    return as_list(lst, "find reverse on")[::-1]


def compact(lst: object) -> list[object]:
    return [x for x in as_list(lst, "compact on") if not go_empty(x)]


def _contains(haystack: list[object], needle: object) -> bool:
    return any(deep_equal(needle, h) for h in haystack)


def uniq(lst: object) -> list[object]:
    out: list[object] = []
    for x in as_list(lst, "find uniq on"):
        if not _contains(out, x):
            out.append(x)
    return out


def without(lst: object, *omit: object) -> list[object]:
    omitted = list(omit)
    return [x for x in as_list(lst, "find without on") if not _contains(omitted, x)]


def has(needle: object, haystack: object) -> bool:
    if haystack is None:
        return False
    return _contains(as_list(haystack, "find has on"), needle)


def slice_(lst: object, *indices: object) -> object:
    if lst is None:
        raise ValueError(_NIL_DEREF)
    if not isinstance(lst, list | tuple):
        raise ValueError(f"list should be type of slice or array but {go_kind(lst)}")
    items = list(lst)
    if not items:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) >= 2 else len(items)
    if not 0 <= start <= end <= len(items):
        raise ValueError("reflect: slice index out of range")
    return items[start:end]


def concat(*lists: object) -> list[object]:
    out: list[object] = []
    for lst in lists:
        if lst is None:
            raise ValueError(_NIL_DEREF)
        if not isinstance(lst, list | tuple):
            raise ValueError(f"Cannot concat type {go_kind(lst)} as list")
        out.extend(lst)
    return out


def sort_alpha(lst: object) -> list[str]:
    if isinstance(lst, list | tuple):
        return sorted(strslice(lst), key=lambda s: s.encode("utf-8", "surrogatepass"))
    return [strval(lst)]


def join(sep: str, v: object) -> str:
    return sep.join(strslice(v))


def until_step(start: int, stop: int, step: int) -> list[object]:
    """Sprig ``untilStep``; capped at MAX_ITEMS so a template cannot exhaust memory."""
    if stop < start:
        if step >= 0:
            return []
        count = (start - stop + (-step) - 1) // (-step)
    else:
        if step <= 0:
            return []
        count = (stop - start + step - 1) // step
    if count > MAX_ITEMS:
        raise ValueError(f"untilStep: result too large ({count} items, the limit is {MAX_ITEMS})")
    return list(range(start, stop, step))


def until(count: int) -> list[object]:
    return until_step(0, count, 1 if count >= 0 else -1)


def seq(*params: int) -> str:
    """Sprig 3.1 ``seq`` (not in v2.22; provided because task authors expect it)."""
    if len(params) == 1:
        start, end = 1, params[0]
        inc = -1 if end < start else 1
        return " ".join(str(i) for i in until_step(start, end + inc, inc))
    if len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        return " ".join(str(i) for i in until_step(start, end + step, step))
    if len(params) == 3:
        start, step, end = params
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        return " ".join(str(i) for i in until_step(start, end + inc, step))
    return ""


def list_functions() -> FuncTable:
    a1: tuple[GoType, ...] = ("any",)
    return {
        "list": go_func("list", lambda *v: list(v), (), "any"),
        "tuple": go_func("tuple", lambda *v: list(v), (), "any"),
        "append": go_func("append", push, ("any", "any")),
        "push": go_func("push", push, ("any", "any")),
        "prepend": go_func("prepend", prepend, ("any", "any")),
        "first": go_func("first", first, a1),
        "last": go_func("last", last, a1),
        "rest": go_func("rest", rest, a1),
        "initial": go_func("initial", initial, a1),
        "reverse": go_func("reverse", reverse, a1),
        "uniq": go_func("uniq", uniq, a1),
        "compact": go_func("compact", compact, a1),
        "without": go_func("without", without, ("any",), "any"),
        "has": go_func("has", has, ("any", "any")),
        "slice": go_func("slice", slice_, ("any",), "any"),
        "concat": go_func("concat", concat, (), "any"),
        "sortAlpha": go_func("sortAlpha", sort_alpha, ("any",)),
        "join": go_func("join", join, ("string", "any")),
        "toStrings": go_func("toStrings", strslice, ("any",)),
        "until": go_func("until", until, ("int",)),
        "untilStep": go_func("untilStep", until_step, ("int", "int", "int")),
        "seq": go_func("seq", seq, (), "int"),
    }
