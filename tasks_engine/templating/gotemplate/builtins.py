"""Go's builtin template functions (``text/template/funcs.go``) and the Go-type view of callables.

Inside the evaluator ``MISSING`` is an invalid ``reflect.Value`` and ``None`` a nil ``interface{}``: the
builtins take ``reflect.Value`` arguments in Go, so they see the difference and so must we (``len`` of a
missing key says "len of nil pointer", ``index`` of an untyped nil says "index of untyped nil").
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from .gofmt import sprint, sprintf, sprintln
from .values import MISSING, InterfaceMap, go_type_name

IFACE = "interface {}"
VALUE = "reflect.Value"
STRING = "string"
INT = "int"
FLOAT = "float64"
BOOL = "bool"
SLICE = "[]interface {}"
MAP = "map[string]interface {}"


class CallError(Exception):
    """A builtin's Go ``error`` result; becomes ``error calling NAME: msg``."""


@dataclass(frozen=True)
class FuncSpec:
    """Parameter types of a callable as Go sees them; ``known=False`` skips arity and type checks."""

    fn: Callable[..., object]
    params: tuple[str, ...] = ()
    optional: int = 0
    variadic: str | None = None
    known: bool = True


def _go_type_of_annotation(ann: object) -> str:
    origin = typing.get_origin(ann) or ann
    if origin is str:
        return STRING
    if origin is bool:
        return BOOL
    if origin is int:
        return INT
    if origin is float:
        return FLOAT
    if origin in (list, Sequence, tuple):
        return SLICE
    if origin in (dict, Mapping):
        return MAP
    return IFACE


def spec_for(fn: Callable[..., object]) -> FuncSpec:
    """Derive Go parameter types from Python annotations (``str`` → string, unannotated → interface{}).

    Cached by code object: every template renders with ~140 Sprig functions, and some are closures made
    anew per render (``env``, ``now``), so without the cache ``inspect.signature`` dominated a service
    submit. The same code with the same number of defaults has the same signature.
    """
    code = getattr(fn, "__code__", None)
    key: object = (code, len(getattr(fn, "__defaults__", None) or ())) if code is not None else fn
    try:
        shape = _SHAPES[key]
    except KeyError:
        shape = _signature_shape(fn)
        if len(_SHAPES) < _MAX_SHAPES:
            _SHAPES[key] = shape
    except TypeError:  # an unhashable callable
        shape = _signature_shape(fn)
    params, optional, variadic, known = shape
    return FuncSpec(fn, params, optional, variadic, known)


_Shape = tuple[tuple[str, ...], int, "str | None", bool]
_SHAPES: dict[object, _Shape] = {}
_MAX_SHAPES = 4096


def _signature_shape(fn: Callable[..., object]) -> _Shape:
    try:
        sig = inspect.signature(fn, eval_str=True)
    except (TypeError, ValueError, NameError):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return (), 0, None, False
    params: list[str] = []
    optional = 0
    variadic: str | None = None
    for p in sig.parameters.values():
        ann = p.annotation if p.annotation is not inspect.Parameter.empty else object
        if isinstance(ann, str):
            ann = object
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            params.append(_go_type_of_annotation(ann))
            if p.default is not inspect.Parameter.empty:
                optional += 1
        elif p.kind == p.VAR_POSITIONAL:
            variadic = _go_type_of_annotation(ann)
    return tuple(params), optional, variadic, True


def indirect_interface(v: object) -> object:
    return MISSING if v is None else v


def is_true(v: object) -> bool:
    """Go's ``isTrue``: the zero value of every kind is false."""
    if v is None or v is MISSING:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str | bytes | bytearray | list | tuple | Mapping):
        return len(v) > 0
    return True


def _reflect_kind(v: object) -> str:
    if v is MISSING:
        return "invalid"
    if isinstance(v, list | tuple | bytes | bytearray):
        return "slice"
    if isinstance(v, Mapping):
        return "map"
    if callable(v):
        return "func"
    return "struct"


def _basic_kind(v: object) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return None


def _comparable(v: object) -> bool:
    return not isinstance(v, list | tuple | bytes | bytearray | Mapping) and not callable(v)


def go_eq(arg1: object, *arg2: object) -> bool:
    arg1 = indirect_interface(arg1)
    if not arg2:
        raise CallError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in arg2:
        arg = indirect_interface(arg)
        k2 = _basic_kind(arg)
        truth = False
        if k1 != k2:
            if arg1 is not MISSING and arg is not MISSING:
                raise CallError("incompatible types for comparison")
        elif k1 is not None:
            truth = arg1 == arg
        else:
            r1, r2 = _reflect_kind(arg1), _reflect_kind(arg)
            if r1 != r2 and "invalid" not in (r1, r2):
                raise CallError(
                    f"non-comparable types {sprint(arg1)}: {go_type_name(arg1)}, "
                    f"{go_type_name(arg)}: {sprint(arg)}"
                )
            if arg1 is MISSING or arg is MISSING:
                truth = arg1 is arg
            else:
                if not _comparable(arg):
                    raise CallError(f"non-comparable type {sprint(arg)}: {go_type_name(arg)}")
                truth = arg1 == arg
        if truth:
            return True
    return False


def go_ne(arg1: object, arg2: object) -> bool:
    return not go_eq(arg1, arg2)


def go_lt(arg1: object, arg2: object) -> bool:
    arg1 = indirect_interface(arg1)
    k1 = _basic_kind(arg1)
    if k1 is None:
        raise CallError("invalid type for comparison")
    arg2 = indirect_interface(arg2)
    k2 = _basic_kind(arg2)
    if k2 is None:
        raise CallError("invalid type for comparison")
    if k1 != k2:
        raise CallError("incompatible types for comparison")
    if k1 == "bool":
        raise CallError("invalid type for comparison")
    return arg1 < arg2  # type: ignore[operator, no-any-return]


def go_le(arg1: object, arg2: object) -> bool:
    return go_lt(arg1, arg2) or go_eq(arg1, arg2)


def go_gt(arg1: object, arg2: object) -> bool:
    return not go_le(arg1, arg2)


def go_ge(arg1: object, arg2: object) -> bool:
    return not go_lt(arg1, arg2)


def go_not(arg: object) -> bool:
    return not is_true(indirect_interface(arg))


def go_len(item: object) -> int:
    if item is None:
        raise CallError("len of nil pointer")
    if item is MISSING:
        raise CallError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))
    if isinstance(item, list | tuple | bytes | bytearray | Mapping):
        return len(item)
    raise CallError(f"len of type {go_type_name(item)}")


def _index_arg(index: object, cap: int) -> int:
    if isinstance(index, int) and not isinstance(index, bool):
        x = index
    elif index is MISSING or index is None:
        raise CallError("cannot index slice/array with nil")
    else:
        raise CallError(f"cannot index slice/array with type {go_type_name(index)}")
    if x < 0 or x > cap:
        raise CallError(f"index out of range: {x}")
    return x


def go_index(item: object, *indexes: object) -> object:
    item = indirect_interface(item)
    if item is MISSING:
        raise CallError("index of untyped nil")
    for index in indexes:
        index = indirect_interface(index)
        if item is None:
            raise CallError("index of nil pointer")
        if isinstance(item, str | bytes | bytearray | list | tuple):
            seq: Sequence[object] | bytes = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
            x = _index_arg(index, len(seq))
            if x == len(seq):
                raise CallError(f"index out of range: {x}")
            item = seq[x]
        elif isinstance(item, InterfaceMap):
            item = item.get(None if index is MISSING else index)
        elif isinstance(item, Mapping):
            if index is MISSING:
                raise CallError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise CallError(f"value has type {go_type_name(index)}; should be string")
            item = item.get(index)
        else:
            raise CallError(f"can't index item of type {go_type_name(item)}")
    return item


def go_slice(item: object, *indexes: object) -> object:
    item = indirect_interface(item)
    if item is MISSING:
        raise CallError("slice of untyped nil")
    if len(indexes) > 3:
        raise CallError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise CallError("cannot 3-index slice a string")
        data: Sequence[object] | bytes = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, list | tuple | bytes | bytearray):
        data = item
    else:
        raise CallError(f"can't slice item of type {go_type_name(item)}")
    idx = [0, len(data), len(data)]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(indirect_interface(index), len(data))
    if idx[0] > idx[1]:
        raise CallError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise CallError(f"invalid slice index: {idx[1]} > {idx[2]}")
    part = data[idx[0] : idx[1]]
    if isinstance(item, str):
        assert isinstance(part, bytes)
        return part.decode("utf-8", "replace")
    return list(part) if isinstance(item, list) else part


def go_call(fn: object, *args: object) -> object:
    fn = indirect_interface(fn)
    if fn is MISSING:
        raise CallError("call of nil")
    if not callable(fn):
        raise CallError(f"non-function of type {go_type_name(fn)}")
    return fn(*[None if a is MISSING else a for a in args])


def _eval_args(args: tuple[object, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*["<no value>" if a is None or a is MISSING else a for a in args])


_HTML = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\0": "\ufffd"}


def go_html(*args: object) -> str:
    s = _eval_args(args)
    return "".join(_HTML.get(c, c) for c in s)


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def go_js(*args: object) -> str:
    out = []
    for c in _eval_args(args):
        if c in _JS:
            out.append(_JS[c])
        elif c < " " or (ord(c) >= 0x80 and not c.isprintable()):
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def go_urlquery(*args: object) -> str:
    return quote_plus(_eval_args(args), safe="", encoding="utf-8", errors="surrogatepass")


def _printf(fmt: object, *args: object) -> str:
    return sprintf(str(fmt), *args)


def _and_or(*args: object) -> object:  # pragma: no cover - special-cased by the evaluator
    raise AssertionError("and/or are evaluated lazily")


BUILTINS: dict[str, FuncSpec] = {
    "and": FuncSpec(_and_or, (VALUE,), 0, VALUE),
    "or": FuncSpec(_and_or, (VALUE,), 0, VALUE),
    "call": FuncSpec(go_call, (VALUE,), 0, VALUE),
    "html": FuncSpec(go_html, (), 0, IFACE),
    "index": FuncSpec(go_index, (VALUE,), 0, VALUE),
    "slice": FuncSpec(go_slice, (VALUE,), 0, VALUE),
    "js": FuncSpec(go_js, (), 0, IFACE),
    "len": FuncSpec(go_len, (VALUE,)),
    "not": FuncSpec(go_not, (VALUE,)),
    "print": FuncSpec(sprint, (), 0, IFACE),
    "printf": FuncSpec(_printf, (STRING,), 0, IFACE),
    "println": FuncSpec(sprintln, (), 0, IFACE),
    "urlquery": FuncSpec(go_urlquery, (), 0, IFACE),
    "eq": FuncSpec(go_eq, (VALUE,), 0, VALUE),
    "ge": FuncSpec(go_ge, (VALUE, VALUE)),
    "gt": FuncSpec(go_gt, (VALUE, VALUE)),
    "le": FuncSpec(go_le, (VALUE, VALUE)),
    "lt": FuncSpec(go_lt, (VALUE, VALUE)),
    "ne": FuncSpec(go_ne, (VALUE, VALUE)),
}
