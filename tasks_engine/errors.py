"""One exception root for the whole engine, grouped by what the caller should do.

Callers branch on the class, never on message text:

* ``DefinitionError`` — the user must fix the task file or its inputs (HTTP 422, exit 1, never retried).
* ``UsageError`` — a command line or API call is malformed (exit 2, HTTP 400); ``NotFoundError`` (404) and
  ``ConflictError`` (409) refine it.
* ``InfrastructureError`` — something under us broke. ``TransientError`` may be retried by a queue,
  ``PermanentError`` may not.
* ``TriggerError`` — a webhook or trigger request is rejected (HTTP 400/401).

A failing *step* is not an exception: it is data in the run result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a task file, pointing into the file the user wrote.

    ``line``/``column`` are 1-based; 0 means "not known" (for example a problem that only exists after
    templating moved text around). ``path`` is a property path such as ``steps[2].when[0]``.
    """

    severity: Severity
    message: str
    line: int = 0
    column: int = 0
    path: str = ""
    file: str = ""

    def format(self) -> str:
        """``FILE:LINE:COL: severity: message (at path)`` — the shape compilers and editors understand."""
        where = self.file or "<task>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        text = f"{where}: {self.severity.value}: {self.message}"
        if self.path:
            text += f" (at {self.path})"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "file": self.file,
        }


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class DefinitionError(EngineError):
    """The task file (or its values, aliases, flags) is wrong; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems) or "invalid task definition")


class UsageError(EngineError):
    """A command-line or API call is malformed; the message is one line."""


class NotFoundError(UsageError):
    """The run, task or token named does not exist (HTTP 404)."""


class ConflictError(UsageError):
    """The request conflicts with what exists: a task name in use, a run already finished (HTTP 409)."""


class InfrastructureError(EngineError):
    """Docker, the registry, Redis, git or the network failed under us."""


class TransientError(InfrastructureError):
    """Worth retrying: a timeout, a refused connection, a 5xx."""


class PermanentError(InfrastructureError):
    """Retrying will not help: bad credentials, missing permission, a resource that does not exist."""


class TriggerError(EngineError):
    """A trigger request (webhook, registry event) is rejected."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        self.status = status
        super().__init__(message)
