"""Map offsets in rendered text back to the template the user wrote.

Validation runs on the *rendered* YAML, but the user edits the template: every problem must point into the
original file. Rendering records which output ranges were copied verbatim (exact 1:1 mapping) and which came
from an action (every offset maps to the action's ``{{``). Maps compose across stages (comment stripping →
alias substitution → template) with ``then``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Segment:
    out_start: int
    out_end: int
    src_start: int
    literal: bool


class SourceMap:
    """Sorted, contiguous segments covering ``[0, length)`` of an output text."""

    __slots__ = ("_starts", "length", "segments")

    def __init__(self, segments: Iterable[Segment], *, length: int | None = None) -> None:
        segs = sorted((s for s in segments if s.out_end > s.out_start), key=lambda s: s.out_start)
        self.segments: tuple[Segment, ...] = tuple(segs)
        self._starts = [s.out_start for s in segs]
        self.length = length if length is not None else (segs[-1].out_end if segs else 0)

    @classmethod
    def identity(cls, length: int) -> SourceMap:
        return cls([Segment(0, length, 0, True)], length=length)

    def to_source(self, out_offset: int) -> tuple[int, bool]:
        """Source offset for an output offset, and whether it is exact (inside verbatim text)."""
        if not self.segments:
            return 0, False
        i = bisect_right(self._starts, out_offset) - 1
        if i < 0:
            return self.segments[0].src_start, False
        seg = self.segments[i]
        if out_offset < seg.out_end:
            if seg.literal:
                return seg.src_start + (out_offset - seg.out_start), True
            return seg.src_start, False
        # Past the end of a segment (end of text or a gap): the end of the last copied text.
        if seg.literal:
            return seg.src_start + (seg.out_end - seg.out_start), out_offset == seg.out_end
        return seg.src_start, False

    def then(self, later: SourceMap) -> SourceMap:
        """``self`` maps stage 2 → stage 1, ``later`` maps stage 3 → stage 2; the result maps 3 → 1."""
        return compose(self, later)

    def __repr__(self) -> str:
        return f"SourceMap({list(self.segments)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceMap) and self.segments == other.segments

    def __hash__(self) -> int:
        return hash(self.segments)


def compose(first: SourceMap, second: SourceMap) -> SourceMap:
    """See ``SourceMap.then``: ``first`` maps 2 → 1, ``second`` maps 3 → 2."""
    out: list[Segment] = []
    for seg in second.segments:
        if not seg.literal:
            src, _ = first.to_source(seg.src_start)
            out.append(Segment(seg.out_start, seg.out_end, src, False))
            continue
        # A verbatim range of stage 2 [a, b) may span several stage-1 segments: split it.
        a = seg.src_start
        b = a + (seg.out_end - seg.out_start)
        pos = a
        while pos < b:
            i = bisect_right(first._starts, pos) - 1
            if i < 0 or not first.segments:
                end = b if not first.segments else min(b, first.segments[0].out_start)
                out.append(Segment(seg.out_start + pos - a, seg.out_start + end - a, 0, False))
                pos = end
                continue
            inner = first.segments[i]
            if pos >= inner.out_end:
                nxt = first.segments[i + 1].out_start if i + 1 < len(first.segments) else b
                end = min(b, max(nxt, pos + 1))
                src, _ = first.to_source(pos)
                out.append(Segment(seg.out_start + pos - a, seg.out_start + end - a, src, False))
                pos = end
                continue
            end = min(b, inner.out_end)
            if inner.literal:
                src = inner.src_start + (pos - inner.out_start)
                out.append(Segment(seg.out_start + pos - a, seg.out_start + end - a, src, True))
            else:
                out.append(Segment(seg.out_start + pos - a, seg.out_start + end - a, inner.src_start, False))
            pos = end
    return SourceMap(_merge(out), length=second.length)


def _merge(segs: Sequence[Segment]) -> list[Segment]:
    """Join neighbours that continue each other, keeping maps small after many compositions."""
    out: list[Segment] = []
    for s in segs:
        if out:
            p = out[-1]
            if (
                p.out_end == s.out_start
                and p.literal == s.literal
                and (
                    (s.literal and p.src_start + (p.out_end - p.out_start) == s.src_start)
                    or (not s.literal and p.src_start == s.src_start)
                )
            ):
                out[-1] = Segment(p.out_start, s.out_end, p.src_start, p.literal)
                continue
        out.append(s)
    return out


class LineIndex:
    """Offset ↔ (line, column) in O(log n); build once per text when converting many offsets."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        i = text.find("\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = text.find("\n", i + 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def offset_of(self, line: int, col: int) -> int:
        starts = self.starts
        li = max(1, min(line, len(starts))) - 1
        start = starts[li]
        end = starts[li + 1] - 1 if li + 1 < len(starts) else len(self.text)
        return min(start + max(col, 1) - 1, end)

    def go_col(self, offset: int) -> int:
        """Go's ``ErrorContext`` column: 0-based byte offset in the line."""
        li = bisect_right(self.starts, offset) - 1
        return len(self.text[self.starts[li] : offset].encode("utf-8", "surrogatepass"))


@lru_cache(maxsize=8)
def _index(text: str) -> LineIndex:
    return LineIndex(text)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset``; offsets past the end clamp to the end."""
    return _index(text).line_col(offset)


def offset_of(text: str, line: int, col: int) -> int:
    """Inverse of ``line_col``; clamps to the line's end and to the text."""
    return _index(text).offset_of(line, col)
