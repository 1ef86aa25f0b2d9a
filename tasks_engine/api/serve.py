"""Serving the app with uvicorn: one process or several on one socket, logs through the root logger (stderr),
graceful SIGTERM.

One process serves many clients (the log followers are asyncio tasks on one event loop), but a submit costs
about 4 ms of CPU, so one process is bounded by one core: ``service.apiProcesses`` runs several on one
listening socket (the kernel spreads connections; they share nothing but Redis and the blob folder, as
several API hosts behind a balancer do). Why our own small supervisor and not uvicorn's ``--workers``: its
children run a plain ``uvicorn.Server``, which cannot tell our log followers that the process is stopping.

On SIGTERM uvicorn stops accepting and lets requests finish; ``stopping`` is set at the same moment, so log
followers (which never finish on their own) end their streams within a poll interval and their clients resume
by offset. Whatever is left after ``grace`` seconds is cancelled. The process then ends by the same signal, so
its exit status is the usual one of a process ended by SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from fastapi import FastAPI

_LOG = logging.getLogger("tasks_engine.api")

# A child's exit code when its app could not be built (bad settings): restarting it would fail the same way.
STARTUP_FAILURE = 3
# A child that dies sooner than this after its start is started again only after a growing pause.
_QUICK_DEATH = 5.0

# What one API process serves: its app, and the event its log followers watch to end their streams.
ProcessApp = tuple[FastAPI, threading.Event]
AppFactory = Callable[[], ProcessApp]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)


def _config(app: FastAPI | str, *, host: str, port: int, grace: float, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=access_log, lifespan="on",
                          timeout_graceful_shutdown=int(grace), proxy_headers=False, server_header=False)


def serve(app: FastAPI, *, host: str, port: int, stopping: threading.Event | None = None, grace: float = 5.0,
          access_log: bool = False, sockets: list[socket.socket] | None = None) -> None:
    """``access_log`` is uvicorn's own; the app logs each request itself (``AccessLogMiddleware``)."""
    config = _config(app, host=host, port=port, grace=grace, access_log=access_log)
    _Server(config, stopping or threading.Event()).run(sockets=sockets)


def _child(factory: AppFactory, sock: socket.socket, host: str, port: int, grace: float) -> None:
    """One API process of several (a fresh interpreter: ``spawn``, so no Redis connection or thread of the
    parent is shared)."""
    try:
        app, stopping = factory()
    except Exception as exc:  # bad settings: the parent stops instead of restarting a process that cannot start
        _LOG.error("the API process cannot start: %s", exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    serve(app, host=host, port=port, stopping=stopping, grace=grace, sockets=[sock])


class _Supervisor:
    """Keeps ``count`` API processes on one socket: replaces one that dies, stops all on SIGTERM/SIGINT."""

    def __init__(self, factory: AppFactory, *, host: str, port: int, count: int, grace: float) -> None:
        self.factory, self.host, self.port, self.count, self.grace = factory, host, port, count, grace
        self.context = multiprocessing.get_context("spawn")
        self.signal: int | None = None
        self.slots: list[tuple[BaseProcess, float]] = []
        self.quick_deaths = [0] * count

    def _start(self, sock: socket.socket) -> tuple[BaseProcess, float]:
        process = self.context.Process(target=_child, name="tasks-engine-api",
                                       args=(self.factory, sock, self.host, self.port, self.grace))
        process.start()
        _LOG.info("API process %s started", process.pid)
        return process, time.monotonic()

    def _on_signal(self, sig: int, _frame: FrameType | None) -> None:
        self.signal = sig

    def run(self) -> int:
        sock = _config("", host=self.host, port=self.port, grace=self.grace, access_log=False).bind_socket()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            self.slots = [self._start(sock) for _ in range(self.count)]
            status = self._watch(sock)
        finally:
            self._stop_all()
            sock.close()
        if self.signal is not None:  # end as a single process does: by the signal that stopped it
            signal.signal(self.signal, signal.SIG_DFL)
            os.kill(os.getpid(), self.signal)
        return status

    def _watch(self, sock: socket.socket) -> int:
        restart_at: dict[int, float] = {}
        while self.signal is None:
            time.sleep(0.2)
            for index, (process, started) in enumerate(self.slots):
                if process.is_alive() or self.signal is not None:
                    continue
                if index not in restart_at:
                    if process.exitcode == STARTUP_FAILURE:
                        _LOG.error("API process %s could not start; stopping", process.pid)
                        return 2
                    quick = time.monotonic() - started < _QUICK_DEATH
                    self.quick_deaths[index] = self.quick_deaths[index] + 1 if quick else 0
                    pause = min(30.0, 0.5 * 2 ** self.quick_deaths[index]) if quick else 0.0
                    _LOG.warning("API process %s ended (exit %s); starting another in %.1f s", process.pid,
                                 process.exitcode, pause)
                    restart_at[index] = time.monotonic() + pause
                if time.monotonic() >= restart_at[index]:
                    del restart_at[index]
                    self.slots[index] = self._start(sock)
        return 0

    def _stop_all(self) -> None:
        for process, _ in self.slots:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace + 10
        for process, _ in self.slots:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


def serve_processes(factory: AppFactory, *, host: str, port: int, processes: int, grace: float = 5.0) -> int:
    """Serve with ``processes`` API processes on one socket, each building its app with ``factory`` (a
    picklable, module-level callable). Returns 2 if they cannot start; otherwise ends by the stopping signal."""
    return _Supervisor(factory, host=host, port=port, count=processes, grace=grace).run()
