"""Encodings and hashes: base64/base32 with Go's error text, Go-style JSON, YAML, sha1/sha256/adler32.

Sprig's ``b64dec``/``b32dec`` return the decoder's *error message* as the result on bad input (so a task
renders ``illegal base64 data at input byte 4`` instead of failing), which is why Go's decoders are followed
closely enough to report the same byte offset. ``toJson`` follows ``encoding/json``: sorted keys, HTML-safe
escapes, Go float formatting, and "" on unsupported values (NaN, cycles) because Sprig drops the error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from datetime import datetime

import yaml

from ..gotemplate.gostrconv import format_float
from ._core import as_go_time, from_utf8, go_type_name, strval, utf8
from ._sig import FuncTable, GoType, go_func

_B64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B32 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _b64_error(src: bytes) -> int | None:
    """Offset Go's ``base64.StdEncoding.DecodeString`` reports for ``src``, or None if it decodes."""
    si, n = 0, len(src)
    while True:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            c = src[si]
            si += 1
            if c in _B64:
                j += 1
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:
                return si - 1
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            return si if si < n else None


def b64dec(s: str) -> str:
    src = utf8(s)
    err = _b64_error(src)
    if err is not None:
        return f"illegal base64 data at input byte {err}"
    data = src.replace(b"\n", b"").replace(b"\r", b"")
    return from_utf8(base64.b64decode(data))


def _b32_error(src: bytes) -> int | None:
    """Offset Go's ``base32.StdEncoding.DecodeString`` reports (after it strips newlines), or None."""
    olen = len(src)
    rest = src
    while rest:
        j = 0
        while j < 8:
            if not rest:
                return olen - len(rest) - j
            c, rest = rest[0], rest[1:]
            if c == 0x3D and j >= 2 and len(rest) < 8:
                if len(rest) + j < 7:
                    return olen
                for k in range(7 - j):
                    if len(rest) > k and rest[k] != 0x3D:
                        return olen - len(rest) + k - 1
                if j in (1, 3, 6):
                    return olen - len(rest) - 1
                return None
            if c not in _B32:
                return olen - len(rest) - 1
            j += 1
    return None


def b32dec(s: str) -> str:
    src = utf8(s).replace(b"\n", b"").replace(b"\r", b"")
    err = _b32_error(src)
    if err is not None:
        return f"illegal base32 data at input byte {err}"
    try:
        return from_utf8(base64.b32decode(src))
    except binascii.Error:  # excess padding Go tolerates after the final quantum
        return from_utf8(base64.b32decode(src[: len(src) - len(src) % 8]))


def b64enc(v: str) -> str:
    return base64.b64encode(utf8(v)).decode("ascii")


def b32enc(v: str) -> str:
    return base64.b32encode(utf8(v)).decode("ascii")


def acr_b64enc(v: object) -> str:
    """ACR's override: nil -> "", a string -> its base64, anything else -> base64 of reflect's "<T Value>"."""
    if v is None:
        return ""
    if isinstance(v, str):
        return b64enc(v)
    return b64enc(f"<{go_type_name(v)} Value>")


# ---------------------------------------------------------------- JSON


class _Unsupported(Exception):
    pass


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _json_str(s: str) -> str:
    out = ['"']
    for c in s:
        e = _JSON_ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        elif "\ud800" <= c <= "\udfff":
            out.append("\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _json_float(f: float) -> str:
    if not math.isfinite(f):
        raise _Unsupported
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = format_float(f, "e", -1)
        mant, exp = s.split("e")
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        return f"{mant}e{sign}{digits}"
    return format_float(f, "f", -1)


def go_json(v: object, indent: str | None = None, level: int = 0) -> str:
    """``json.Marshal`` (indent None) or ``json.MarshalIndent(v, "", indent)``."""
    if level > 1000:
        raise _Unsupported
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, str):
        return _json_str(v)
    if isinstance(v, datetime):
        from .golayout import format_go_time

        return _json_str(format_go_time(as_go_time(v), "2006-01-02T15:04:05.999999999Z07:00"))
    if isinstance(v, bytes | bytearray):
        return _json_str(base64.b64encode(bytes(v)).decode("ascii"))
    nl = "" if indent is None else "\n" + indent * (level + 1)
    end = "" if indent is None else "\n" + indent * level
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        return "[" + ",".join(nl + go_json(x, indent, level + 1) for x in v) + end + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        sep = ":" if indent is None else ": "
        items = sorted(((strval(k), val) for k, val in v.items()), key=lambda kv: utf8(kv[0]))
        return "{" + ",".join(nl + _json_str(k) + sep + go_json(val, indent, level + 1) for k, val in items) + end + "}"
    raise _Unsupported


def to_json(v: object) -> str:
    try:
        return go_json(v)
    except (_Unsupported, RecursionError):
        return ""


def to_pretty_json(v: object) -> str:
    try:
        return go_json(v, "  ")
    except (_Unsupported, RecursionError):
        return ""


def _no_constant(name: str) -> object:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def from_json(s: str) -> object:
    """Sprig 3.2 ``fromJson`` (not in v2.22): numbers decode as float64 like Go; errors give nil."""
    try:
        return json.loads(s, parse_int=float, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None


def to_yaml(v: object) -> str:
    """Helm's ``toYaml`` (not in Sprig 2.22): block-style YAML without the final newline; errors give ""."""
    try:
        out = yaml.safe_dump(v, default_flow_style=False, sort_keys=True, allow_unicode=True)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return ""
    if out.endswith("...\n"):
        out = out[: -len("...\n")]
    return out.removesuffix("\n")


# ---------------------------------------------------------------- hashes


def adler32sum(s: str) -> str:
    import zlib

    return str(zlib.adler32(utf8(s)))


def encoding_functions() -> FuncTable:
    s1: tuple[GoType, ...] = ("string",)
    return {
        "b64enc": go_func("b64enc", acr_b64enc, ("any",)),
        "b64dec": go_func("b64dec", b64dec, s1),
        "b32enc": go_func("b32enc", b32enc, s1),
        "b32dec": go_func("b32dec", b32dec, s1),
        "toJson": go_func("toJson", to_json, ("any",)),
        "toPrettyJson": go_func("toPrettyJson", to_pretty_json, ("any",)),
        "fromJson": go_func("fromJson", from_json, s1),
        "toYaml": go_func("toYaml", to_yaml, ("any",)),
        "sha1sum": go_func("sha1sum", lambda s: hashlib.sha1(utf8(s)).hexdigest(), s1),  # noqa: S324
        "sha256sum": go_func("sha256sum", lambda s: hashlib.sha256(utf8(s)).hexdigest(), s1),
        "adler32sum": go_func("adler32sum", adler32sum, s1),
    }
