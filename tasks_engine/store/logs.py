"""Run logs: an append-only byte stream per run, addressed by byte offset.

Storage: a Redis stream whose entry ids *are* the byte offsets (``<offset of the chunk's first byte>-1``), so
"the bytes from offset N" is one ``XREVRANGE`` (the chunk holding N) plus an ``XRANGE``, followers block on
``XREAD`` from the last entry they saw, and an offset is stable across reconnects and across the switch from
live to stored. Writers append whole lines, so a chunk boundary never splits a UTF-8 sequence.

Limits: ``service.logMaxBytes`` per run; a chunk that would cross it is dropped and a visible truncation
marker written once (the run's closing lines are still written, with ``force``). Logs expire with the run
record (``service.logRetention``, 30 days by default, as ACR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasks_engine.store.base import StoreBase, text
from tasks_engine.store.connect import redis_errors
from tasks_engine.store.records import Claim


class LogRangeError(Exception):
    """The requested offset lies beyond the end of the log (HTTP 416)."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"offset beyond the end of the log ({size} bytes)")


@dataclass(frozen=True)
class LogSlice:
    data: bytes
    offset: int  # where ``data`` starts
    next_offset: int  # where the next read continues
    size: int  # the log's size when read
    last_id: str  # the stream id of the last chunk read ("0-0": none), for XREAD


def entry_offset(entry_id: bytes | str) -> int:
    return int(text(entry_id).partition("-")[0])


class LogsMixin(StoreBase):
    def append_log(self, run_id: str, chunks: Sequence[bytes], *, claim: Claim | None, force: bool = False) -> int:
        """Append ``chunks`` (each whole lines); returns the new size, or -1 when ``claim`` is fenced out.
        ``claim=None`` writes unconditionally (the reaper, the API)."""
        token = str(claim.token) if claim else ""
        return int(self._run_script("append_log", [run_id, token, self.log_max_bytes, 1 if force else 0,
                                                   *chunks]))

    def log_size(self, run_id: str) -> int:
        with redis_errors():
            return int(text(self.client.hget(self.keys.run(run_id), "logBytes")) or 0)

    def read_log(self, run_id: str, offset: int = 0, *, limit: int = 4 << 20) -> LogSlice:
        """Up to about ``limit`` bytes from ``offset``; raises ``LogRangeError`` past the end."""
        key = self.keys.log(run_id)
        size = self.log_size(run_id)
        if offset > size:
            raise LogRangeError(size)
        if offset == size:
            last = self._last_id(key)
            return LogSlice(b"", offset, offset, size, last)
        with redis_errors():
            first = self.client.xrevrange(key, max=f"{offset}-1", min="-", count=1)
        start_id = first[0][0] if first else b"0-1"
        parts: list[bytes] = []
        total = 0
        last_id = "0-0"
        cursor: bytes | str = start_id
        inclusive = True
        while total < limit:
            with redis_errors():
                entries = self.client.xrange(key, min=cursor if inclusive else f"({text(cursor)}", max="+",
                                             count=64)
            if not entries:
                break
            for entry_id, fields in entries:
                chunk: bytes = fields[b"d"]
                begin = entry_offset(entry_id)
                if begin + len(chunk) <= offset:
                    continue
                piece = chunk[max(0, offset - begin):]
                parts.append(piece)
                total += len(piece)
                last_id = text(entry_id)
                if total >= limit:
                    break
            cursor, inclusive = entries[-1][0], False
        data = b"".join(parts)
        return LogSlice(data, offset, offset + len(data), max(size, offset + len(data)), last_id)

    def _last_id(self, key: str) -> str:
        with redis_errors():
            last = self.client.xrevrange(key, count=1)
        return text(last[0][0]) if last else "0-0"
