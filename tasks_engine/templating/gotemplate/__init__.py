"""Go ``text/template`` in pure Python, faithful to Go's output and error texts.

ACR renders task files with Go templates (``missingkey=zero``) plus Sprig; existing task files depend on
Go's exact behaviour, so this is a port of Go's lexer, parser and executor rather than a look-alike.

    result = render(text, data, funcs=sprig_funcs)
    result.text                      # rendered text ("<no value>" is left in; the caller removes it)
    result.source_map.to_source(i)   # offset in ``text`` that produced output offset ``i``

Function parameters annotated ``str``/``int``/``float``/``bool``/``list``/``dict`` get Go's argument type
checks (``wrong type for value; expected string; got int``); unannotated ones accept anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .builtins import BUILTINS as _BUILTINS
from .builtins import FuncSpec, is_true, spec_for
from .errors import TemplateError
from .executor import execute_tree
from .gofmt import format_value, sprint, sprintf, sprintln
from .parser import Tree, parse_text
from .sourcemap import LineIndex, Segment, SourceMap, compose, line_col, offset_of
from .values import MISSING, GoStringer, go_type_name

__all__ = [
    "MISSING",
    "GoStringer",
    "RenderResult",
    "Segment",
    "SourceMap",
    "Template",
    "TemplateError",
    "compose",
    "format_value",
    "go_type_name",
    "is_true",
    "line_col",
    "offset_of",
    "parse",
    "render",
    "sprint",
    "sprintf",
    "sprintln",
]

_MISSINGKEY = ("zero", "error", "default", "invalid")
_EMPTY: Mapping[str, Callable[..., object]] = {}


@dataclass(frozen=True)
class RenderResult:
    text: str
    source_map: SourceMap


class _FuncNames:
    """Names the parser accepts: user functions plus Go builtins."""

    def __init__(self, funcs: Mapping[str, object]) -> None:
        self.funcs = funcs

    def __contains__(self, name: object) -> bool:
        return name in self.funcs or name in _BUILTINS


class _LazySpecs(Mapping[str, FuncSpec]):
    """Go signatures of the template's functions, derived when a function is first called: a template uses
    a handful of the ~140 Sprig functions, and deriving all of them was most of the cost of a small render."""

    def __init__(self, funcs: Mapping[str, Callable[..., object]]) -> None:
        self._funcs = funcs
        self._specs: dict[str, FuncSpec] = {}

    def __getitem__(self, name: str) -> FuncSpec:
        spec = self._specs.get(name)
        if spec is None:
            spec = self._specs[name] = spec_for(self._funcs[name])
        return spec

    def __iter__(self) -> Iterator[str]:
        return iter(self._funcs)

    def __len__(self) -> int:
        return len(self._funcs)


class Template:
    """A parsed template; ``execute`` may be called many times with different data."""

    def __init__(self, text: str, *, name: str, funcs: Mapping[str, Callable[..., object]]) -> None:
        self.text = text
        self.name = name
        self._index = LineIndex(text)
        try:
            self._trees: dict[str, Tree] = parse_text(text, name, _FuncNames(funcs), self._index)
        except RecursionError:
            raise _too_deep("parse", name) from None
        self._specs: Mapping[str, FuncSpec] = _LazySpecs(funcs)

    @property
    def template_names(self) -> list[str]:
        return sorted(self._trees)

    def execute(
        self, data: object, *, missingkey: str = "zero", lenient_nil_fields: bool = False
    ) -> RenderResult:
        """Render with Go's ``missingkey`` option (``zero``, ``default``/``invalid`` or ``error``).

        ``lenient_nil_fields=True`` makes ``.a.b`` with ``a`` missing yield ``<no value>`` instead of Go's
        ``nil pointer evaluating interface {}.b`` error.
        """
        if missingkey not in _MISSINGKEY:
            raise ValueError(f"unrecognized missingkey option {missingkey!r}")
        try:
            out = execute_tree(
                trees=self._trees,
                name=self.name,
                funcs=self._specs,
                index=self._index,
                data=data,
                missingkey=missingkey,
                lenient_nil_fields=lenient_nil_fields,
            )
        except RecursionError:
            raise _too_deep("exec", self.name) from None
        return RenderResult("".join(out.parts), SourceMap(out.segments, length=out.length))


def _too_deep(kind: str, name: str) -> TemplateError:
    msg = "template or data nested too deeply"
    return TemplateError(kind, msg, name=name, line=1, column=1, offset=0, go_text=f"template: {name}: {msg}")


def parse(
    text: str, *, name: str = "task", funcs: Mapping[str, Callable[..., object]] = _EMPTY
) -> Template:
    """Parse ``text``; raises ``TemplateError(kind="parse")`` with Go's message and the position."""
    return Template(text, name=name, funcs=funcs)


def render(
    text: str,
    data: object,
    *,
    funcs: Mapping[str, Callable[..., object]] = _EMPTY,
    name: str = "task",
    missingkey: str = "zero",
    lenient_nil_fields: bool = False,
) -> RenderResult:
    """Parse and execute in one go."""
    return parse(text, name=name, funcs=funcs).execute(
        data, missingkey=missingkey, lenient_nil_fields=lenient_nil_fields
    )
