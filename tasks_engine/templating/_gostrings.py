"""Go string helpers whose exact behaviour decides which lines ACR treats as comments or versions."""

from __future__ import annotations

# Go's unicode.IsSpace set (used by strings.TrimSpace); Python's str.strip() also strips \x1c-\x1f.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def go_trim_space(text: str) -> str:
    """``strings.TrimSpace``."""
    return text.strip(GO_SPACE)
