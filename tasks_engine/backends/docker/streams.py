"""Consuming the daemon's streaming responses (build, push, pull, logs) while honouring ``stop``.

Why a thread and a queue: the SDK's stream generators block in ``recv`` for as long as the daemon is silent
(a ``RUN sleep 600`` prints nothing). The caller's thread must stay free to look at ``stop`` and must be the
only one that calls the executor's ``log`` writer (so no output arrives after ``run_attempt`` returned).
The reader thread feeds a queue; the caller drains it between looks at ``stop``.

Stopping a stream: the SDK gives no handle on the HTTP response behind its generators, so ``abort`` reaches it
through the generator's frame (``response`` local of ``APIClient._stream_helper``) and shuts the socket down.
For ``docker build`` the daemon cancels the build when its client goes away. If the SDK changes shape, the
abort silently does nothing and the reader thread is abandoned (it is a daemon thread); the attempt still
returns promptly.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def abort_stream(gen: object) -> None:
    """Best effort: close the HTTP connection behind an SDK stream generator from another thread."""
    frame = getattr(gen, "gi_frame", None)
    response = frame.f_locals.get("response") if frame is not None else None
    if response is None:
        return
    with contextlib.suppress(Exception):
        raw = response.raw._fp.fp.raw
        sock = getattr(raw, "_sock", raw)
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def consume(
    start: Callable[[], Iterator[Any]],
    *,
    on_item: Callable[[Any], None],
    stop: threading.Event,
    poll: float,
    name: str = "docker-stream",
) -> bool:
    """Run ``start()`` and iterate it in a reader thread, handing each item to ``on_item`` in this thread.

    Returns True when ``stop`` ended the stream early. Exceptions of ``start`` or of the iteration are
    re-raised here, in the caller's thread, so the caller translates them.
    """
    items: queue.Queue[Any] = queue.Queue()
    holder: dict[str, Any] = {}

    def reader() -> None:
        try:
            gen = start()
            holder["gen"] = gen
            for item in gen:
                items.put(item)
                if holder.get("aborted"):
                    break
        except BaseException as exc:  # handed to the caller's thread
            items.put(_Failure(exc))
        finally:
            items.put(_END)

    thread = threading.Thread(target=reader, name=name, daemon=True)
    thread.start()
    while True:
        if stop.is_set():
            holder["aborted"] = True
            if "gen" in holder:
                abort_stream(holder["gen"])
            return True
        try:
            item = items.get(timeout=poll)
        except queue.Empty:
            continue
        if item is _END:
            return False
        if isinstance(item, _Failure):
            raise item.exc
        on_item(item)


def stream_error(item: dict[str, Any]) -> str | None:
    """The failure text of one item of a build/pull/push JSON stream, or None when it is not an error."""
    if not item.get("error"):
        return None
    detail = item.get("errorDetail") or {}
    return str(detail.get("message") or item["error"]).strip()


def progress_item(item: Any, errors: list[str]) -> dict[str, Any] | None:
    """One item of a build/pull/push JSON stream: the item when it is progress, None when it is not a dict or
    is an error (whose text is appended to ``errors``)."""
    if not isinstance(item, dict):
        return None
    failure = stream_error(item)
    if failure is not None:
        errors.append(failure)
        return None
    return item
