"""Following one run's log as server-sent events, resumable by byte offset, without a thread per follower.

The log is a Redis stream whose entry ids are byte offsets (``store/logs.py``). A follower first catches up
from its offset with the store's ``read_log`` (briefly in a worker thread), then blocks on ``XREAD`` with the
asyncio client from the last entry it sent, so thousands of followers cost sockets, not threads. Between
reads it checks the run's status (one ``HMGET``): a change is an ``event: status``; a finished run whose every
byte was sent ends with ``event: eof``. The ``XREAD`` also watches the run's status stream, which every
transition writes, so an end or a start wakes the follower at once; ``poll`` is only the fallback. ``id`` is
the byte offset after each chunk, so a client that reconnects with ``Last-Event-ID`` gets exactly the bytes it
missed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from tasks_engine.api import sse
from tasks_engine.api.deps import FollowTiming
from tasks_engine.errors import EngineError
from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.usecases import RunService
from tasks_engine.store import LogSlice, RedisStore, entry_offset, redis_errors

_LOG = logging.getLogger("tasks_engine.api.follow")
CATCH_UP_BYTES = 256 << 10  # per event while catching up
# Stream entries per XREAD: a worker writes chunks of up to 256 KiB, so 8 keep one event (and the follower's
# memory) near 2 MiB however far behind a slow client falls.
LIVE_COUNT = 8


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ("" if value is None else str(value))


@dataclass
class LogFollower:
    store: RedisStore
    runs: RunService
    client: Any  # redis.asyncio.Redis from store.connect_async
    run_id: str
    offset: int
    timing: FollowTiming = field(default_factory=FollowTiming)
    stopping: threading.Event = field(default_factory=threading.Event)
    _last_id: str = "0-0"
    _events_id: str = "0-0"  # the first read returns the latest status change at once: one extra turn
    _status: str = ""
    _idle_since: float = 0.0

    async def events(self) -> AsyncIterator[bytes]:
        yield sse.retry(self.timing.retry_ms)
        try:
            async for chunk in self._events():
                self._idle_since = time.monotonic()
                yield chunk
        except EngineError as exc:  # Redis went away mid-stream: say so; the client resumes by offset
            _LOG.warning("log follow of %s ended: %s", self.run_id, exc)
            yield sse.event(name="error", data=sse.json_data({"code": "unavailable", "message": str(exc)}))

    async def _events(self) -> AsyncIterator[bytes]:
        self._idle_since = time.monotonic()
        state = await self._state()
        if state is None:
            yield self._gone()
            return
        yield await self._status_event(state[0])
        async for caught_up in self._catch_up():
            yield caught_up
        log_key, events_key = self.store.keys.log(self.run_id), self.store.keys.run_events(self.run_id)
        while True:
            if self.stopping.is_set():
                yield sse.comment("the server is stopping: reconnect with Last-Event-ID")
                return
            state = await self._state()
            if state is None:
                yield self._gone()
                return
            status, size, message = state
            if status != self._status:
                yield await self._status_event(status)
            if self.offset >= size and RunStatus(status).finished:
                yield sse.event(name="eof", data=sse.json_data({"status": status, "runErrorMessage": message,
                                                                "logBytes": size}))
                return
            # Bytes we have not sent yet are read at once; otherwise wait for the next append (or the poll).
            block = None if self.offset < size else max(1, int(self.timing.poll * 1000))
            with redis_errors():
                entries = await self.client.xread({log_key: self._last_id, events_key: self._events_id},
                                                  count=LIVE_COUNT, block=block)
            chunk = self._consume(self._log_entries(entries, events_key))
            if chunk is None:  # the stream does not continue where we are: read by offset instead
                async for piece in self._catch_up():
                    yield piece
            elif chunk:
                yield chunk
            elif block is not None and time.monotonic() - self._idle_since >= self.timing.ping:
                yield sse.comment("ping")

    async def _state(self) -> tuple[str, int, str | None] | None:
        with redis_errors():
            status, size, message = await self.client.hmget(self.store.keys.run(self.run_id),
                                                            ["status", "logBytes", "runErrorMessage"])
        if status is None:
            return None
        return _text(status), int(_text(size) or 0), _text(message) or None

    def _gone(self) -> bytes:
        return sse.event(name="error", data=sse.json_data({"code": "not_found",
                                                           "message": f"run {self.run_id} is gone"}))

    async def _catch_up(self) -> AsyncIterator[bytes]:
        """Everything from ``offset`` up to the log's current end, read by offset (it may start mid-chunk)."""
        while True:
            piece: LogSlice = await anyio.to_thread.run_sync(
                functools.partial(self.store.read_log, self.run_id, self.offset, limit=CATCH_UP_BYTES))
            self._last_id = piece.last_id
            if not piece.data:
                return
            self.offset = piece.next_offset
            yield self._log_event(piece.data)
            if self.offset >= piece.size:
                return

    def _log_entries(self, entries: Any, events_key: str) -> list[Any]:
        """The log's entries of an ``XREAD`` over both streams; a status change only moves our place in its
        stream (the loop reads the status itself)."""
        out = []
        for key, items in entries or ():
            if _text(key) == events_key:
                if items:
                    self._events_id = _text(items[-1][0])
            else:
                out.append((key, items))
        return out

    def _consume(self, entries: Any) -> bytes | None:
        """The ``log`` event for new stream entries: ``b""`` when there are none, None when the first new
        entry does not start at our offset (what came before it is still sent)."""
        parts: list[bytes] = []
        for _key, items in entries or ():
            for entry_id, fields_ in items:
                data: bytes = fields_[b"d"]
                begin = entry_offset(entry_id)
                if begin > self.offset:
                    return self._log_event(b"".join(parts)) if parts else None
                self._last_id = _text(entry_id)
                if begin + len(data) <= self.offset:
                    continue
                parts.append(data[self.offset - begin:])
                self.offset = begin + len(data)
        return self._log_event(b"".join(parts)) if parts else b""

    def _log_event(self, data: bytes) -> bytes:
        return sse.event(name="log", data=sse.log_data(data), event_id=self.offset)

    async def _status_event(self, status: str) -> bytes:
        self._status = status
        payload: dict[str, Any] = {"status": status}
        if status == RunStatus.QUEUED.value:
            described = await anyio.to_thread.run_sync(lambda: self.runs.describe(self.runs.get(self.run_id)))
            if "queueInfo" in described:
                payload["queueInfo"] = described["queueInfo"]
        return sse.event(name="status", data=sse.json_data(payload))
