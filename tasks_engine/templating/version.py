"""Task-file version detection and validation (acr-builder ``graph.FindVersion`` / ``validateTaskVersion``).

The version decides whether alias pre-processing runs, and it must be known *before* the file is
templated or parsed, so ACR finds it with a line scan rather than YAML. We copy that scan: since
acr-builder #687 every line is looked at and the first one that starts (at column 0) with a ``version``
key wins, so a file that opens with a template action or another key and has ``version: v1.1.0`` below
still gets aliases; the switch is a plain string comparison (``"V1.1.0" < "v1.1.0"``).
"""

from __future__ import annotations

from tasks_engine.errors import DefinitionError, Problem, Severity
from tasks_engine.templating._gostrings import go_trim_space
from tasks_engine.templating.gotemplate.gostrconv import quote

VERSION_KEY = "version"
CURRENT_VERSION = "v1.0.0"
ALIAS_MIN_VERSION = "v1.1.0"
VALID_VERSIONS = frozenset({"1.0-preview-1", "v1.0.0", "v1.1.0"})
ALIAS_NOTE = (
    "Alias support enabled for version >= 1.1.0, please see https://aka.ms/acr/tasks/task-aliases "
    "for more information."
)

_QUOTES = "'\""
_KEY_FORMS = (VERSION_KEY, f"'{VERSION_KEY}'", f'"{VERSION_KEY}"')


def _go_lines(text: str) -> list[str]:
    """``bufio.ScanLines``: split on ``\\n`` and drop one trailing ``\\r`` per line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def find_version(text: str) -> str:
    """Returns the raw ``version`` value of the first version line, or ``""`` when no line is one.

    The key may be written bare or in single or double quotes (acr-builder#607); quotes around the value
    are trimmed. Indented ``version:`` does not count (it would belong to a nested map).
    """
    for line in _go_lines(text):
        if line.startswith(_KEY_FORMS):
            key, sep, value = line.partition(":")
            if sep and go_trim_space(key) in _KEY_FORMS:
                return go_trim_space(value).strip(_QUOTES)
    return ""


def aliases_enabled(version: str) -> bool:
    """ACR's switch: a byte-wise string comparison, not a semantic-version one."""
    return version >= ALIAS_MIN_VERSION


def go_quote(text: str) -> str:
    """Go's ``%q``, as acr-builder's messages print values (one implementation: ``gostrconv.quote``)."""
    return quote(text)

def validate_version(
    version: str, *, file: str = "", line: int = 0, column: int = 0, path: str = "version"
) -> str:
    """Returns the effective version (``v1.0.0`` when empty) or raises ``DefinitionError``.

    Valid values are compared case-insensitively, so ``V1.1.0`` is accepted even though it does not turn
    aliases on. The message is ACR's, so users searching for it find the ACR docs.
    """
    if version == "":
        return CURRENT_VERSION
    if version.lower() not in VALID_VERSIONS:
        message = (
            f"invalid version specified: {go_quote(version)}, "
            f"the current version is {go_quote(CURRENT_VERSION)}"
        )
        raise DefinitionError(
            [Problem(Severity.ERROR, message, line=line, column=column, path=path, file=file)]
        )
    return version
