"""``.dockerignore`` with Docker's semantics (moby/patternmatcher + ignorefile), so a context we pack sends
the same files ``docker build`` would.

* Reading (``ignorefile.ReadAll``): UTF-8 BOM dropped; lines starting with ``#`` are comments (before
  trimming); lines are trimmed; ``!`` marks a re-include; each pattern is ``filepath.Clean``-ed and a leading
  ``/`` removed, so ``/foo``, ``./foo`` and ``foo/`` all mean ``foo`` relative to the context root.
* Compiling (``patternmatcher.New``): a lone ``!`` and patterns Go's ``filepath.Match`` rejects (``[``,
  ``[]a]``, ``[x-]``, trailing ``\\``) are errors. ``*`` and ``?`` never cross ``/``; ``**`` crosses any
  number of directories; ``\\`` escapes the next character.
* Matching (``MatchesOrParentMatches``): a path is excluded when the *last* pattern matching it or one of its
  parent directories is an exclude; so excluding a directory excludes its contents unless a later ``!`` rule
  re-includes them.

Two details are copied on purpose because they are visible: ``**file`` (``**`` first, nothing wild after)
is a plain suffix test, so it matches ``dir/myfile``; ``dir/**`` does not match ``dir`` itself.

One deviation: Docker's classic builder skips an excluded directory unless a ``!`` pattern literally starts
with that directory; we descend whenever a ``!`` pattern could match inside it (it has a wildcard), so
``docs`` + ``!*/README.md`` keeps ``docs/README.md`` as BuildKit does.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from tasks_engine.source.errors import DockerignoreError

# ACR's CLI never uploads these top-level names (azure-cli ``_archive_utils.py``).
ACR_DEFAULT_EXCLUDES = frozenset({".git", ".gitignore", ".bzr", "bzrignore", ".hg", ".hgignore", ".svn"})
_WILDCARDS = frozenset("*?[\\")


def read_dockerignore(text: str) -> list[str]:
    """Patterns of a ``.dockerignore`` file, cleaned like ``ignorefile.ReadAll``."""
    patterns: list[str] = []
    for number, line in enumerate(text.split("\n")):
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def go_clean(path: str) -> str:
    """Go's ``path.Clean``: ``posixpath.normpath`` except that ``//x`` stays ``/x`` and ``""`` is ``.``."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


class _MatchType(Enum):
    EXACT = 1
    PREFIX = 2
    SUFFIX = 3
    REGEXP = 4


@dataclass
class Pattern:
    """One cleaned pattern; ``exclusion`` is True for a ``!`` (re-include) rule."""

    text: str
    exclusion: bool
    _type: _MatchType = field(init=False)
    _regexp: re.Pattern[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._type, self._regexp = _compile(self.text)

    @property
    def has_wildcards(self) -> bool:
        return any(c in _WILDCARDS for c in self.text)

    def match(self, path: str) -> bool:
        if self._type is _MatchType.EXACT:
            return path == self.text
        if self._type is _MatchType.PREFIX:
            return path.startswith(self.text[:-2])
        if self._type is _MatchType.SUFFIX:
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self._regexp is not None
        return self._regexp.match(path) is not None


class PatternMatcher:
    """Compiled patterns; ``matches(path)`` tells whether a context-relative path is excluded."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: list[Pattern] = []
        for raw in patterns:
            text = raw.strip()
            if not text:
                continue
            text = go_clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise DockerignoreError('illegal exclusion pattern: "!"')
                text = text[1:]
            problem = go_pattern_problem(text)
            if problem:
                raise DockerignoreError(f"syntax error in pattern {raw.strip()!r}: {problem}")
            self.patterns.append(Pattern(text, exclusion))

    @property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """True when ``path`` (slash-separated, relative to the context root) is excluded."""
        path = go_clean(path)
        if path == ".":
            return False  # "Don't let them exclude everything, kind of silly." (moby)
        parent = posixpath.dirname(path)
        parent_dirs = parent.split("/") if parent else []
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit:
                hit = any(pattern.match("/".join(parent_dirs[: i + 1])) for i in range(len(parent_dirs)))
            if hit:
                matched = not pattern.exclusion
        return matched

    def may_reinclude_under(self, directory: str) -> bool:
        """Whether some ``!`` rule could re-include a path inside an excluded ``directory``."""
        prefix = go_clean(directory) + "/"
        for pattern in self.patterns:
            if pattern.exclusion and ((pattern.text + "/").startswith(prefix) or pattern.has_wildcards):
                return True
        return False


def go_pattern_problem(pattern: str) -> str:
    """Why Go's ``filepath.Match`` would return ``ErrBadPattern`` for ``pattern`` ("" when it is valid)."""
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                return "trailing backslash"
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                lo_at = i
                i, problem = _class_char(pattern, i)
                if problem:
                    return problem
                if pattern[i] == "-":
                    hi_at = i + 1
                    i, problem = _class_char(pattern, hi_at)
                    if problem:
                        return problem
                    # Go's Match accepts z-a, but moby compiles it to a regexp, which fails when matching.
                    if _class_endpoint(pattern, lo_at)[0] > _class_endpoint(pattern, hi_at)[0]:
                        return "invalid character class range"
                ranges += 1
        else:
            i += 1
    return ""


def _class_char(pattern: str, i: int) -> tuple[int, str]:
    """One character-class endpoint (Go ``getEsc``); returns the index after it, or a problem."""
    n = len(pattern)
    if i >= n or pattern[i] in "-]":
        return i, "bad character class"
    if pattern[i] == "\\":
        i += 1
        if i >= n:
            return i, "bad escape in character class"
    i += 1
    if i >= n:
        return i, "unterminated character class"
    return i, ""


def _compile(pattern: str) -> tuple[_MatchType, re.Pattern[str] | None]:
    """moby ``Pattern.compile``: pick exact/prefix/suffix tests when possible, else a regexp."""
    regex = ["^"]
    kind = _MatchType.EXACT
    i = 0
    n = len(pattern)
    first = True
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                if i >= n:
                    if kind is _MatchType.EXACT:
                        kind = _MatchType.PREFIX
                    else:
                        regex.append(".*")
                        kind = _MatchType.REGEXP
                else:
                    regex.append("(?:.*/)?")
                    kind = _MatchType.REGEXP
                if first:
                    kind = _MatchType.SUFFIX
                first = False
                continue
            regex.append("[^/]*")
            kind = _MatchType.REGEXP
        elif ch == "?":
            regex.append("[^/]")
            kind = _MatchType.REGEXP
        elif ch == "\\":
            regex.append(re.escape(pattern[i + 1]))
            kind = _MatchType.REGEXP
            i += 1
        elif ch == "[":
            end, cls = _translate_class(pattern, i)
            regex.append(cls)
            kind = _MatchType.REGEXP
            i = end
            first = False
            continue
        else:
            regex.append(re.escape(ch))
        first = False
        i += 1
    if kind is not _MatchType.REGEXP:
        return kind, None
    regex.append("$")
    return kind, re.compile("".join(regex), re.DOTALL)


def _translate_class(pattern: str, i: int) -> tuple[int, str]:
    """``[...]`` (already validated) as a Python character class; returns the index after ``]``."""
    out = ["["]
    i += 1
    if pattern[i] == "^":
        out.append("^")
        i += 1
    ranges = 0
    while not (pattern[i] == "]" and ranges > 0):
        lo, i = _class_endpoint(pattern, i)
        out.append(re.escape(lo))
        if pattern[i] == "-":
            hi, i = _class_endpoint(pattern, i + 1)
            out.append("-" + re.escape(hi))
        ranges += 1
    out.append("]")
    return i + 1, "".join(out)


def _class_endpoint(pattern: str, i: int) -> tuple[str, int]:
    if pattern[i] == "\\":
        i += 1
    return pattern[i], i + 1


def build_matcher(
    dockerignore_text: str | None,
    *,
    dockerfile: str | None = None,
    extra_excludes: Sequence[str] = (),
) -> PatternMatcher:
    """The matcher ``docker build`` uses: the file's rules, then ``extra_excludes`` (highest priority), then
    re-includes for ``.dockerignore`` and the Dockerfile, which are always sent (docker CLI
    ``TrimBuildFilesFromExcludes``)."""
    patterns = read_dockerignore(dockerignore_text or "") + [go_clean(p) for p in extra_excludes if p.strip()]
    matcher = PatternMatcher(patterns)
    keep = [".dockerignore"]
    if dockerfile:
        keep.append(go_clean(dockerfile.replace("\\", "/")).lstrip("/"))
    extra = [f"!{name}" for name in keep if matcher.matches(name) and go_pattern_problem(name) == ""]
    if extra:
        matcher = PatternMatcher([*patterns, *extra])
    return matcher
