"""Serving the app with uvicorn: single process, logs through the root logger (stderr), graceful SIGTERM.

Why one process: the metrics come from the store, and the log followers are asyncio tasks, so one event loop
serves many clients; scale out with more API processes behind a balancer (they share nothing but Redis and
the blob folder). On SIGTERM uvicorn stops accepting and lets requests finish; ``stopping`` is set at the same
moment, so log followers (which never finish on their own) end their streams within a poll interval and
their clients resume by offset. Whatever is left after ``grace`` seconds is cancelled. uvicorn re-raises the
signal once it is done, so the exit status is the usual one of a process ended by SIGTERM.
"""

from __future__ import annotations

import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)


def serve(app: FastAPI, *, host: str, port: int, stopping: threading.Event | None = None, grace: float = 5.0,
          access_log: bool = False) -> None:
    """``access_log`` is uvicorn's own; the app logs each request itself (``AccessLogMiddleware``)."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=access_log, lifespan="on",
                            timeout_graceful_shutdown=int(grace), proxy_headers=False, server_header=False)
    _Server(config, stopping or threading.Event()).run()
