"""The ``fmt`` printer state machine: one value, one verb, Go's flags (``fmt/print.go``, ``fmt/format.go``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .gostrconv import can_backquote, format_float, quote
from .values import MISSING, GoStringer, go_type_name

NIL = "<nil>"
_TOO_LARGE = 1_000_000


@dataclass
class Flags:
    wid: int = 0
    prec: int = 0
    wid_present: bool = False
    prec_present: bool = False
    minus: bool = False
    plus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    plus_v: bool = False
    sharp_v: bool = False


def _key_rank(k: object) -> tuple[int, object]:
    """fmtsort order: numbers by value, strings by bytes; mixed types grouped by kind."""
    if k is None or k is MISSING:
        return (0, 0)
    if isinstance(k, bool):
        return (1, int(k))
    if isinstance(k, int | float):
        return (2, k)
    if isinstance(k, str):
        return (3, k)
    return (4, repr(k))


def sort_map_keys(keys: Iterable[object]) -> list[object]:
    """Keys in the order Go prints and ranges over a map (``internal/fmtsort``)."""
    return sorted(keys, key=_key_rank)


class Printer:
    def __init__(self) -> None:
        self.buf: list[str] = []
        self.f = Flags()

    # -- padding -------------------------------------------------------------------------------------------
    def write_padding(self, n: int) -> None:
        if n > 0:
            self.buf.append(("0" if self.f.zero else " ") * n)

    def pad(self, s: str) -> None:
        f = self.f
        if not f.wid_present or f.wid == 0:
            self.buf.append(s)
            return
        width = f.wid - len(s)
        if not f.minus:
            self.write_padding(width)
            self.buf.append(s)
        else:
            self.buf.append(s)
            old, f.zero = f.zero, False
            self.write_padding(width)
            f.zero = old

    # -- scalars -------------------------------------------------------------------------------------------
    def fmt_integer(self, u: int, base: int, verb: str, upper: bool) -> None:
        f = self.f
        negative = u < 0
        u = abs(u)
        prec = 0
        if f.prec_present:
            prec = f.prec
            if prec == 0 and u == 0:
                old, f.zero = f.zero, False
                self.write_padding(f.wid)
                f.zero = old
                return
        elif f.zero and not f.minus and f.wid_present:
            prec = f.wid
            if negative or f.plus or f.space:
                prec -= 1
        if base == 10:
            digits = str(u)
        elif base == 16:
            digits = format(u, "X" if upper else "x")
        elif base == 8:
            digits = format(u, "o")
        else:
            digits = format(u, "b")
        if len(digits) < prec:
            digits = "0" * (prec - len(digits)) + digits
        if f.sharp:
            if base == 2:
                digits = "0b" + digits
            elif base == 8 and not digits.startswith("0"):
                digits = "0" + digits
            elif base == 16:
                digits = ("0X" if upper else "0x") + digits
        if verb == "O":
            digits = "0o" + digits
        if negative:
            digits = "-" + digits
        elif f.plus:
            digits = "+" + digits
        elif f.space:
            digits = " " + digits
        old, f.zero = f.zero, False
        self.pad(digits)
        f.zero = old

    def fmt_string(self, s: str, verb: str) -> None:
        f = self.f
        if verb == "v" and f.sharp_v:
            self.pad(quote(s))
        elif verb in "vs":
            self.pad(self._truncate(s))
        elif verb in "xX":
            self.fmt_sbx(s.encode("utf-8", "surrogatepass"), verb == "X")
        elif verb == "q":
            s = self._truncate(s)
            if f.sharp and can_backquote(s):
                self.pad("`" + s + "`")
            else:
                self.pad(quote(s, ascii_only=f.plus))
        else:
            self.bad_verb(verb, s)

    def _truncate(self, s: str) -> str:
        if self.f.prec_present and self.f.prec < len(s):
            return s[: self.f.prec]
        return s

    def fmt_sbx(self, b: bytes, upper: bool) -> None:
        f = self.f
        length = len(b)
        if f.prec_present and f.prec < length:
            length = f.prec
        width = 2 * length
        if width > 0:
            if f.space:
                if f.sharp:
                    width *= 2
                width += length - 1
            elif f.sharp:
                width += 2
        else:
            if f.wid_present:
                self.write_padding(f.wid)
            return
        if f.wid_present and f.wid > width and not f.minus:
            self.write_padding(f.wid - width)
        prefix = "0X" if upper else "0x"
        hexd = "0123456789ABCDEF" if upper else "0123456789abcdef"
        out = [prefix] if f.sharp else []
        for i in range(length):
            if f.space and i > 0:
                out.append(" ")
                if f.sharp:
                    out.append(prefix)
            c = b[i]
            out.append(hexd[c >> 4] + hexd[c & 0xF])
        self.buf.append("".join(out))
        if f.wid_present and f.wid > width and f.minus:
            old, f.zero = f.zero, False
            self.write_padding(f.wid - width)
            f.zero = old

    def fmt_float(self, v: float, verb: str) -> None:
        f = self.f
        if verb == "v":
            fverb, prec = "g", -1
        elif verb in "gGxX":
            fverb, prec = verb, -1
        elif verb in "eEfF":
            fverb, prec = verb, 6
        else:
            self.bad_verb(verb, v)
            return
        if f.prec_present:
            prec = f.prec
        num = format_float(v, fverb, prec)
        if f.sharp and verb != "v" and not math.isinf(v) and not math.isnan(v):
            num = _sharp_float(num, fverb, prec)
        if num[0] not in "+-":
            num = "+" + num
        if f.space and num[0] == "+" and not f.plus:
            num = " " + num[1:]
        if num[1] in "IN":
            old, f.zero = f.zero, False
            if num[1] == "N" and not f.space and not f.plus:
                num = num[1:]
            self.pad(num)
            f.zero = old
            return
        if f.plus or num[0] != "+":
            if f.zero and not f.minus and f.wid_present and f.wid > len(num):
                self.buf.append(num[0])
                self.write_padding(f.wid - len(num))
                self.buf.append(num[1:])
                return
            self.pad(num)
            return
        self.pad(num[1:])

    def fmt_bool(self, v: bool, verb: str) -> None:
        if verb in "tv":
            self.pad("true" if v else "false")
        else:
            self.bad_verb(verb, v)

    def fmt_int(self, v: int, verb: str) -> None:
        if verb == "v" or verb == "d":
            self.fmt_integer(v, 10, verb, False)
        elif verb == "b":
            self.fmt_integer(v, 2, verb, False)
        elif verb in "oO":
            self.fmt_integer(v, 8, verb, False)
        elif verb in "xX":
            self.fmt_integer(v, 16, verb, verb == "X")
        elif verb == "c":
            self.pad(_rune(v))
        elif verb == "q":
            r = _rune(v)
            if self.f.sharp and r != "`" and can_backquote(r):
                self.pad("`" + r + "`")
            else:
                self.pad(quote(r, ascii_only=self.f.plus, q="'"))
        elif verb == "U":
            self.fmt_unicode(v)
        else:
            self.bad_verb(verb, v)

    def fmt_unicode(self, u: int) -> None:
        f = self.f
        prec = 4
        if f.prec_present and f.prec > 4:
            prec = f.prec
        s = "U+" + format(u if u >= 0 else u & 0xFFFFFFFFFFFFFFFF, "X").rjust(prec, "0")
        if f.sharp and 0 <= u <= 0x10FFFF and chr(u).isprintable():
            s += " '" + chr(u) + "'"
        old, f.zero = f.zero, False
        self.pad(s)
        f.zero = old

    # -- dispatch ------------------------------------------------------------------------------------------
    def bad_verb(self, verb: str, arg: object) -> None:
        self.buf.append("%!" + verb + "(")
        if arg is None or arg is MISSING:
            self.buf.append(NIL)
        else:
            self.buf.append(go_type_name(arg) + "=")
            self.print_value(arg, "v", 0)
        self.buf.append(")")

    def print_arg(self, arg: object, verb: str) -> None:
        if arg is None or arg is MISSING:
            if verb in "Tv":
                self.pad(NIL)
            else:
                self.bad_verb(verb, None)
            return
        if verb == "T":
            self.fmt_string(go_type_name(arg), "s")
            return
        self.print_value(arg, verb, 0)

    def print_value(self, v: object, verb: str, depth: int) -> None:
        if v is None or v is MISSING:
            self.buf.append(NIL)
        elif isinstance(v, bool):
            self.fmt_bool(v, verb)
        elif isinstance(v, int):
            if type(v) is not int and verb in "vsq" and isinstance(v, GoStringer):
                self.fmt_string(v.go_string(), verb)  # a named int with a String method (time.Month)
            else:
                self.fmt_int(v, verb)
        elif isinstance(v, float):
            self.fmt_float(v, verb)
        elif isinstance(v, str):
            self.fmt_string(v, verb)
        elif isinstance(v, bytes | bytearray):
            self.fmt_bytes(bytes(v), verb, depth)
        elif isinstance(v, dict):
            self.fmt_map(v, verb, depth)
        elif isinstance(v, list | tuple):
            self.fmt_list(v, verb, depth)
        elif isinstance(v, GoStringer) and verb in "vsq":
            self.fmt_string(v.go_string(), verb)
        else:
            self.fmt_string(str(v), verb)

    def fmt_bytes(self, b: bytes, verb: str, depth: int) -> None:
        if verb in "sqxX":
            if verb in "xX":
                self.fmt_sbx(b, verb == "X")
            else:
                self.fmt_string(b.decode("utf-8", "replace"), verb)
            return
        if verb == "v" and self.f.sharp_v:
            self.buf.append("[]byte{" + ", ".join(f"0x{c:x}" for c in b) + "}")
            return
        self.buf.append("[")
        for i, c in enumerate(b):
            if i:
                self.buf.append(" ")
            self.fmt_int(c, verb)
        self.buf.append("]")

    def fmt_list(self, v: Sequence[object], verb: str, depth: int) -> None:
        if self.f.sharp_v:
            self.buf.append("[]interface {}{")
            for i, e in enumerate(v):
                if i:
                    self.buf.append(", ")
                self._elem(e, verb, depth)
            self.buf.append("}")
            return
        self.buf.append("[")
        for i, e in enumerate(v):
            if i:
                self.buf.append(" ")
            self._elem(e, verb, depth)
        self.buf.append("]")

    def fmt_map(self, m: dict[object, object], verb: str, depth: int) -> None:
        sharp = self.f.sharp_v
        self.buf.append(go_type_name(m) + "{" if sharp else "map[")
        for i, k in enumerate(sort_map_keys(list(m))):
            if i:
                self.buf.append(", " if sharp else " ")
            self._elem(k, verb, depth)
            self.buf.append(":")
            self._elem(m[k], verb, depth)
        self.buf.append("}" if sharp else "]")

    def _elem(self, e: object, verb: str, depth: int) -> None:
        if e is None or e is MISSING:
            self.buf.append("interface {}(nil)" if self.f.sharp_v else NIL)
        else:
            self.print_value(e, verb, depth + 1)


def _rune(v: int) -> str:
    if 0 <= v <= 0x10FFFF and not 0xD800 <= v <= 0xDFFF:
        return chr(v)
    return "\ufffd"


def _sharp_float(num: str, verb: str, prec: int) -> str:
    """``#`` flag: always a decimal point; for %g keep trailing zeros up to the precision."""
    body, e_char, exp = num, "", ""
    for c in "eEpP":
        if (c in num and verb not in "xX") or (c in "pP" and c in num):
            idx = num.index(c)
            body, e_char, exp = num[:idx], num[idx], num[idx + 1 :]
            break
    if "." not in body:
        body += "."
    if verb in "gG":
        p = 6 if prec < 0 else max(prec, 1)
        digits = sum(ch.isdigit() for ch in body.lstrip("-+0.")) or 1
        body += "0" * max(0, p - digits)
    return body + e_char + exp


