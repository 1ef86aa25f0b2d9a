"""Go literal syntax inside actions: ``strconv.Unquote``, ``UnquoteChar`` and number parsing rules."""

from __future__ import annotations

import re

from .nodes import NumberNode

_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_MAX_INT64 = (1 << 63) - 1
_MAX_UINT64 = (1 << 64) - 1


class LiteralError(ValueError):
    """A malformed literal; the message is Go's (``invalid syntax``, ``integer overflow: "…"``)."""


def unquote_char(s: str, i: int, quote: str) -> tuple[str, int]:
    """Decode one (possibly escaped) character of a Go literal starting at ``s[i]``; return it and the end."""
    c = s[i]
    if c == quote and quote in "'\"":
        raise LiteralError("invalid syntax")
    if c != "\\":
        return c, i + 1
    if i + 1 >= len(s):
        raise LiteralError("invalid syntax")
    e = s[i + 1]
    if e in _SIMPLE:
        return _SIMPLE[e], i + 2
    if e in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[e]
        h = s[i + 2 : i + 2 + n]
        if len(h) != n or not all(ch in "0123456789abcdefABCDEF" for ch in h):
            raise LiteralError("invalid syntax")
        v = int(h, 16)
        if e == "x":
            # A \x byte: only meaningful as UTF-8 bytes; valid single bytes map to latin-1 code points.
            return chr(v), i + 2 + n
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise LiteralError("invalid syntax")
        return chr(v), i + 2 + n
    if "0" <= e <= "7":
        o = s[i + 1 : i + 4]
        if len(o) != 3 or not all("0" <= ch <= "7" for ch in o):
            raise LiteralError("invalid syntax")
        v = int(o, 8)
        if v > 255:
            raise LiteralError("invalid syntax")
        return chr(v), i + 4
    if e == quote and quote in "'\"":
        return e, i + 2
    raise LiteralError("invalid syntax")


def _fix_x_bytes(out: list[str], raw: str) -> str:
    """``\\xNN`` escapes are bytes in Go; re-decode runs of them as UTF-8 when they form valid sequences."""
    text = "".join(out)
    if "\\x" not in raw:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def unquote(lit: str) -> str:
    """``strconv.Unquote`` for ``"…"`` and `` `…` `` literals."""
    if len(lit) < 2:
        raise LiteralError("invalid syntax")
    q = lit[0]
    if q != lit[-1]:
        raise LiteralError("invalid syntax")
    body = lit[1:-1]
    if q == "`":
        if "`" in body:
            raise LiteralError("invalid syntax")
        return body.replace("\r", "")
    if q != '"':
        raise LiteralError("invalid syntax")
    if "\n" in body:
        raise LiteralError("invalid syntax")
    out: list[str] = []
    i = 0
    while i < len(body):
        ch, i = unquote_char(body, i, q)
        out.append(ch)
    return _fix_x_bytes(out, body)


_OCTAL_LEGACY = re.compile(r"[+-]?0[0-7_]+\Z")


def _parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` without the range check."""
    t = text
    try:
        if _OCTAL_LEGACY.match(t) and "_" not in t:
            return int(t, 8)
        if re.match(r"[+-]?0[0-9_]", t) and not re.match(r"[+-]?0[xXoObB]", t):
            # Go: a leading 0 is octal; "0_7" is legal octal too.
            if re.fullmatch(r"[+-]?0(_?[0-7])+", t):
                return int(t.replace("_", ""), 8)
            return None
        return int(t, 0)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)`` for the forms the lexer lets through."""
    t = text
    sign = ""
    if t[:1] in "+-":
        sign, t = t[0], t[1:]
    if "__" in t or t.startswith("_") or t.endswith("_"):
        return None
    try:
        if t[:2].lower() == "0x":
            if "p" not in t.lower():
                return None
            v = float.fromhex(t.replace("_", ""))
        elif t[:2].lower() in ("0o", "0b"):
            return None
        else:
            if not re.fullmatch(r"(\d[\d_]*)?(\.[\d_]*)?([eE][+-]?[\d_]+)?", t) or not any(c.isdigit() for c in t):
                return None
            v = float(t.replace("_", ""))
    except (ValueError, OverflowError):
        return None
    return -v if sign == "-" else v


def parse_number(pos: int, text: str, is_char: bool) -> NumberNode:
    """``parse.(*Tree).newNumber``: one literal may be int, uint and float at once."""
    n = NumberNode(pos, text)
    if is_char:
        if len(text) < 2 or text[0] != "'":
            raise LiteralError(f"malformed character constant: {text}")
        try:
            ch, end = unquote_char(text, 1, "'")
        except (LiteralError, IndexError):
            raise LiteralError("invalid syntax") from None
        if text[end:] != "'":
            raise LiteralError(f"malformed character constant: {text}")
        r = ord(ch)
        n.is_int = n.is_uint = n.is_float = True
        n.int_val, n.float_val = r, float(r)
        return n
    if text.endswith("i"):
        raise LiteralError(f"complex numbers are not supported: {text}")
    iv = _parse_int(text)
    if iv is not None:
        if 0 <= iv <= _MAX_UINT64:
            n.is_uint = True
            n.int_val = iv
        if -_MAX_INT64 - 1 <= iv <= _MAX_INT64:
            n.is_int = True
            n.int_val = iv
    if n.is_int or n.is_uint:
        n.is_float = True
        n.float_val = float(n.int_val)
    else:
        f = _parse_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise LiteralError(f'integer overflow: "{text}"')
            n.is_float = True
            n.float_val = f
            if f == f and f not in (float("inf"), float("-inf")) and f == int(f):
                iv2 = int(f)
                if -_MAX_INT64 - 1 <= iv2 <= _MAX_INT64:
                    n.is_int, n.int_val = True, iv2
                if 0 <= iv2 <= _MAX_UINT64:
                    n.is_uint = True
                    if not n.is_int:
                        n.int_val = iv2
    if not (n.is_int or n.is_uint or n.is_float):
        raise LiteralError(f'illegal number syntax: "{text}"')
    return n
