"""Go ``strconv`` number and quoting rules that Python's own formatting does not share.

Go's ``%v`` of a float is ``strconv.FormatFloat(f, 'g', -1, 64)``: shortest round-trip digits, switching to
exponent form at 1e+06 and below 1e-04 (Python's ``repr`` switches at 1e16).
Quoting follows ``strconv.Quote``.
"""

from __future__ import annotations

import math
from decimal import Decimal


def shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``abs(x)`` and the decimal point position (``0.d1d2… × 10**dp``)."""
    _sign, digits, exponent = Decimal(repr(abs(x))).as_tuple()
    ds = "".join(str(d) for d in digits).lstrip("0")
    if not ds:
        return "0", 1
    assert isinstance(exponent, int)
    nd_orig = len(digits)
    # value = int(digits) * 10**exponent; leading zeros stripped do not move the point.
    dp = nd_orig + exponent - (nd_orig - len(ds))
    ds = ds.rstrip("0")
    return ds, dp


def _fmt_e(neg: bool, ds: str, dp: int, prec: int, e: str) -> str:
    out = "-" if neg else ""
    out += ds[0]
    if prec > 0:
        frac = ds[1:] + "0" * max(0, prec - (len(ds) - 1))
        out += "." + frac[:prec]
    exp = dp - 1 if ds != "0" else 0
    esign = "-" if exp < 0 else "+"
    exp = abs(exp)
    return f"{out}{e}{esign}{exp:02d}"


def _fmt_f(neg: bool, ds: str, dp: int, prec: int) -> str:
    out = "-" if neg else ""
    if dp > 0:
        out += ds[:dp] + "0" * max(0, dp - len(ds))
    else:
        out += "0"
    if prec > 0:
        frac = ""
        for i in range(prec):
            j = dp + i
            frac += ds[j] if 0 <= j < len(ds) else "0"
        out += "." + frac
    return out


def format_float(x: float, fmt: str, prec: int) -> str:
    """``strconv.FormatFloat(x, fmt, prec, 64)`` for fmt in ``e E f F g G x X``; prec -1 means shortest."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    neg = math.copysign(1.0, x) < 0
    if fmt in "xX":
        return _format_hex_float(x, fmt, prec)
    if prec >= 0:
        # Python rounds correctly (round-half-even on exact binary values) exactly like Go.
        if fmt in "eE":
            s = f"{abs(x):.{prec}e}"
            mant, _, exp = s.partition("e")
            n = int(exp)
            s = f"{mant}{fmt}{'-' if n < 0 else '+'}{abs(n):02d}"
        elif fmt in "fF":
            s = f"{abs(x):.{prec}f}"
        else:
            p = prec if prec > 0 else 1
            s = f"{abs(x):.{p}{'g' if fmt == 'g' else 'G'}}"
        return ("-" if neg else "") + s
    ds, dp = shortest_digits(x)
    e = "e" if fmt in "eEgG" and fmt.islower() else "E"
    if fmt in "eE":
        return _fmt_e(neg, ds, dp, len(ds) - 1, e)
    if fmt in "fF":
        return _fmt_f(neg, ds, dp, max(len(ds) - dp, 0))
    # 'g' shortest: strconv decides the exponent form with eprec = 6 whatever the digit count.
    dexp = 0 if ds == "0" else dp - 1
    if dexp < -4 or dexp >= 6:
        return _fmt_e(neg, ds, dp, len(ds) - 1, e)
    return _fmt_f(neg, ds, dp, max(len(ds) - dp, 0))


def _format_hex_float(x: float, fmt: str, prec: int) -> str:
    """Go's ``%x`` of a float: ``0x1.8p+00``-style with at least two exponent digits."""
    if x == 0:
        mant, exp = "0", 0
        neg = math.copysign(1.0, x) < 0
    else:
        neg = x < 0
        h = float.hex(abs(x))  # 0x1.8000000000000p+0
        body, _, e = h[2:].partition("p")
        mant = body.rstrip("0").rstrip(".")
        exp = int(e)
    if prec >= 0 and "." in mant:
        whole, frac = mant.split(".")
        if len(frac) > prec:
            v = int(whole + frac[: prec + 1], 16)
            # round half to even on the dropped hex digit
            q, r = divmod(v, 16)
            if r > 8 or (r == 8 and (q & 1 or int(frac[prec + 1 :] or "0", 16))):
                q += 1
            digits = format(q, "x").rjust(prec + 1, "0")
            if len(digits) > prec + 1:  # carried into a new leading digit: renormalise
                exp += 1
                digits = digits[: prec + 1]
            whole, frac = digits[0], digits[1:]
        frac = frac.ljust(prec, "0")
        mant = whole + ("." + frac if prec > 0 else "")
    elif prec > 0:
        mant = mant + "." + "0" * prec
    s = f"{'-' if neg else ''}0x{mant}p{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return s.upper().replace("0X", "0X") if fmt == "X" else s


_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v"}


def quote(s: str, *, ascii_only: bool = False, q: str = '"') -> str:
    """``strconv.Quote`` (or ``QuoteToASCII``/``QuoteRune`` with ``q="'"``)."""
    out = [q]
    for ch in s:
        if ch == q or ch == "\\":
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif (ord(ch) < 0x80 or not ascii_only) and ch.isprintable():
            out.append(ch)
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\ufffd" if ascii_only else "\ufffd")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append(q)
    return "".join(out)


def can_backquote(s: str) -> bool:
    """``strconv.CanBackquote``: a raw string literal can hold it unchanged."""
    return all(ch == "\t" or (ch >= " " and ch not in "`\x7f\ufeff") for ch in s)
