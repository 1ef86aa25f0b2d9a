"""Tokenizer for Go text/template, a port of ``text/template/parse/lex.go`` (Go 1.18+ rules).

Ported state by state because whitespace trimming (``{{- `` / `` -}}``), comment handling and the exact error
texts ("unclosed action", "bad number syntax") are observable in rendered task files and error messages.
Runs eagerly into a list: the parser reads tokens in order, so an error token at the end behaves like Go's
channel-fed lexer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class T(IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMMENT = 4
    COMPLEX = 5
    ASSIGN = 6
    DECLARE = 7
    EOF = 8
    FIELD = 9
    IDENTIFIER = 10
    LEFT_DELIM = 11
    LEFT_PAREN = 12
    NUMBER = 13
    PIPE = 14
    RAW_STRING = 15
    RIGHT_DELIM = 16
    RIGHT_PAREN = 17
    SPACE = 18
    STRING = 19
    TEXT = 20
    VARIABLE = 21
    KEYWORD = 22  # only a separator: every kind below is a keyword
    BLOCK = 23
    BREAK = 24
    CONTINUE = 25
    DOT = 26
    DEFINE = 27
    ELSE = 28
    END = 29
    IF = 30
    NIL = 31
    RANGE = 32
    TEMPLATE = 33
    WITH = 34


KEYWORDS = {
    ".": T.DOT,
    "block": T.BLOCK,
    "break": T.BREAK,
    "continue": T.CONTINUE,
    "define": T.DEFINE,
    "else": T.ELSE,
    "end": T.END,
    "if": T.IF,
    "range": T.RANGE,
    "nil": T.NIL,
    "template": T.TEMPLATE,
    "with": T.WITH,
}

SPACE_CHARS = " \t\r\n"
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")
LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"


@dataclass(frozen=True, slots=True)
class Token:
    typ: T
    pos: int
    val: str

    def describe(self) -> str:
        """Go's ``item.String()``, used in "unexpected X in Y" messages."""
        if self.typ == T.EOF:
            return "EOF"
        if self.typ == T.ERROR:
            return self.val
        if self.typ > T.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return _go_quote(self.val[:10]) + "..."
        return _go_quote(self.val)


def _go_quote(s: str) -> str:
    from .gostrconv import quote

    return quote(s)


def _is_space(c: str) -> bool:
    return c in SPACE_CHARS and c != ""


def is_alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or (c.isdigit() and c.isdecimal())


def _has_left_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and s[i] == "-" and _is_space(s[i + 1])


def _has_right_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and _is_space(s[i]) and s[i + 1] == "-"


def _format_rune(c: str) -> str:
    """``%#U``: ``U+0023 '#'``."""
    r = ord(c)
    s = f"U+{r:04X}"
    if c.isprintable():
        s += f" '{c}'"
    return s


class Lexer:
    def __init__(self, text: str, *, break_ok: bool = True, continue_ok: bool = True) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.tokens: list[Token] = []
        self.break_ok = break_ok
        self.continue_ok = continue_ok

    # -- helpers -------------------------------------------------------------------------------------------
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos += 1  # so that backup() is symmetric at EOF
            return ""
        c = self.input[self.pos]
        self.pos += 1
        return c

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def emit(self, typ: T) -> None:
        self.tokens.append(Token(typ, self.start, self.input[self.start : self.pos]))
        self.start = self.pos

    def error(self, msg: str) -> None:
        self.tokens.append(Token(T.ERROR, self.start, msg))

    def accept(self, valid: str) -> bool:
        c = self.next()
        if c and c in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            c = self.next()
            if not c or c not in valid:
                break
        self.backup()

    def at_right_delim(self) -> tuple[bool, bool]:
        s, p = self.input, self.pos
        if _has_right_trim(s, p) and s.startswith(RIGHT_DELIM, p + 2):
            return True, True
        if s.startswith(RIGHT_DELIM, p):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        c = self.peek()
        return c == "" or _is_space(c) or c in ".,|:()" or c == RIGHT_DELIM[0]

    # -- states --------------------------------------------------------------------------------------------
    def run(self) -> list[Token]:
        state = self.lex_text
        while state is not None:
            state = state()  # type: ignore[assignment]
        return self.tokens

    def lex_text(self) -> object:
        s = self.input
        x = s.find(LEFT_DELIM, self.pos)
        if x >= 0:
            if x > self.pos:
                self.pos = x
                trim = 0
                if _has_left_trim(s, x + len(LEFT_DELIM)):
                    chunk = s[self.start : self.pos]
                    trim = len(chunk) - len(chunk.rstrip(SPACE_CHARS))
                self.pos -= trim
                if self.pos > self.start:
                    self.emit(T.TEXT)
                self.pos += trim
                self.start = self.pos
            return self.lex_left_delim
        self.pos = len(s)
        if self.pos > self.start:
            self.emit(T.TEXT)
        self.emit(T.EOF)
        return None

    def lex_left_delim(self) -> object:
        self.pos += len(LEFT_DELIM)
        trim = _has_left_trim(self.input, self.pos)
        after = 2 if trim else 0
        if self.input.startswith("/*", self.pos + after):
            self.pos += after
            self.start = self.pos
            return self.lex_comment
        self.emit(T.LEFT_DELIM)
        self.pos += after
        self.start = self.pos
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> object:
        self.pos += 2
        x = self.input.find("*/", self.pos)
        if x < 0:
            self.error("unclosed comment")
            return None
        self.pos = x + 2
        delim, trim = self.at_right_delim()
        if not delim:
            self.error("comment ends before closing delimiter")
            return None
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.start = self.pos
        return self.lex_text

    def lex_right_delim(self) -> object:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.start = self.pos
        self.pos += len(RIGHT_DELIM)
        self.emit(T.RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.start = self.pos
        return self.lex_text

    def lex_inside_action(self) -> object:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            self.error("unclosed left paren")
            return None
        c = self.next()
        if c == "":
            self.error("unclosed action")
            return None
        if _is_space(c):
            self.backup()
            return self.lex_space
        if c == "=":
            self.emit(T.ASSIGN)
        elif c == ":":
            if self.next() != "=":
                self.error("expected :=")
                return None
            self.emit(T.DECLARE)
        elif c == "|":
            self.emit(T.PIPE)
        elif c == '"':
            return self.lex_quote
        elif c == "`":
            return self.lex_raw_quote
        elif c == "$":
            return self.lex_variable
        elif c == "'":
            return self.lex_char
        elif c == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            return self.lex_field
        elif c in "+-." or "0" <= c <= "9":
            self.backup()
            return self.lex_number
        elif is_alnum(c):
            self.backup()
            return self.lex_identifier
        elif c == "(":
            self.emit(T.LEFT_PAREN)
            self.paren_depth += 1
        elif c == ")":
            self.emit(T.RIGHT_PAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.error("unexpected right paren")
                return None
        elif ord(c) < 0x80 and c.isprintable():
            self.emit(T.CHAR)
        else:
            self.error(f"unrecognized character in action: {_format_rune(c)}")
            return None
        return self.lex_inside_action

    def lex_space(self) -> object:
        n = 0
        while _is_space(self.peek()):
            self.pos += 1
            n += 1
        s = self.input
        if _has_right_trim(s, self.pos - 1) and s.startswith(RIGHT_DELIM, self.pos - 1 + 2):
            self.backup()
            if n == 1:
                return self.lex_inside_action
        self.emit(T.SPACE)
        return self.lex_inside_action

    def _skip_alnum(self) -> None:
        """Advance over an identifier's characters (ASCII fast path, Unicode letters/digits after)."""
        while True:
            m = _ASCII_WORD.match(self.input, self.pos)
            if m is not None:
                self.pos = m.end()
            c = self.peek()
            if c == "" or ord(c) < 0x80 or not is_alnum(c):
                return
            self.pos += 1

    def lex_identifier(self) -> object:
        self._skip_alnum()
        while True:
            c = self.next()
            if not is_alnum(c):
                self.backup()
                word = self.input[self.start : self.pos]
                if not self.at_terminator():
                    self.error(f"bad character {_format_rune(c)}")
                    return None
                kw = KEYWORDS.get(word)
                if kw is not None and kw != T.DOT:
                    if (kw == T.BREAK and not self.break_ok) or (kw == T.CONTINUE and not self.continue_ok):
                        self.emit(T.IDENTIFIER)
                    else:
                        self.emit(kw)
                elif word in ("true", "false"):
                    self.emit(T.BOOL)
                else:
                    self.emit(T.IDENTIFIER)
                return self.lex_inside_action

    def lex_field(self) -> object:
        return self._field_or_variable(T.FIELD)

    def lex_variable(self) -> object:
        if self.at_terminator():
            self.emit(T.VARIABLE)
            return self.lex_inside_action
        return self._field_or_variable(T.VARIABLE)

    def _field_or_variable(self, typ: T) -> object:
        if self.at_terminator():
            self.emit(T.VARIABLE if typ == T.VARIABLE else T.DOT)
            return self.lex_inside_action
        self._skip_alnum()
        if not self.at_terminator():
            self.error(f"bad character {_format_rune(self.peek())}")
            return None
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self) -> object:
        return self._lex_escaped("'", T.CHAR_CONSTANT, "unterminated character constant")

    def _lex_escaped(self, close: str, kind: T, unterminated: str) -> object:
        """Go's lexChar and lexQuote: scan to ``close``, honouring backslash escapes, within one line."""
        while True:
            c = self.next()
            if c == "\\":
                c = self.next()
                if c not in ("", "\n"):
                    continue
            if c in ("", "\n"):
                self.error(unterminated)
                return None
            if c == close:
                break
        self.emit(kind)
        return self.lex_inside_action

    def lex_number(self) -> object:
        if not self.scan_number():
            self.error(f"bad number syntax: {_go_quote(self.input[self.start : self.pos])}")
            return None
        sign = self.peek()
        if sign in ("+", "-") and sign:
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                self.error(f"bad number syntax: {_go_quote(self.input[self.start : self.pos])}")
                return None
            self.emit(T.COMPLEX)
        else:
            self.emit(T.NUMBER)
        return self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alnum(self.peek()) and self.peek():
            self.pos += 1
            return False
        return True

    def lex_quote(self) -> object:
        return self._lex_escaped('"', T.STRING, "unterminated quoted string")

    def lex_raw_quote(self) -> object:
        x = self.input.find("`", self.pos)
        if x < 0:
            self.error("unterminated raw quoted string")
            return None
        self.pos = x + 1
        self.emit(T.RAW_STRING)
        return self.lex_inside_action


def lex(text: str, *, break_ok: bool = True, continue_ok: bool = True) -> list[Token]:
    return Lexer(text, break_ok=break_ok, continue_ok=continue_ok).run()
