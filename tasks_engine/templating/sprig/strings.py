"""Sprig string functions (``strings.go`` plus the Go stdlib, goutils and xstrings helpers they wrap).

Go strings are byte strings: ``trunc``, ``substr``, ``abbrev`` and ``wrap`` count UTF-8 bytes, not
characters, and ``nospace`` walks bytes (a goutils quirk that mangles non-ASCII text once any whitespace is
removed). Those quirks are kept so rendered task files match ACR byte for byte.
"""

from __future__ import annotations

import unicodedata

from ..gotemplate.gostrconv import quote as go_quote
from ._core import (
    GO_SPACE,
    check_size,
    from_utf8,
    go_lower_rune,
    go_title_rune,
    go_upper_rune,
    is_go_letter,
    is_go_lower,
    is_go_number,
    is_go_upper,
    slice_panic,
    strval,
    utf8,
)
from ._sig import FuncTable, GoType, go_func

# ---------------------------------------------------------------- Go stdlib strings


def go_upper(s: str) -> str:
    return "".join(go_upper_rune(c) for c in s)


def go_lower(s: str) -> str:
    return "".join(go_lower_rune(c) for c in s)


def _is_title_separator(c: str) -> bool:
    if c <= "\x7f":
        return not (c.isascii() and (c.isalnum() or c == "_"))
    if is_go_letter(c) or c.isdecimal():
        return False
    return c in GO_SPACE


def go_title(s: str) -> str:
    """``strings.Title``: upper-cases word starts only; the rest of the word is left alone."""
    out: list[str] = []
    prev = " "
    for c in s:
        out.append(go_title_rune(c) if _is_title_separator(prev) else c)
        prev = c
    return "".join(out)


def go_split(s: str, sep: str, n: int = -1) -> list[str]:
    """``strings.SplitN``: an empty separator splits into runes; n == 0 gives nil."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if 0 < n < len(chars):
            return [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    if n < 0:
        return s.split(sep)
    return s.split(sep, n - 1)


def go_fields(s: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    for c in s:
        if c in GO_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def _repeat(count: int, s: str) -> str:
    if count < 0:
        raise ValueError("strings: negative Repeat count")
    check_size(count * len(s), "repeat")
    return s * count


# ---------------------------------------------------------------- goutils


def _abbreviate_full(s: str, offset: int, max_width: int) -> str:
    """goutils ``AbbreviateFull`` (byte offsets; errors there make Sprig return "")."""
    b = utf8(s)
    if not b:
        return ""
    if max_width < 4:
        return ""
    if len(b) <= max_width:
        return s
    offset = min(offset, len(b))
    if len(b) - offset < max_width - 3:
        offset = len(b) - (max_width - 3)
    if offset <= 4:
        return from_utf8(b[: max_width - 3]) + "..."
    if max_width < 7:
        return ""
    if offset + max_width - 3 < len(b):
        return "..." + _abbreviate_full(from_utf8(b[offset:]), 0, max_width - 3)
    return "..." + from_utf8(b[len(b) - (max_width - 3) :])


def abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    return _abbreviate_full(s, 0, width)


def abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    return _abbreviate_full(s, left, right)


def untitle(s: str) -> str:
    """goutils ``Uncapitalize``: lower-case the first rune of each whitespace-separated word."""
    out: list[str] = []
    nxt = True
    for c in s:
        if c in GO_SPACE:
            nxt = True
            out.append(c)
        elif nxt:
            out.append(go_lower_rune(c))
            nxt = False
        else:
            out.append(c)
    return "".join(out)


def swapcase(s: str) -> str:
    """goutils ``SwapCase`` (word-aware: a lower-case rune after whitespace becomes title case)."""
    out: list[str] = []
    ws = True
    for c in s:
        if unicodedata.category(c) in ("Lu", "Lt"):
            out.append(go_lower_rune(c))
            ws = False
        elif is_go_lower(c):
            out.append(go_title_rune(c) if ws else go_upper_rune(c))
            ws = False
        else:
            ws = c in GO_SPACE
            out.append(c)
    return "".join(out)


def initials(s: str) -> str:
    """goutils ``Initials``: walks bytes, so only ASCII initials survive intact."""
    out = bytearray()
    gap = True
    for byte in utf8(s):
        if chr(byte) in GO_SPACE:
            gap = True
        elif gap:
            out.extend(chr(byte).encode("utf-8"))
            gap = False
    return from_utf8(bytes(out))


def nospace(s: str) -> str:
    """goutils ``DeleteWhiteSpace``: byte-wise; each kept byte is re-encoded as the rune of that value."""
    b = utf8(s)
    kept = bytes(x for x in b if chr(x) not in GO_SPACE)
    if len(kept) == len(b):
        return s
    return kept.decode("latin-1")


def wrap_custom(s: str, wrap_length: int, newline: str, wrap_long: bool) -> str:
    """goutils ``WrapCustom`` over UTF-8 bytes."""
    b = utf8(s)
    if not b:
        return ""
    nl = utf8(newline or "\n")
    wrap_length = max(wrap_length, 1)
    offset = 0
    out = bytearray()
    while len(b) - offset > wrap_length:
        if b[offset] == 0x20:
            offset += 1
            continue
        end = wrap_length + offset + 1
        space = b.rfind(b" ", offset, end)
        if space >= offset:
            out += b[offset:space] + nl
            offset = space + 1
        elif wrap_long:
            out += b[offset : offset + wrap_length] + nl
            offset += wrap_length
        else:
            space = b.find(b" ", wrap_length + offset)
            if space >= 0:
                out += b[offset:space] + nl
                offset = space + 1
            else:
                out += b[offset:]
                offset = len(b)
    out += b[offset:]
    return from_utf8(bytes(out))


# ---------------------------------------------------------------- xstrings


def camelcase(s: str) -> str:
    """xstrings ``ToCamelCase`` (v1.2): ``http_server`` -> ``HttpServer``; extra underscores survive."""
    if not s:
        return ""
    out: list[str] = []
    i = 0
    while i < len(s) and s[i] == "_":
        out.append("_")
        i += 1
    if i == len(s):
        return "".join(out)
    r0 = go_upper_rune(s[i])
    for c in s[i + 1 :]:
        r1, r0 = r0, c
        if r1 == "_" and r0 == "_":
            out.append(r1)
            continue
        r0 = go_upper_rune(r0) if r1 == "_" else go_lower_rune(r0)
        if r1 != "_":
            out.append(r1)
    out.append(r0)
    return "".join(out)


def _to_lower_case_words(s: str, conn: str) -> str:
    """xstrings ``camelCaseToLowerCase`` (v1.2): the engine of snakecase and kebabcase."""
    if not s:
        return ""
    out: list[str] = []
    r0 = conn
    i = 0
    n = len(s)
    while i < n:
        prev, r0 = r0, s[i]
        i += 1
        if is_go_upper(r0):
            if prev != conn and not is_go_number(prev):
                out.append(conn)
            out.append(go_lower_rune(r0))
            if i == n:
                break
            r0 = s[i]
            i += 1
            if not is_go_upper(r0):
                out.append(r0)
                continue
            while i < n:
                r1, r0 = r0, s[i]
                i += 1
                if not is_go_upper(r0):
                    if r0 in "_ -":
                        r0 = conn
                        out.append(go_lower_rune(r1))
                    elif is_go_number(r0):
                        out += [go_lower_rune(r1), conn, r0]
                    else:
                        out += [conn, go_lower_rune(r1), r0]
                    break
                out.append(go_lower_rune(r1))
            if i == n or r0 == conn:
                out.append(go_lower_rune(r0))
        elif is_go_number(r0):
            if prev != conn and not is_go_number(prev):
                out.append(conn)
            out.append(r0)
        else:
            if r0 in " -_":
                r0 = conn
            out.append(r0)
    return "".join(out)


def snakecase(s: str) -> str:
    return _to_lower_case_words(s, "_")


def kebabcase(s: str) -> str:
    return _to_lower_case_words(s, "-")


# ---------------------------------------------------------------- Sprig's own


def quote(*args: object) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None)


def squote(*args: object) -> str:
    return " ".join(f"'{strval(a)}'" for a in args if a is not None)


def cat(*args: object) -> str:
    return " ".join(strval(a) for a in args if a is not None)


def indent(spaces: int, v: str) -> str:
    pad = " " * max(spaces, 0)
    if spaces < 0:
        raise ValueError("strings: negative Repeat count")
    out = pad + v.replace("\n", "\n" + pad)
    check_size(len(out), "indent")
    return out


def nindent(spaces: int, v: str) -> str:
    return "\n" + indent(spaces, v)


def plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


def trunc(c: int, s: str) -> str:
    """Sprig v2.22 ``trunc``: byte length; a negative count panics (negative counts came in Sprig 3)."""
    b = utf8(s)
    if len(b) <= c:
        return s
    if c < 0:
        raise slice_panic(0, c, len(b))
    return from_utf8(b[:c])


def substr(start: int, end: int, s: str) -> str:
    """Sprig v2.22 ``substring`` over bytes, with its panics for out-of-range indices."""
    b = utf8(s)
    n = len(b)
    if start < 0:
        if end < 0 or end > n:
            raise slice_panic(0, end, n)
        return from_utf8(b[:end])
    if end < 0 or end > n:
        if start > n:
            raise slice_panic(start, n, n)
        return from_utf8(b[start:])
    if start > end:
        raise slice_panic(start, end, n)
    return from_utf8(b[start:end])


def split(sep: str, orig: str) -> dict[str, object]:
    return {f"_{i}": p for i, p in enumerate(go_split(orig, sep))}


def splitn(sep: str, n: int, orig: str) -> dict[str, object]:
    return {f"_{i}": p for i, p in enumerate(go_split(orig, sep, n))}


def _replace(old: str, new: str, src: str) -> str:
    n = src.count(old) if old else len(src) + 1
    check_size(len(src) + n * (len(new) - len(old)), "replace")
    return src.replace(old, new)


def _trim_all(cutset: str, s: str) -> str:
    return s.strip(cutset) if cutset else s


def _trim_prefix(prefix: str, s: str) -> str:
    return s[len(prefix) :] if prefix and s.startswith(prefix) else s


def _trim_suffix(suffix: str, s: str) -> str:
    return s[: -len(suffix)] if suffix and s.endswith(suffix) else s


def string_functions() -> FuncTable:
    s2: tuple[GoType, ...] = ("string", "string")
    t: FuncTable = {
        "abbrev": go_func("abbrev", abbrev, ("int", "string")),
        "abbrevboth": go_func("abbrevboth", abbrevboth, ("int", "int", "string")),
        "trunc": go_func("trunc", trunc, ("int", "string")),
        "trim": go_func("trim", lambda s: s.strip(GO_SPACE), ("string",)),
        "upper": go_func("upper", go_upper, ("string",)),
        "lower": go_func("lower", go_lower, ("string",)),
        "title": go_func("title", go_title, ("string",)),
        "untitle": go_func("untitle", untitle, ("string",)),
        "substr": go_func("substr", substr, ("int", "int", "string")),
        "repeat": go_func("repeat", _repeat, ("int", "string")),
        "trimall": go_func("trimall", _trim_all, s2),
        "trimAll": go_func("trimAll", _trim_all, s2),
        "trimSuffix": go_func("trimSuffix", _trim_suffix, s2),
        "trimPrefix": go_func("trimPrefix", _trim_prefix, s2),
        "nospace": go_func("nospace", nospace, ("string",)),
        "initials": go_func("initials", initials, ("string",)),
        "swapcase": go_func("swapcase", swapcase, ("string",)),
        "snakecase": go_func("snakecase", snakecase, ("string",)),
        "camelcase": go_func("camelcase", camelcase, ("string",)),
        "kebabcase": go_func("kebabcase", kebabcase, ("string",)),
        "wrap": go_func("wrap", lambda n, s: wrap_custom(s, n, "", False), ("int", "string")),
        "wrapWith": go_func("wrapWith", lambda n, sep, s: wrap_custom(s, n, sep, True), ("int", "string", "string")),
        "contains": go_func("contains", lambda sub, s: sub in s, s2),
        "hasPrefix": go_func("hasPrefix", lambda p, s: s.startswith(p), s2),
        "hasSuffix": go_func("hasSuffix", lambda p, s: s.endswith(p), s2),
        "quote": go_func("quote", quote, (), "any"),
        "squote": go_func("squote", squote, (), "any"),
        "cat": go_func("cat", cat, (), "any"),
        "indent": go_func("indent", indent, ("int", "string")),
        "nindent": go_func("nindent", nindent, ("int", "string")),
        "replace": go_func("replace", _replace, ("string", "string", "string")),
        "plural": go_func("plural", plural, ("string", "string", "int")),
        "split": go_func("split", split, s2),
        "splitList": go_func("splitList", lambda sep, orig: go_split(orig, sep), s2),
        "splitn": go_func("splitn", splitn, ("string", "int", "string")),
    }
    return t
