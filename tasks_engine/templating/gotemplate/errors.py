"""The one error type of the template engine, shaped like Go's so ACR-style messages stay recognisable."""

from __future__ import annotations

from tasks_engine.errors import EngineError


class TemplateError(EngineError):
    """A parse or execution error with its place in the template source.

    ``line``/``column`` are 1-based (characters) for editors and ``Problem``; ``str()`` is Go's text:
    ``template: NAME:LINE: msg`` for parse errors and
    ``template: NAME:LINE:COL: executing "NAME" at <ctx>: msg`` for execution errors (Go's 0-based byte column).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        name: str,
        line: int,
        column: int,
        offset: int,
        go_text: str,
    ) -> None:
        self.kind = kind
        self.message = message
        self.name = name
        self.line = line
        self.column = column
        self.offset = offset
        super().__init__(go_text)
