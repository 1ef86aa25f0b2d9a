"""The Python stand-ins for Go's reflect-level notions that text/template relies on.

Go distinguishes a *nil* interface (``None`` here) from an *invalid* ``reflect.Value`` ("no value").
Task files depend on the difference: a missing key prints ``<no value>`` (which ACR then deletes),
while ``print nil`` prints ``<nil>``. ``MISSING`` is that invalid value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final, Protocol, runtime_checkable


class _Missing:
    """Singleton type of ``MISSING``; falsy like Go's zero/invalid values."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class InterfaceMap(dict[object, object]):
    """A Go ``map[interface{}]interface{}``: what yaml.v2 makes of a *nested* map in a values file.

    Its keys keep their YAML types (``80`` is an int, ``y`` the bool true), so ``index .Values.ports 80``
    finds the entry as on ACR, where a ``map[string]interface{}`` would refuse a non-string index.
    """

    GO_TYPE = "map[interface {}]interface {}"


@runtime_checkable
class GoStringer(Protocol):
    """Values from helper libraries (times, durations…) that print like a Go ``fmt.Stringer``."""

    def go_string(self) -> str: ...


@runtime_checkable
class GoMethods(Protocol):
    """Values with Go methods callable from a template, as on a Go struct (``{{ now.Year }}``,
    ``{{ now.Format "2006" }}``). ``go_methods`` maps the method name to a callable whose annotations give
    the Go parameter types; ``GO_TYPE`` is the Go type name used in error messages."""

    GO_TYPE: str

    def go_methods(self) -> Mapping[str, Callable[..., object]]: ...


def go_type_name(v: object) -> str:
    """The Go type name fmt and text/template use in messages (``%!d(string=hi)``, ``type string``)."""
    if v is None or v is MISSING:
        return "<nil>"
    go_type = getattr(type(v), "GO_TYPE", None)  # time.Time, time.Month... (see GoMethods)
    if isinstance(go_type, str):
        return go_type
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, datetime):
        return "time.Time"
    if isinstance(v, bytes | bytearray):
        return "[]uint8"
    if isinstance(v, list | tuple):
        return "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if callable(v):
        return "func"
    return type(v).__name__
