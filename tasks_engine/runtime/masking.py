"""Secret masking for everything the executor logs.

Why here and not in the sinks: a sink may be a Redis stream or a file that outlives the run, so a secret must
be replaced before any sink sees it. Step output arrives in arbitrary chunks, so masking works on whole lines:
``LineBuffer`` keeps the partial tail of each stream until its newline (or the end of the attempt) arrives,
which is what makes a secret split across two chunks still match.

Decisions (documented because ACR itself masks nothing):

* Secrets shorter than ``min_length`` (default 3) characters are ignored: masking ``a`` or ``1`` would destroy
  every log line without protecting anything. Empty secrets are always ignored.
* A multi-line secret is masked line by line (each line of it that is long enough), because output is
  masked per line; the whole value is also a pattern, for engine messages that contain newlines.
* The base64 forms (standard and URL-safe, with and without padding) are masked too, and so is the *stable
  inner part* of the value's encoding at each of the three byte alignments inside a longer base64 string (for
  example a ``user:password`` pair inside a ``Basic`` header or a docker ``config.json`` ``auth``). Inner
  parts shorter than ``MIN_INNER_B64`` characters are skipped because they match random text too often.
* Overlapping and adjacent matches of different secrets are merged into one ``***``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable

MASK = "***"
MIN_INNER_B64 = 8
MAX_LINE = 64 * 1024


def _stable_b64(data: bytes, offset: int, *, urlsafe: bool) -> str:
    """The base64 characters that depend only on ``data`` when it starts ``offset`` bytes into a longer
    input."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    encoded = encode(b"\0" * offset + data + b"\0\0\0").decode("ascii")
    bits_start = 8 * offset
    bits_end = 8 * (offset + len(data))
    first = -(-bits_start // 6)  # first char whose 6 bits all lie inside data
    last = bits_end // 6 - 1  # last char whose 6 bits all lie inside data
    return encoded[first : last + 1] if last >= first else ""


def _variants(value: str, min_length: int) -> set[str]:
    out: set[str] = set()
    if len(value) >= min_length:
        out.add(value)
    for line in value.split("\n"):
        line = line.rstrip("\r")
        if len(line) >= min_length:
            out.add(line)
    for plain in list(out):
        data = plain.encode("utf-8")
        for urlsafe in (False, True):
            encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
            full = encode(data).decode("ascii")
            out.add(full)
            out.add(full.rstrip("="))
            for offset in range(3):
                inner = _stable_b64(data, offset, urlsafe=urlsafe)
                if len(inner) >= MIN_INNER_B64:
                    out.add(inner)
    out.discard("")
    return out


class SecretMasker:
    """Replaces every known secret value (and its base64 forms) by ``***``; immutable and thread-safe."""

    def __init__(self, secrets: Iterable[str], *, min_length: int = 3) -> None:
        patterns: set[str] = set()
        for secret in secrets:
            if secret:
                patterns |= _variants(secret, max(1, min_length))
        # Longest first: when one pattern contains another, the longer span wins the merge anyway, but
        # scanning long patterns first keeps the span list short.
        self._patterns: tuple[str, ...] = tuple(sorted(patterns, key=lambda p: (-len(p), p)))
        self.max_pattern = max((len(p) for p in self._patterns), default=0)

    @property
    def patterns(self) -> tuple[str, ...]:
        return self._patterns

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Merged [start, end) ranges of ``text`` that hold a secret."""
        found: list[tuple[int, int]] = []
        for pattern in self._patterns:
            start = text.find(pattern)
            while start != -1:
                found.append((start, start + len(pattern)))
                start = text.find(pattern, start + 1)
        if not found:
            return []
        found.sort()
        merged = [found[0]]
        for start, end in found[1:]:
            last_start, last_end = merged[-1]
            if start <= last_end:
                merged[-1] = (last_start, max(last_end, end))
            else:
                merged.append((start, end))
        return merged

    def mask(self, text: str) -> str:
        if not self._patterns or not text:
            return text
        spans = self.spans(text)
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for start, end in spans:
            parts.append(text[pos:start])
            parts.append(MASK)
            pos = end
        parts.append(text[pos:])
        return "".join(parts)

    def mask_data(self, value: object) -> object:
        """``value`` (JSON-like data: dicts, lists, strings) with every string, keys included, masked.

        For records printed as JSON: masking the dumped text would miss a secret that JSON escapes (a quote,
        a backslash, any non-ASCII character), so the strings are masked before encoding.
        """
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.mask_data(v) for v in value]
        return value

    def line_buffer(self, emit: Callable[[str], None], *, max_line: int = MAX_LINE) -> LineBuffer:
        return LineBuffer(self, emit, max_line=max_line)


class LineBuffer:
    """Turns a stream of text chunks into masked whole lines.

    ``write`` emits only complete lines; ``flush`` emits the partial tail (called when the attempt ends). A
    line longer than ``max_line`` without a newline is emitted in pieces, cut where no secret straddles the
    cut, so memory stays bounded even for output that never ends a line.
    """

    def __init__(
        self, masker: SecretMasker, emit: Callable[[str], None], *, max_line: int = MAX_LINE
    ) -> None:
        self._masker = masker
        self._emit = emit
        self._max_line = max(max_line, 2 * masker.max_pattern + 1)
        self._buf = ""
        self._lock = threading.Lock()

    def write(self, chunk: str) -> None:
        if not chunk:
            return
        with self._lock:
            self._buf += chunk
            while True:
                newline = self._buf.find("\n")
                if newline == -1:
                    break
                line, self._buf = self._buf[:newline], self._buf[newline + 1 :]
                self._emit(self._masker.mask(line.rstrip("\r")))
            if len(self._buf) > self._max_line:
                self._cut_long_line()

    def _cut_long_line(self) -> None:
        cut = len(self._buf) - max(self._masker.max_pattern - 1, 0)
        for start, end in self._masker.spans(self._buf):
            if start < cut < end:
                cut = start
                break
        if cut <= 0:
            return
        head, self._buf = self._buf[:cut], self._buf[cut:]
        self._emit(self._masker.mask(head))

    def flush(self) -> None:
        with self._lock:
            if self._buf:
                tail, self._buf = self._buf, ""
                self._emit(self._masker.mask(tail.rstrip("\r")))
