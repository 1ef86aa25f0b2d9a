"""ANSI colours in a log, as HTML that cannot carry anything but text and a fixed set of class names.

Why classes and not inline styles: the console's Content-Security-Policy forbids inline styles
(``style-src 'self'``), and a fixed vocabulary (``fg1``..``fg15``, ``bg1``..``bg15``, ``b``, ``d``, ``i``,
``u``) means nothing from the log ever reaches an attribute. Text is escaped before it is wrapped; every
escape sequence other than SGR colours (cursor moves, titles, hyperlinks) is dropped, and so are control
characters but tab. 256-colour codes below 16 map onto the 16 classes; others (and 24-bit colours) are
ignored rather than approximated. A lone ``\\r`` (a progress bar redrawing its line) keeps what a terminal
would show: the text after the last one. ``static/console.js`` implements the same rules for live lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from markupsafe import Markup, escape

_ESCAPES = re.compile(r"\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Style:
    fg: int | None = None
    bg: int | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False

    def classes(self) -> str:
        names = [f"fg{self.fg}" if self.fg is not None else "", f"bg{self.bg}" if self.bg is not None else "",
                 "b" if self.bold else "", "d" if self.dim else "", "i" if self.italic else "",
                 "u" if self.underline else ""]
        return " ".join(n for n in names if n)


def _colour(codes: list[int], i: int) -> tuple[int | None, int]:
    """``38;5;n`` / ``38;2;r;g;b`` at ``codes[i]``: (a class colour or None, the index after it)."""
    if i + 1 < len(codes) and codes[i + 1] == 5:
        n = codes[i + 2] if i + 2 < len(codes) else -1
        return (n if 0 <= n < 16 else None), i + 3
    if i + 1 < len(codes) and codes[i + 1] == 2:
        return None, i + 5
    return None, i + 1


def apply_sgr(style: Style, params: str) -> Style:
    parts = params.replace(":", ";").split(";") if params else ["0"]
    codes = [int(p) if p.isascii() and p.isdigit() else 0 for p in parts]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            style = Style()
        elif code == 1:
            style = replace(style, bold=True)
        elif code == 2:
            style = replace(style, dim=True)
        elif code == 3:
            style = replace(style, italic=True)
        elif code == 4:
            style = replace(style, underline=True)
        elif code == 22:
            style = replace(style, bold=False, dim=False)
        elif code == 23:
            style = replace(style, italic=False)
        elif code == 24:
            style = replace(style, underline=False)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=code - 30 if code < 90 else code - 82)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=code - 40 if code < 100 else code - 92)
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code in (38, 48):
            colour, i = _colour(codes, i)
            if colour is not None:
                style = replace(style, fg=colour) if code == 38 else replace(style, bg=colour)
            continue
        i += 1
    return style


class AnsiConverter:
    """Lines in, HTML out; the style carries from one line to the next, as in a terminal."""

    def __init__(self) -> None:
        self.style = Style()

    def segments(self, line: str) -> list[tuple[str, str]]:
        """``(classes, text)`` pieces of one line (no line break in it)."""
        line = line.removesuffix("\r")
        pieces: list[tuple[str, str]] = []
        position = 0
        for match in _ESCAPES.finditer(line):
            pieces.append((self.style.classes(), line[position:match.start()]))
            if match.group(2) == "m":
                self.style = apply_sgr(self.style, match.group(1) or "")
            position = match.end()
        pieces.append((self.style.classes(), line[position:]))
        # A carriage return inside the line: a terminal shows only what was written after the last one.
        for k in range(len(pieces) - 1, -1, -1):
            classes, text = pieces[k]
            if "\r" in text:
                pieces = [(classes, text.rpartition("\r")[2]), *pieces[k + 1:]]
                break
        out: list[tuple[str, str]] = []
        for classes, text in pieces:
            text = _CONTROLS.sub("", text)
            if not text:
                continue
            if out and out[-1][0] == classes:
                out[-1] = (classes, out[-1][1] + text)
            else:
                out.append((classes, text))
        return out

    def html(self, line: str) -> Markup:
        parts = []
        for classes, text in self.segments(line):
            parts.append(f'<span class="{classes}">{escape(text)}</span>' if classes else str(escape(text)))
        return Markup("".join(parts))  # noqa: S704 - every piece was escaped above; classes are ours


def log_lines(text: str) -> list[Markup]:
    """Every complete line of ``text`` as HTML (``text`` ends at a line break, or its last line is kept)."""
    converter = AnsiConverter()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [converter.html(line) for line in lines]
