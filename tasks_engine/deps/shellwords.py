"""The subset of BuildKit's shell lexer that ``FROM`` and ``ARG`` need: words, quotes and ``$`` expansion.

Docker does not run a shell for these instructions; it splits words on unquoted blanks, removes quotes and
expands ``$VAR``, ``${VAR}`` and the POSIX forms ``${VAR:-w}``, ``${VAR-w}``, ``${VAR:+w}``, ``${VAR+w}``,
``${VAR:?msg}``, ``${VAR?msg}``, ``${VAR#p}``, ``${VAR##p}``, ``${VAR%p}``, ``${VAR%%p}``. ACR's scanner uses
Go's ``os.Expand`` (so ``${VAR:-default}`` silently became ""); we follow Docker, which is what builds.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping

from tasks_engine.deps.errors import DockerfileError

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


class ShellLexer:
    """Words of one instruction; ``env`` maps names to values (absent = unset)."""

    def __init__(self, *, escape: str = "\\", line: int = 0) -> None:
        self.escape = escape
        self.line = line

    # -- word splitting -------------------------------------------------------------------------------

    def split_raw(self, text: str) -> list[str]:
        """Split on unquoted whitespace, keeping quotes and escapes (used to find heredoc markers)."""
        words: list[str] = []
        cur: list[str] = []
        quote = ""
        braces = 0  # inside ${...} blanks do not split words
        i = 0
        while i < len(text):
            ch = text[i]
            if quote != "'" and ch == "$" and text[i + 1 : i + 2] == "{":
                braces += 1
                cur.append("${")
                i += 2
                continue
            if braces and quote != "'" and ch == "}":
                braces -= 1
                cur.append(ch)
            elif quote:
                cur.append(ch)
                if ch == self.escape and quote == '"' and i + 1 < len(text):
                    cur.append(text[i + 1])
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch == self.escape and i + 1 < len(text):
                cur.extend((ch, text[i + 1]))
                i += 1
            elif ch in "\"'":
                quote = ch
                cur.append(ch)
            elif ch.isspace() and not braces:
                if cur:
                    words.append("".join(cur))
                    cur = []
            else:
                cur.append(ch)
            i += 1
        if cur:
            words.append("".join(cur))
        return words

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        """Expanded, unquoted words of ``text``."""
        return [self.process(w, env) for w in self.split_raw(text)]

    # -- one word -----------------------------------------------------------------------------------

    def process(self, word: str, env: Mapping[str, str]) -> str:
        out, _ = self._process(word, 0, env, stop="")
        return out

    def _process(self, s: str, i: int, env: Mapping[str, str], *, stop: str) -> tuple[str, int]:
        out: list[str] = []
        while i < len(s):
            ch = s[i]
            if stop and ch == stop:
                return "".join(out), i
            if ch == "'":
                end = s.find("'", i + 1)
                if end < 0:
                    raise DockerfileError(
                        f"unexpected end of statement while looking for matching ' in {s!r}", line=self.line
                    )
                out.append(s[i + 1 : end])
                i = end + 1
            elif ch == '"':
                text, i = self._double_quoted(s, i + 1, env)
                out.append(text)
            elif ch == self.escape:
                if i + 1 < len(s):
                    out.append(s[i + 1])
                    i += 2
                else:
                    out.append(ch)
                    i += 1
            elif ch == "$":
                text, i = self._dollar(s, i, env)
                out.append(text)
            else:
                out.append(ch)
                i += 1
        return "".join(out), i

    def _double_quoted(self, s: str, i: int, env: Mapping[str, str]) -> tuple[str, int]:
        out: list[str] = []
        while i < len(s):
            ch = s[i]
            if ch == '"':
                return "".join(out), i + 1
            if ch == self.escape and i + 1 < len(s) and s[i + 1] in ('"', "$", self.escape):
                out.append(s[i + 1])
                i += 2
            elif ch == "$":
                text, i = self._dollar(s, i, env)
                out.append(text)
            else:
                out.append(ch)
                i += 1
        raise DockerfileError(
            f'unexpected end of statement while looking for matching " in {s!r}', line=self.line
        )

    def _dollar(self, s: str, i: int, env: Mapping[str, str]) -> tuple[str, int]:
        """Expand the ``$…`` starting at ``s[i]``; returns the text and the index after it."""
        j = i + 1
        if j >= len(s):
            return "$", j
        if s[j] == "{":
            return self._braced(s, j + 1, env)
        if _NAME_START.match(s[j]):
            k = j
            while k < len(s) and _NAME_CHAR.match(s[k]):
                k += 1
            return env.get(s[j:k], ""), k
        if s[j].isdigit():  # positional parameters are always empty in a Dockerfile
            return "", j + 1
        return "$", j

    def _braced(self, s: str, j: int, env: Mapping[str, str]) -> tuple[str, int]:
        k = j
        while k < len(s) and _NAME_CHAR.match(s[k]):
            k += 1
        name = s[j:k]
        if not name or k >= len(s):
            raise DockerfileError(f"bad substitution in {s!r}", line=self.line)
        if s[k] == "}":
            return env.get(name, ""), k + 1
        op = s[k]
        if op == ":" and k + 1 < len(s) and s[k + 1] in "-+?":
            op = s[k : k + 2]
        elif op in "#%" and k + 1 < len(s) and s[k + 1] == op:
            op = op * 2
        elif op not in "-+?#%":
            raise DockerfileError(f"unsupported modifier ({s[k]}) in substitution in {s!r}", line=self.line)
        word, end = self._process(s, k + len(op), env, stop="}")
        if end >= len(s):
            raise DockerfileError(f"missing '}}' in substitution in {s!r}", line=self.line)
        return self._modify(name, op, word, env), end + 1

    def _modify(self, name: str, op: str, word: str, env: Mapping[str, str]) -> str:
        is_set = name in env
        value = env.get(name, "")
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if is_set else word
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if is_set else ""
        if op in (":?", "?"):
            if (op == ":?" and not value) or not is_set:
                raise DockerfileError(f"{name}: {word or 'is not allowed to be unset'}", line=self.line)
            return value
        return _trim(value, op, word)


def _trim(value: str, op: str, pattern: str) -> str:
    """``#``/``##`` remove the shortest/longest matching prefix, ``%``/``%%`` the same for the suffix."""
    rx = re.compile(fnmatch.translate(pattern), re.DOTALL)
    n = len(value)
    if op in ("#", "##"):
        cuts = range(0, n + 1) if op == "#" else range(n, -1, -1)
        for cut in cuts:
            if rx.match(value[:cut]):
                return value[cut:]
        return value
    cuts = range(n, -1, -1) if op == "%" else range(0, n + 1)
    for cut in cuts:
        if rx.match(value[cut:]):
            return value[:cut]
    return value
