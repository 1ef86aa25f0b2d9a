"""Go ``fmt`` printing (``Sprint``, ``Sprintln``, ``Sprintf``) over the Python data model.

Task files rely on Go's exact output (``%!d(string=x)`` error text, map key order, float shortest form), so
this follows ``fmt/print.go`` and ``fmt/format.go`` branch by branch rather than mapping onto ``str.format``.
Data model: dict = map, list/tuple = slice, bytes = ``[]byte``, None = nil, ``MISSING`` = no value.
"""

from __future__ import annotations

from collections.abc import Sequence

from .goprinter import NIL, Flags, Printer, sort_map_keys
from .values import MISSING, go_type_name

__all__ = ["format_value", "sort_map_keys", "sprint", "sprintf", "sprintln"]

_TOO_LARGE = 1_000_000


def _parsenum(s: str, start: int, end: int) -> tuple[int, bool, int]:
    if start >= end:
        return 0, False, end
    num, isnum, i = 0, False, start
    while i < end and "0" <= s[i] <= "9":
        if num > _TOO_LARGE or num < -_TOO_LARGE:
            return 0, False, end
        num = num * 10 + ord(s[i]) - 48
        isnum = True
        i += 1
    return num, isnum, i


def _int_from_arg(a: Sequence[object], arg_num: int) -> tuple[int, bool, int]:
    num, is_int, new = 0, False, arg_num
    if arg_num < len(a):
        x = a[arg_num]
        if isinstance(x, int) and not isinstance(x, bool):
            num, is_int = x, True
        new = arg_num + 1
        if num > _TOO_LARGE or num < -_TOO_LARGE:
            num, is_int = 0, False
    return num, is_int, new


class _Sprintf(Printer):
    def __init__(self, fmt: str, args: Sequence[object]) -> None:
        super().__init__()
        self.fmt = fmt
        self.args = args
        self.reordered = False
        self.good_arg_num = True

    def arg_number(self, arg_num: int, i: int) -> tuple[int, int, bool]:
        fmt, n = self.fmt, len(self.args)
        if len(fmt) <= i or fmt[i] != "[":
            return arg_num, i, False
        self.reordered = True
        index, wid, ok = 0, 1, False
        if len(fmt) - i >= 3:
            j = fmt.find("]", i + 1)
            if j >= 0:
                width, isnum, newi = _parsenum(fmt, i + 1, j)
                if not isnum or newi != j:
                    index, wid, ok = 0, j - i + 1, False
                else:
                    index, wid, ok = width - 1, j - i + 1, True
        if ok and 0 <= index < n:
            return index, i + wid, True
        self.good_arg_num = False
        return arg_num, i + wid, ok

    def run(self) -> str:
        """Mirrors ``fmt.doPrintf`` step by step so the error texts come out identical."""
        fmt, a, end = self.fmt, self.args, len(self.fmt)
        arg_num, i, after_index = 0, 0, False
        while i < end:
            self.good_arg_num = True
            j = fmt.find("%", i)
            if j < 0:
                self.buf.append(fmt[i:])
                break
            if j > i:
                self.buf.append(fmt[i:j])
            i = j + 1
            f = self.f = Flags()
            while i < end:
                c = fmt[i]
                if c == "#":
                    f.sharp = True
                elif c == "0":
                    f.zero = not f.minus
                elif c == "+":
                    f.plus = True
                elif c == "-":
                    f.minus, f.zero = True, False
                elif c == " ":
                    f.space = True
                else:
                    break
                i += 1
            arg_num, i, after_index = self.arg_number(arg_num, i)
            if i < end and fmt[i] == "*":
                i += 1
                f.wid, f.wid_present, arg_num = _int_from_arg(a, arg_num)
                if not f.wid_present:
                    self.buf.append("%!(BADWIDTH)")
                if f.wid < 0:
                    f.wid, f.minus, f.zero = -f.wid, True, False
                after_index = False
            else:
                f.wid, f.wid_present, i = _parsenum(fmt, i, end)
                if after_index and f.wid_present:
                    self.good_arg_num = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    self.good_arg_num = False
                arg_num, i, after_index = self.arg_number(arg_num, i)
                if i < end and fmt[i] == "*":
                    i += 1
                    f.prec, f.prec_present, arg_num = _int_from_arg(a, arg_num)
                    if f.prec < 0:
                        f.prec, f.prec_present = 0, False
                    if not f.prec_present:
                        self.buf.append("%!(BADPREC)")
                    after_index = False
                else:
                    f.prec, f.prec_present, i = _parsenum(fmt, i, end)
                    if not f.prec_present:
                        f.prec, f.prec_present = 0, True
            if not after_index:
                arg_num, i, after_index = self.arg_number(arg_num, i)
            if i >= end:
                self.buf.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            if verb == "%":
                self.buf.append("%")
            elif not self.good_arg_num:
                self.buf.append(f"%!{verb}(BADINDEX)")
            elif arg_num >= len(a):
                self.buf.append(f"%!{verb}(MISSING)")
            else:
                if verb == "v":
                    f.sharp_v, f.sharp = f.sharp, False
                    f.plus_v, f.plus = f.plus, False
                self.print_arg(a[arg_num], verb)
                arg_num += 1
        if not self.reordered and arg_num < len(a):
            self.f = Flags()
            self.buf.append("%!(EXTRA ")
            for k, arg in enumerate(a[arg_num:]):
                if k:
                    self.buf.append(", ")
                if arg is None or arg is MISSING:
                    self.buf.append(NIL)
                else:
                    self.buf.append(go_type_name(arg) + "=")
                    self.print_arg(arg, "v")
            self.buf.append(")")
        return "".join(self.buf)


def sprintf(fmt: str, *args: object) -> str:
    """Go ``fmt.Sprintf``."""
    return _Sprintf(fmt, args).run()


def sprint(*args: object) -> str:
    """Go ``fmt.Sprint``: a space between operands when neither side is a string."""
    p = Printer()
    prev_string = False
    for n, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if n > 0 and not is_string and not prev_string:
            p.buf.append(" ")
        p.f = Flags()
        p.print_arg(arg, "v")
        prev_string = is_string
    return "".join(p.buf)


def sprintln(*args: object) -> str:
    """Go ``fmt.Sprintln``: always a space between operands, then a newline."""
    p = Printer()
    for n, arg in enumerate(args):
        if n > 0:
            p.buf.append(" ")
        p.f = Flags()
        p.print_arg(arg, "v")
    p.buf.append("\n")
    return "".join(p.buf)


def format_value(v: object) -> str:
    """How text/template prints a pipeline result: ``%v``, with ``<no value>`` for a missing value."""
    if v is MISSING:
        return "<no value>"
    if isinstance(v, str):
        return v
    return sprint(v)
