"""Go's argument typing for function calls (``validateType``, ``evalArg`` on literals, ``idealConstant``).

A Go function declares parameter types and text/template converts or rejects arguments before the call,
with messages task authors see ("wrong type for value; expected string; got int"). Here the types come from
``FuncSpec`` (builtins) or Python annotations (user functions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .builtins import BOOL, FLOAT, IFACE, INT, MAP, SLICE, STRING, VALUE
from .errors import TemplateError
from .nodes import BoolNode, Node, NumberNode, StringNode
from .values import MISSING, go_type_name

ErrorF = Callable[[str], TemplateError]


def _assignable(value: object, typ: str) -> bool:
    if typ == STRING:
        return isinstance(value, str)
    if typ == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == FLOAT:
        return isinstance(value, float)
    if typ == BOOL:
        return isinstance(value, bool)
    if typ == SLICE:
        return isinstance(value, list | tuple)
    if typ == MAP:
        return isinstance(value, Mapping)
    return True


def validate_type(value: object, typ: str | None, errorf: ErrorF) -> object:
    """Go's ``validateType``: ``MISSING`` becomes nil where the type allows it; other values must fit."""
    if value is MISSING:
        if typ is None or typ == VALUE:
            return MISSING
        if typ in (IFACE, SLICE, MAP):
            return None
        raise errorf(f"invalid value; expected {typ}")
    if typ is None or typ in (IFACE, VALUE):
        return value
    if value is None:
        raise errorf(f"wrong type for value; expected {typ}; got interface {{}}")
    if not _assignable(value, typ):
        raise errorf(f"wrong type for value; expected {typ}; got {go_type_name(value)}")
    return value


def ideal_constant(c: NumberNode, errorf: ErrorF) -> object:
    """A number literal with no type context: float if written like one, else int (``idealConstant``)."""
    t = c.text
    is_hex_int = len(t) > 2 and t[0] == "0" and t[1] in "xX" and not any(ch in t for ch in "pP")
    if c.is_float and not is_hex_int and t[:1] != "'" and any(ch in t for ch in ".eEpP"):
        return c.float_val
    if c.is_int:
        return c.int_val
    if c.is_uint:
        raise errorf(f"{t} overflows int")
    return MISSING


def literal_arg(n: Node, typ: str | None, errorf: ErrorF) -> object:
    """A literal argument converted to the parameter type, or Go's "expected X; found Y" error."""
    if typ == BOOL:
        if isinstance(n, BoolNode):
            return n.value
        raise errorf(f"expected bool; found {n}")
    if typ == STRING:
        if isinstance(n, StringNode):
            return n.text
        raise errorf(f"expected string; found {n}")
    if typ == INT:
        if isinstance(n, NumberNode) and n.is_int:
            return n.int_val
        raise errorf(f"expected integer; found {n}")
    if typ == FLOAT:
        if isinstance(n, NumberNode) and n.is_float:
            return n.float_val
        raise errorf(f"expected float; found {n}")
    if typ in (IFACE, VALUE, None):
        if isinstance(n, BoolNode):
            return n.value
        if isinstance(n, NumberNode):
            return ideal_constant(n, errorf)
        if isinstance(n, StringNode):
            return n.text
        raise errorf(f"can't handle assignment of {n} to empty interface argument")
    raise errorf(f"can't handle {n} for arg of type {typ}")
