"""Errors of the dependency scanner.

A Dockerfile the scanner cannot understand is the user's to fix, exactly like a bad task file, so
``DockerfileError`` is a ``DefinitionError`` (HTTP 422, exit 1, never retried) carrying one ``Problem`` with
the Dockerfile line.
"""

from __future__ import annotations

from tasks_engine.errors import DefinitionError, Problem, Severity


class DockerfileError(DefinitionError):
    """The Dockerfile cannot be scanned; ``line`` is 1-based (0 = the file as a whole)."""

    def __init__(self, message: str, *, line: int = 0, file: str = "Dockerfile") -> None:
        self.message = message
        self.line = line
        super().__init__([Problem(Severity.ERROR, message, line=line, file=file)])
