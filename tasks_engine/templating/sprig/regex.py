"""Sprig regex functions over Python ``re``, with Go RE2 syntax translated and Go's match-iteration rules.

RE2 and Python's ``re`` disagree on details task authors hit: ``$`` means end of text in Go (Python also
matches before a final newline), ``\\d``/``\\w``/``\\s``/``\\b`` are ASCII-only in Go, ``\\z`` is spelled
``\\Z`` in Python, inline flags may appear mid-pattern in Go, and POSIX classes (``[[:alpha:]]``) exist only in
Go. Perl-only features that RE2 rejects (lookaround, backreferences, possessive quantifiers) are rejected here
too. ``FindAll``/``ReplaceAll``/``Split`` follow Go's rules for empty matches and ``$1``/``${name}`` templates.

RE2 never backtracks; Python's engine can, exponentially. Patterns with nested repetition are therefore run
in a forked child with a time limit when the input is long enough to matter.
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import re
import select
import signal
import warnings
from collections.abc import Callable
from typing import Any

from ._core import check_size
from ._sig import FuncTable, go_func

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_OUTSIDE = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\f\\r ]",
    "S": "[^\\t\\n\\f\\r ]",
    "b": "(?a:\\b)",
    "B": "(?a:\\B)",
    "z": "\\Z",
}
_INSIDE = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_TIMEOUT_S = 2.0
_SRE_PARSE: Any = importlib.import_module("re._parser")
_GUARD_MIN_LEN = 24


def _err(msg: str, frag: str) -> ValueError:
    return ValueError(f"error parsing regexp: {msg}: `{frag}`")


def translate_re2(pat: str) -> str:
    """Translate a Go RE2 pattern to an equivalent Python ``re`` pattern, or raise ValueError like Go."""
    out: list[str] = []
    closers: list[list[str]] = [[]]  # per open group: scoped-flag groups opened by mid-pattern (?flags)
    multiline = bool(re.search(r"\(\?[a-zA-Z]*m", pat))
    i, n = 0, len(pat)
    in_class = class_start = False
    while i < n:
        c = pat[i]
        if c == "\\":
            if i + 1 >= n:
                raise _err("trailing backslash at end of expression", "")
            e = pat[i + 1]
            if e == "Q":
                end = pat.find("\\E", i + 2)
                lit = pat[i + 2 :] if end < 0 else pat[i + 2 : end]
                out.append("".join("\\" + ch if not ch.isalnum() else ch for ch in lit))
                i = n if end < 0 else end + 2
                continue
            if e in "pP":
                raise _err("invalid character class range (Unicode classes are not supported)", pat[i : i + 3])
            if e.isdigit():
                if not (e == "0" or (e in "1234567" and pat[i + 2 : i + 3] in tuple("01234567"))):
                    raise _err("invalid escape sequence", "\\" + e)
                m = re.match(r"[0-7]{1,3}", pat[i + 1 :])
                assert m is not None
                out.append(f"\\u{int(m.group(), 8):04x}")
                i += 1 + m.end()
                continue
            if e in "AzbBdDwWsS":
                if in_class and e in _INSIDE:
                    out.append(_INSIDE[e])
                elif not in_class and e in _OUTSIDE:
                    out.append(_OUTSIDE[e])
                elif e == "A" and not in_class:
                    out.append("\\A")
                else:
                    out.append("\\" + e)
                i += 2
                continue
            if e == "x" and pat[i + 2 : i + 3] == "{":
                end = pat.find("}", i + 3)
                if end < 0:
                    raise _err("invalid escape sequence", pat[i:])
                try:
                    cp = int(pat[i + 3 : end], 16)
                    chr(cp)
                except ValueError:
                    raise _err("invalid escape sequence", pat[i : end + 1]) from None
                out.append(f"\\U{cp:08x}")
                i = end + 1
                continue
            if e.isalnum() and e not in "afnrtvx":
                raise _err("invalid escape sequence", "\\" + e)
            out.append(pat[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and pat.startswith("[:", i):
                end = pat.find(":]", i + 2)
                name = pat[i + 2 : end] if end > 0 else ""
                if name.lstrip("^") in _POSIX:
                    if name.startswith("^"):
                        raise _err("negated POSIX classes are not supported", pat[i : end + 2])
                    out.append(_POSIX[name])
                    i = end + 2
                    class_start = False
                    continue
            if c == "]" and not class_start:
                in_class = False
                out.append("]")
            elif c in "[&~|":
                out.append("\\" + c)
            else:
                out.append(c)
            class_start = False
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append("[")
            i += 1
            if i < n and pat[i] == "^":
                out.append("^")
                i += 1
            class_start = True
            continue
        if c == "(":
            if pat.startswith("(?", i):
                rest = pat[i + 2 :]
                if rest.startswith(("=", "!", "<=", "<!", ">", "#")) or rest.startswith("P="):
                    raise _err("invalid or unsupported Perl syntax", pat[i : i + 4])
                if rest.startswith(("P<", "<")):
                    start = i + (4 if rest.startswith("P<") else 3)
                    end = pat.find(">", start)
                    name = pat[start:end] if end > 0 else ""
                    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                        raise _err("invalid named capture", pat[i : end + 1])
                    out.append(f"(?P<{name}>")
                    closers.append([])
                    i = end + 1
                    continue
                m = re.match(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])", pat[i:])
                if m is None:
                    raise _err("invalid or unsupported Perl syntax", pat[i : i + 3])
                on, off, kind = m.group(1), m.group(2) or "", m.group(3)
                if "U" in on + off:
                    raise _err("ungreedy mode (?U) is not supported", m.group())
                flags = on + (f"-{off}" if off else "")
                if kind == ":":
                    out.append(f"(?{flags}:" if flags else "(?:")
                    closers.append([])
                elif flags:
                    out.append(f"(?{flags}:")
                    closers[-1].append(flags)
                i += m.end()
                continue
            closers.append([])
            out.append("(")
            i += 1
            continue
        if c == ")":
            if len(closers) == 1:
                raise _err("unexpected )", pat)
            out.append(")" * (len(closers.pop()) + 1))
            i += 1
            continue
        if c == "|" and closers[-1]:
            flags_open = closers[-1]
            out.append(")" * len(flags_open) + "|" + "".join(f"(?{f}:" for f in flags_open))
            i += 1
            continue
        if c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", pat[i:])
            if m is None:  # not a Go repeat ({,5} included): a literal brace
                out.append("\\{")
                i += 1
                continue
            lo, hi = int(m.group(1)), m.group(3)
            if lo > 1000 or (hi and int(hi) > 1000) or (hi and int(hi) < lo):
                raise _err("invalid repeat count", m.group())
        if c in "*+?}" and i + 1 < n and pat[i + 1] == "+":
            raise _err("invalid nested repetition operator", pat[i : i + 2])
        if c == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    if in_class:
        raise _err("missing closing ]", pat)
    if len(closers) > 1:
        raise _err("missing closing )", pat)
    out.append(")" * len(closers[0]))
    return "".join(out)


def _repeat_is_valid(items: Any, n: int) -> bool:
    """RE2's ``repeatIsValid``: nested counted repetitions may not multiply past 1000."""
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            m = lo if hi == _SRE_PARSE.MAXREPEAT else hi
            if m > n:
                return False
            if not _repeat_is_valid(sub, n // m if m > 0 else n):
                return False
        elif name == "BRANCH":
            if not all(_repeat_is_valid(b, n) for b in av[1]):
                return False
        elif name in ("SUBPATTERN", "ATOMIC_GROUP") and not _repeat_is_valid(av[-1], n):
            return False
    return True


@functools.lru_cache(maxsize=256)
def compile_re2(pat: str) -> re.Pattern[str]:
    py = translate_re2(pat)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rx = re.compile(py)
    except (re.error, OverflowError, RecursionError) as e:
        raise ValueError(f"error parsing regexp: {e}: `{pat}`") from None
    try:
        valid = _repeat_is_valid(_SRE_PARSE.parse(py), 1000)
    except Exception:  # the internal parser's API may change between Python versions
        valid = True
    if not valid:
        raise _err("invalid repeat count", pat)
    return rx


def _nested_repeat(items: Any, inside: bool) -> bool:
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _lo, hi, sub = av
            repeats = hi > 1
            if repeats and inside:
                return True
            if _nested_repeat(sub, inside or repeats):
                return True
        elif name == "BRANCH":
            if inside:
                return True
            if any(_nested_repeat(b, inside) for b in av[1]):
                return True
        elif name in ("SUBPATTERN", "ATOMIC_GROUP") and _nested_repeat(av[-1], inside):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _risky_pattern(py_pattern: str) -> bool:
    try:
        return _nested_repeat(_SRE_PARSE.parse(py_pattern), False)
    except Exception:  # the internal parser's API may change between Python versions: assume risky
        return True


def _risky(rx: re.Pattern[str]) -> bool:
    """Nested repetition (``(a+)+``, ``(a|a)*``) can backtrack exponentially in Python's engine."""
    return _risky_pattern(rx.pattern)


def _guarded(rx: re.Pattern[str], s: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` directly, or in a forked child with a deadline when ``rx`` could backtrack badly."""
    if len(s) < _GUARD_MIN_LEN or not _risky(rx) or not hasattr(os, "fork"):
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child process
        try:
            os.close(r)
            try:
                data = pickle.dumps(("ok", fn()))
            except Exception as e:
                data = pickle.dumps(("err", str(e)))
            view = memoryview(data)
            while view:
                view = view[os.write(w, view) :]
        finally:
            os._exit(0)
    os.close(w)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([r], [], [], _TIMEOUT_S)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise ValueError(f"regexp {rx.pattern!r} took too long to evaluate (over {_TIMEOUT_S:g}s)")
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    if not chunks:
        raise ValueError(f"regexp {rx.pattern!r} could not be evaluated")
    status, result = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child's output
    if status != "ok":
        raise ValueError(str(result))
    return result


def find_all_spans(rx: re.Pattern[str], s: str, n: int) -> list[tuple[int, int]]:
    """Go ``allMatches``: no empty match right after a previous match; n < 0 means all."""
    if n < 0:
        n = len(s) + 1
    out: list[tuple[int, int]] = []
    pos, prev_end = 0, -1
    while len(out) < n and pos <= len(s):
        m = rx.search(s, pos)
        if m is None:
            break
        a, b = m.span()
        accept = True
        if b == pos:
            if a == prev_end:
                accept = False
            pos += 1
        else:
            pos = b
        prev_end = b
        if accept:
            out.append((a, b))
    return out


def expand_template(template: str, m: re.Match[str]) -> str:
    """Go ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; unknown groups are empty."""
    out: list[str] = []
    groupindex = m.re.groupindex
    i = 0
    while True:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        rest = template[j + 1 :]
        if rest.startswith("$"):
            out.append("$")
            i = j + 2
            continue
        brace = rest.startswith("{")
        body = rest[1:] if brace else rest
        k = 0
        while k < len(body) and (body[k].isalnum() or body[k] == "_"):
            k += 1
        if k == 0 or (brace and body[k : k + 1] != "}"):
            out.append("$")
            i = j + 1
            continue
        name = body[:k]
        i = j + 1 + k + (2 if brace else 0)
        num = int(name) if name.isdigit() and name.isascii() and not (name[0] == "0" and len(name) > 1) else -1
        if num >= 0:
            if num <= (m.re.groups or 0) and len(name) <= 8:
                out.append(m.group(num) or "")
        elif name in groupindex:
            out.append(m.group(name) or "")
    return "".join(out)


def replace_all(rx: re.Pattern[str], src: str, repl: Callable[[re.Match[str]], str]) -> str:
    """Go ``replaceAll``: no replacement for an empty match right after a previous match."""
    out: list[str] = []
    last_end, pos = 0, 0
    while pos <= len(src):
        m = rx.search(src, pos)
        if m is None:
            break
        a, b = m.span()
        out.append(src[last_end:a])
        if b > last_end or a == 0:
            out.append(repl(m))
            check_size(sum(len(x) for x in out), "regexReplaceAll")
        last_end = b
        pos = pos + 1 if pos + 1 > b else b
    out.append(src[last_end:])
    return "".join(out)


def regex_match(regex: str, s: str) -> bool:
    """Sprig v2.22 ``regexMatch`` swallows compile errors (false); the other functions panic."""
    try:
        rx = compile_re2(regex)
    except ValueError:
        return False
    return bool(_guarded(rx, s, lambda: rx.search(s) is not None))


def regex_find_all(regex: str, s: str, n: int) -> list[object]:
    rx = compile_re2(regex)
    spans = _guarded(rx, s, lambda: find_all_spans(rx, s, n))
    return [s[a:b] for a, b in spans]


def regex_find(regex: str, s: str) -> str:
    rx = compile_re2(regex)

    def first() -> str:
        m = rx.search(s)
        return "" if m is None else m.group()

    return str(_guarded(rx, s, first))


def regex_replace_all(regex: str, s: str, repl: str) -> str:
    rx = compile_re2(regex)
    return str(_guarded(rx, s, lambda: replace_all(rx, s, lambda m: expand_template(repl, m))))


def regex_replace_all_literal(regex: str, s: str, repl: str) -> str:
    rx = compile_re2(regex)
    return str(_guarded(rx, s, lambda: replace_all(rx, s, lambda m: repl)))


def regex_split(regex: str, s: str, n: int) -> list[object]:
    """Go ``Regexp.Split``."""
    if n == 0:
        return []
    rx = compile_re2(regex)
    if regex and not s:
        return [""]
    spans: list[tuple[int, int]] = _guarded(rx, s, lambda: find_all_spans(rx, s, n))
    out: list[object] = []
    beg = end = 0
    for a, b in spans:
        if n > 0 and len(out) == n - 1:
            break
        end = a
        if b != 0:
            out.append(s[beg:end])
        beg = b
    if end != len(s):
        out.append(s[beg:])
    return out


def regex_functions() -> FuncTable:
    return {
        "regexMatch": go_func("regexMatch", regex_match, ("string", "string")),
        "regexFindAll": go_func("regexFindAll", regex_find_all, ("string", "string", "int")),
        "regexFind": go_func("regexFind", regex_find, ("string", "string")),
        "regexReplaceAll": go_func("regexReplaceAll", regex_replace_all, ("string", "string", "string")),
        "regexReplaceAllLiteral": go_func(
            "regexReplaceAllLiteral", regex_replace_all_literal, ("string", "string", "string")
        ),
        "regexSplit": go_func("regexSplit", regex_split, ("string", "string", "int")),
    }
