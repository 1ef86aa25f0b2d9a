"""``30s``, ``15m``, ``2h``, ``1d`` — the durations operators type for ``gc --older-than``."""

from __future__ import annotations

import re
from datetime import timedelta

from tasks_engine.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"([0-9]+)([smhd])")


def parse_duration(text: str) -> timedelta:
    """Accepts one or more ``<int><unit>`` groups (``1h30m``); a bare integer means seconds."""
    text = text.strip().lower()
    if re.fullmatch(r"[0-9]+", text):  # not str.isdigit(): that accepts "²"
        return _seconds(int(text), text)
    pos, total = 0, 0
    for match in _PATTERN.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise UsageError(f"invalid duration {text!r}: use e.g. 90s, 30m, 2h, 1d or 1h30m")
    return _seconds(total, text)


def _seconds(total: int, text: str) -> timedelta:
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise UsageError(f"invalid duration {text!r}: too long") from None
