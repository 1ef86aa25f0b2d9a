"""Split a Dockerfile into instructions the way BuildKit's parser does, keeping line numbers.

Why not ``dockerfile-parse`` (Red Hat's, installed)? It was evaluated first. It joins line continuations and
skips comments, but (2.0.1) it keeps a UTF-8 BOM glued to the first instruction, ignores the ``# escape=``
parser directive and does not know heredocs: the body of ``RUN <<EOF … EOF`` comes back as instructions, so a
line ``FROM evil`` inside a heredoc would be scanned as a base image. Those are exactly the cases the scanner
must get right, so this module is a small tokenizer of its own (about 150 lines) instead.

What it implements (moby/buildkit ``frontend/dockerfile/parser``):

* UTF-8 BOM stripped; parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top;
* ``#`` comment lines and blank lines skipped, also inside a continued instruction;
* line continuation with the escape character (``\\`` or, with ``# escape=```, a backtick);
* heredocs (``<<EOF``, ``<<-EOF``, ``<<"EOF"``, several per line) for ``RUN``, ``COPY`` and ``ADD``: their
  bodies are consumed and never read as instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks_engine.deps.errors import DockerfileError
from tasks_engine.deps.shellwords import ShellLexer

_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_RE = re.compile(r"^(\d*)<<(-?)(.+)$")
_HEREDOC_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Heredoc:
    name: str
    body: str
    strip_tabs: bool


@dataclass(frozen=True)
class Instruction:
    """``keyword`` upper-cased; ``args`` the rest with continuations joined; ``line`` 1-based."""

    keyword: str
    args: str
    line: int
    end_line: int
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class ParsedDockerfile:
    directives: dict[str, str]
    escape: str
    instructions: tuple[Instruction, ...]


def parse_dockerfile(text: str) -> ParsedDockerfile:
    text = text.removeprefix("\ufeff")
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    directives, start = _read_directives(lines)
    escape = directives.get("escape", "\\")
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    instructions: list[Instruction] = []
    i = start
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        first = i
        parts: list[str] = []
        current = raw.lstrip()
        while True:
            m = continuation.search(current)
            if m is None:
                parts.append(current)
                break
            parts.append(current[: m.start()])
            i += 1
            # Comment and blank lines inside a continued instruction are dropped, as BuildKit does.
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                break
            current = lines[i]
        joined = "".join(parts)
        keyword, _, args = joined.strip().partition(" ")
        if "\t" in keyword:
            keyword, _, rest = keyword.partition("\t")
            args = f"{rest} {args}"
        keyword = keyword.upper()
        args = args.strip()
        heredocs: list[Heredoc] = []
        if keyword in _HEREDOC_INSTRUCTIONS and "<<" in args:
            for name, strip_tabs in _heredoc_markers(args, escape=escape, line=first + 1):
                body, i = _read_heredoc(lines, i + 1, name, strip_tabs=strip_tabs, line=first + 1)
                i -= 1
                heredocs.append(Heredoc(name, body, strip_tabs))
        instructions.append(Instruction(keyword, args, first + 1, i + 1, tuple(heredocs)))
        i += 1
    return ParsedDockerfile(directives, escape, tuple(instructions))


def _read_directives(lines: list[str]) -> tuple[dict[str, str], int]:
    directives: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i])
        if m is None:
            break
        key = m.group(1).lower()
        if key not in _KNOWN_DIRECTIVES:
            break
        if key in directives:
            raise DockerfileError(f"only one {key} parser directive can be used", line=i + 1)
        value = m.group(2)
        if key == "escape" and value not in ("\\", "`"):
            raise DockerfileError(f"invalid escape token '{value}' does not match ` or \\", line=i + 1)
        directives[key] = value
        i += 1
    return directives, i


def _heredoc_markers(args: str, *, escape: str, line: int) -> list[tuple[str, bool]]:
    markers: list[tuple[str, bool]] = []
    for word in ShellLexer(escape=escape, line=line).split_raw(args):
        m = _HEREDOC_RE.match(word)
        if m is None:
            continue
        name = m.group(3)
        if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
            name = name[1:-1]
        if not _HEREDOC_NAME_RE.match(name):
            continue
        markers.append((name, m.group(2) == "-"))
    return markers


def _read_heredoc(lines: list[str], i: int, name: str, *, strip_tabs: bool, line: int) -> tuple[str, int]:
    body: list[str] = []
    while i < len(lines):
        candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
        if candidate == name:
            return "\n".join(body), i + 1
        body.append(candidate)
        i += 1
    raise DockerfileError(f"unterminated heredoc <<{name}", line=line)
