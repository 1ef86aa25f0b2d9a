"""Branch globs and path filters, compiled to anchored regular expressions.

Both share one segment grammar, so a user learns it once:

* ``*`` matches any run of characters except ``/``; ``?`` one character except ``/``;
* ``[abc]``, ``[a-z]``, ``[!a-z]`` / ``[^a-z]`` a class (never matching ``/``); ``\\x`` a literal ``x``;
* ``**`` as a whole segment matches any number of segments: ``**/x`` (x at any depth), ``a/**`` (everything
  below ``a``), ``a/**/b`` (zero or more directories between). Elsewhere ``**`` is just ``*`` (gitignore).

Branch globs (``--branch``) match the whole branch name: ``main`` only ``main``, ``release/*`` matches
``release/1.0`` but not ``release/1.0/fix``, ``release/**`` both. A leading ``refs/heads/`` is dropped.

Path filters (``--path-filter``, repeatable) follow gitignore's rules, applied to the changed files of a push
(paths relative to the repository root, whatever ``:folder`` the context names):

* a pattern without a ``/`` (other than a trailing one) matches a file or directory name at any depth:
  ``*.md`` matches ``README.md`` and ``docs/a.md``;
* a pattern with a ``/`` at the start or in the middle is anchored at the root: ``/Dockerfile`` and
  ``services/api`` match only there;
* a pattern matches a directory and so every file below it: ``services/api`` matches
  ``services/api/main.py``; a trailing ``/`` (``build/``) matches directories only;
* ``!pattern`` excludes what earlier patterns included; for each file the *last* matching pattern decides;
* a push triggers when at least one changed file is included. No filters = every push triggers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tasks_engine.triggers.errors import TriggerConfigError

__all__ = ["PathFilter", "branch_matches", "compile_branch_glob", "compile_path_filter", "validate_branch_glob"]

_MAX_PATTERN = 1024
_REF_FORBIDDEN = frozenset("~^:\\")


def _translate(pattern: str, field: str) -> str:
    """Glob → regex body (unanchored); raises TriggerConfigError on an unterminated class or escape."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole_segment = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            if j - i >= 2 and whole_segment:
                if j == n:
                    out.append(".*")
                else:
                    out.append("(?:.*/)?")
                    j += 1  # the '/' after '**' belongs to the group
            else:
                out.append("[^/]*")
            i = j
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            i = _translate_class(pattern, i, out, field)
            continue
        elif c == "\\":
            if i + 1 >= n:
                raise TriggerConfigError(field, f"pattern {pattern!r} ends with an unfinished escape '\\'")
            out.append(re.escape(pattern[i + 1]))
            i += 1
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _translate_class(pattern: str, start: int, out: list[str], field: str) -> int:
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    members: list[str] = []
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            members.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            members.append("-" if ch == "-" and not first and i + 1 < len(pattern) and pattern[i + 1] != "]"
                           else re.escape(ch))
            i += 1
        first = False
    if i >= len(pattern):
        raise TriggerConfigError(field, f"pattern {pattern!r} has an unterminated '[' character class")
    body = "".join(members)
    try:
        re.compile(f"[{body}]")
    except re.error as exc:
        raise TriggerConfigError(field, f"pattern {pattern!r} has an invalid character class ({exc})") from exc
    out.append(f"(?!/)[{'^' if negate else ''}{body}]")
    return i + 1


def validate_branch_glob(pattern: str, field: str = "branch") -> str:
    """Return the glob with ``refs/heads/`` dropped; refuse what cannot name a git branch."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise TriggerConfigError(field, "the branch glob is empty")
    text = pattern.strip()
    if text.startswith("refs/heads/"):
        text = text[len("refs/heads/") :]
    if len(text) > _MAX_PATTERN:
        raise TriggerConfigError(field, f"the branch glob is longer than {_MAX_PATTERN} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise TriggerConfigError(field, f"branch glob {pattern!r} contains whitespace or control characters")
    outside_classes = re.sub(r"\[[!^]?\]?[^\]]*\]", "", text)  # '^' negates a class; only literals count
    bad = sorted({c for c in outside_classes if c in _REF_FORBIDDEN} - {"\\"})
    if bad:
        raise TriggerConfigError(
            field, f"branch glob {pattern!r} contains {''.join(bad)!r}, which git refuses in branch names"
        )
    if ".." in text or text.startswith(("/", "-", ".")) or text.endswith(("/", ".lock", ".")):
        raise TriggerConfigError(field, f"branch glob {pattern!r} cannot match a git branch name")
    if text.startswith("refs/"):
        raise TriggerConfigError(field, f"branch glob {pattern!r} names a ref that is not a branch")
    return text


def compile_branch_glob(pattern: str, field: str = "branch") -> re.Pattern[str]:
    text = validate_branch_glob(pattern, field)
    return re.compile(_translate(text, field), re.DOTALL)


def branch_matches(pattern: str, branch: str) -> bool:
    """True when ``branch`` (a name, not a ref) matches the glob ``pattern`` as a whole."""
    return compile_branch_glob(pattern).fullmatch(branch) is not None


@dataclass(frozen=True)
class _Rule:
    negate: bool
    dir_only: bool
    regex: re.Pattern[str]


@dataclass(frozen=True)
class PathFilter:
    """Compiled path filters (gitignore rules, see the module docstring); empty = matches every push."""

    patterns: tuple[str, ...]
    rules: tuple[_Rule, ...]

    def includes(self, path: str) -> bool:
        """Whether one changed file is included: the last rule matching the file or a parent decides."""
        segments = [s for s in path.strip().lstrip("/").split("/") if s]
        if not segments:
            return False
        candidates = ["/".join(segments[: k + 1]) for k in range(len(segments))]
        included = False
        for rule in self.rules:
            prefixes = candidates[:-1] if rule.dir_only else candidates
            if any(rule.regex.fullmatch(p) for p in prefixes):
                included = not rule.negate
        return included

    def matched(self, paths: Iterable[str]) -> tuple[str, ...]:
        """The changed files these filters include, in input order."""
        if not self.rules:
            return tuple(paths)
        return tuple(p for p in paths if self.includes(p))


def compile_path_filter(patterns: Sequence[str], field: str = "pathFilters") -> PathFilter:
    rules: list[_Rule] = []
    kept: list[str] = []
    for index, raw in enumerate(patterns):
        where = f"{field}[{index}]"
        if not isinstance(raw, str) or not raw.strip():
            raise TriggerConfigError(where, "a path filter must not be empty")
        text = raw.strip()
        if len(text) > _MAX_PATTERN:
            raise TriggerConfigError(where, f"a path filter is longer than {_MAX_PATTERN} characters")
        if any(ord(c) < 0x20 for c in text):
            raise TriggerConfigError(where, f"path filter {raw!r} contains control characters")
        negate = text.startswith("!")
        body = text[1:] if negate else text
        dir_only = body.endswith("/")
        body = body.rstrip("/")
        if not body.strip("/"):
            raise TriggerConfigError(where, f"path filter {raw!r} matches nothing (no name after '!' or '/')")
        anchored = "/" in body
        body = body.lstrip("/")
        if any(seg in (".", "..") for seg in body.split("/")):
            raise TriggerConfigError(where, f"path filter {raw!r} may not contain '.' or '..' segments")
        regex = _translate(body, where)
        if not anchored and not body.startswith("**"):
            regex = "(?:.*/)?" + regex
        rules.append(_Rule(negate, dir_only, re.compile(regex, re.DOTALL)))
        kept.append(text)
    return PathFilter(tuple(kept), tuple(rules))
