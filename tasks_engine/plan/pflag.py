"""Docker's command-line flag grammar (spf13/pflag), shared by the ``build:`` and ``cmd:`` parsers.

Why one reader: ACR hands both strings to the docker CLI, which reads ``-t x``, ``-t=x``, ``-tx``, ``--tag x``,
``--tag=x``, ``--flag=true|false`` and chains of short booleans (``-it``) the same way for every command.
``docker build`` takes its context anywhere among the flags (pflag's interspersed mode); ``docker run`` stops
reading flags at the first word that is not one (the image), so ``cmd: -t img -t`` passes the second ``-t`` to
the container.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from tasks_engine.errors import DefinitionError, Problem, Severity

# pflag's strconv.ParseBool spellings.
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


class FlagError(DefinitionError):
    """A flag string the engine cannot read (unknown flag, missing value, bad quoting)."""

    def __init__(self, message: str, *, flag: str | None = None) -> None:
        self.flag = flag
        self.message = message
        super().__init__([Problem(Severity.ERROR, message)])


@dataclass(frozen=True)
class Flag:
    """One flag: its spellings (the first is shown in messages) and whether it takes a value."""

    names: tuple[str, ...]
    takes_value: bool
    key: str

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class ParsedFlags:
    """Flags in the order given (``True``/``False`` for booleans) and the positional words."""

    flags: tuple[tuple[Flag, str | bool], ...]
    positional: tuple[str, ...]


def split_words(text: str, *, what: str) -> list[str]:
    """POSIX shell word splitting, with no host shell behind it (quotes removed, nothing expanded)."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as exc:  # unbalanced quotes, trailing backslash
        raise FlagError(f"cannot split {what} like a shell would: {exc}") from exc


class FlagReader:
    """Reads the flags of one docker command (``command`` names it in messages: ``docker build``)."""

    def __init__(self, command: str, flags: Sequence[Flag], *, interspersed: bool) -> None:
        self.command = command
        self.interspersed = interspersed
        self._by_name = {n: f for f in flags for n in f.names}
        self.supported = tuple("/".join(f.names) for f in flags)

    def unknown(self, flag: str) -> FlagError:
        close = difflib.get_close_matches(flag, list(self._by_name), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return FlagError(
            f"unknown {self.command} flag {flag!r}{hint}; supported flags: {', '.join(self.supported)}", flag=flag
        )

    def missing(self, flag: str) -> FlagError:
        return FlagError(f"{self.command} flag {flag!r} needs a value", flag=flag)

    def _bool(self, flag: str, raw: str) -> bool:
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise FlagError(f"{self.command} flag {flag!r} takes true or false, not {raw!r}", flag=flag)

    def _take(self, flag: str, tokens: Sequence[str], i: int) -> tuple[str, int]:
        """The value following ``flag`` at ``tokens[i]``; a following flag counts as a missing value."""
        if i >= len(tokens):
            raise self.missing(flag)
        value = tokens[i]
        if (value.startswith("-") and value != "-") or value == "":
            raise self.missing(flag)
        return value, i + 1

    def _value(self, flag: str, value: str) -> str:
        if value == "":
            raise self.missing(flag)
        return value

    def read(self, tokens: Sequence[str]) -> ParsedFlags:
        out: list[tuple[Flag, str | bool]] = []
        positional: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            i += 1
            if tok == "-" or not tok.startswith("-"):
                positional.append(tok)
                if not self.interspersed:
                    positional.extend(tokens[i:])
                    break
            elif tok == "--":
                positional.extend(tokens[i:])
                break
            elif tok.startswith("--"):
                i = self._long(tok, tokens, i, out)
            else:
                i = self._short(tok, tokens, i, out)
        return ParsedFlags(tuple(out), tuple(positional))

    def _long(self, tok: str, tokens: Sequence[str], i: int, out: list[tuple[Flag, str | bool]]) -> int:
        name, has_eq, inline = tok.partition("=")
        flag = self._by_name.get(name)
        if flag is None:
            raise self.unknown(name)
        if not flag.takes_value:
            out.append((flag, self._bool(name, inline) if has_eq else True))
            return i
        if has_eq:
            out.append((flag, self._value(name, inline)))
            return i
        value, i = self._take(name, tokens, i)
        out.append((flag, value))
        return i

    def _short(self, tok: str, tokens: Sequence[str], i: int, out: list[tuple[Flag, str | bool]]) -> int:
        """pflag shorthand: ``-q``, ``-tx``, ``-t=x``, ``-t x`` and chains such as ``-it`` or ``-qt x``."""
        pos = 1
        while pos < len(tok):
            name = "-" + tok[pos]
            rest = tok[pos + 1 :]
            flag = self._by_name.get(name)
            if flag is None:
                raise self.unknown(name if pos > 1 or len(tok) == 2 else tok)
            if not flag.takes_value:
                if rest.startswith("="):
                    out.append((flag, self._bool(name, rest[1:])))
                    return i
                out.append((flag, True))
                pos += 1
                continue
            if rest:
                out.append((flag, self._value(name, rest[1:] if rest.startswith("=") else rest)))
                return i
            value, i = self._take(name, tokens, i)
            out.append((flag, value))
            return i
        return i
