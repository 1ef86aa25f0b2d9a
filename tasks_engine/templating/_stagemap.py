"""Records how one text-rewriting stage moved characters, so errors can point at the file the user wrote.

Every pre-processing stage (comment stripping, alias-block removal, alias substitution, ``<no value>``
removal) rewrites the text. Each stage builds its output through a :class:`MapBuilder`, which remembers for
every output span the input span it came from; :meth:`MapBuilder.build` turns that record into the
template engine's :class:`SourceMap`, so the stages compose with ``then`` into one map from the final text
back to the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks_engine.templating.gotemplate.sourcemap import Segment, SourceMap


@dataclass
class _Piece:
    length: int
    src_start: int
    src_end: int
    exact: bool


@dataclass
class MapBuilder:
    """Accumulates output text plus, per piece, the input span it was produced from.

    ``copy`` is for text carried over unchanged (exact positions); ``emit`` is for text that replaces an
    input span (an alias value replacing ``$name``): all of it maps to that span. Adjacent exact copies
    are merged, so scanning a large file character by character stays linear.
    """

    source_length: int
    chunks: list[str] = field(default_factory=list)
    pieces: list[_Piece] = field(default_factory=list)
    length: int = 0

    def copy(self, text: str, src_start: int) -> None:
        if text:
            self._add(text, src_start, src_start + len(text), exact=True)

    def emit(self, text: str, src_start: int, src_end: int) -> None:
        if text:
            self._add(text, src_start, src_end, exact=False)

    def _add(self, text: str, src_start: int, src_end: int, *, exact: bool) -> None:
        self.chunks.append(text)
        self.length += len(text)
        last = self.pieces[-1] if self.pieces else None
        if last is not None and last.exact and exact and last.src_end == src_start:
            last.length += len(text)
            last.src_end = src_end
        else:
            self.pieces.append(_Piece(len(text), src_start, src_end, exact))

    def ends_with(self, suffix: str) -> bool:
        return bool(self.chunks) and self.chunks[-1].endswith(suffix)

    def drop_last_char(self) -> None:
        """Removes the final output character (the scanning space the alias state machine appends)."""
        last_chunk = self.chunks.pop()
        if len(last_chunk) > 1:
            self.chunks.append(last_chunk[:-1])
        self.length -= 1
        piece = self.pieces[-1]
        piece.length -= 1
        if piece.exact:
            piece.src_end -= 1
        if piece.length == 0:
            self.pieces.pop()

    def text(self) -> str:
        return "".join(self.chunks)

    def build(self) -> SourceMap:
        segments = []
        out = 0
        for piece in self.pieces:
            src_end = min(piece.src_end, self.source_length)
            src_start = min(piece.src_start, src_end)
            literal = piece.exact and src_end - src_start == piece.length
            segments.append(Segment(out, out + piece.length, src_start, literal))
            out += piece.length
        return SourceMap(segments, length=self.length)
