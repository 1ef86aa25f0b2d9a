"""What a worker process holds: settings, the store, the dispatcher, and its identity, made on first use.

Why lazily and per process: a prefork pool forks its children from the main process, and a Redis connection
or a thread made before the fork must not be shared with the children. ``current(app)`` builds the objects in
the process that asks, and again after a fork.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from celery import Celery

from tasks_engine.config import Settings, load_settings
from tasks_engine.service.blobclient import open_blob
from tasks_engine.service.execution import WorkerContext
from tasks_engine.service.triggering import Triggers, build_triggers
from tasks_engine.service.usecases import RunService
from tasks_engine.store import RedisStore, open_store
from workers.dispatch import CeleryDispatcher


@dataclass
class Runtime:
    pid: int
    settings: Settings
    store: RedisStore
    dispatcher: CeleryDispatcher
    server_key: str
    _triggers: Triggers | None = None

    @property
    def triggers(self) -> Triggers:
        """The trigger services (dependency index, cascade, timers, poller), built on first use."""
        if self._triggers is None:
            runs = RunService(self.store, self.dispatcher, self.settings.service, self.settings.engine)
            self._triggers = build_triggers(self.store, runs, self.settings.service, self.settings.engine)
        return self._triggers

    def worker_context(self, worker_id: str) -> WorkerContext:
        service = self.settings.service

        @contextlib.contextmanager
        def fetch(digest: str) -> Iterator[BinaryIO]:
            with open_blob(service.api_url, digest, self.server_key, max_bytes=service.max_upload_bytes) as f:
                yield f

        return WorkerContext(settings=service, engine=self.settings.engine, worker_id=worker_id,
                             open_upload=fetch, hooks=self.triggers, dispatch=self.dispatcher.dispatch)


_LOCK = threading.Lock()
_CURRENT: Runtime | None = None


def current(app: Celery) -> Runtime:
    global _CURRENT
    with _LOCK:
        if _CURRENT is None or _CURRENT.pid != os.getpid():
            settings = load_settings(os.environ.get("TASKS_ENGINE_CONFIG") or None)
            if not settings.service.host_docker_logins:
                isolate_docker_logins(settings.service.service_dir / "docker-config")
            store = open_store(settings.service)
            _CURRENT = Runtime(pid=os.getpid(), settings=settings, store=store, dispatcher=CeleryDispatcher(app),
                               server_key=settings.service.read_encryption_keys()[0])
        return _CURRENT


def isolate_docker_logins(folder: Path) -> None:
    """Point this worker process's Docker SDK at an empty client config, so no run pushes or pulls with the
    host user's ``docker login``.

    Why here and process-wide: the SDK reads ``~/.docker/config.json`` (or ``$DOCKER_CONFIG``) at every client
    it makes, falls back to it on a push or pull without credentials, and sends all of it with every classic
    build; it takes no path of its own. A run's own logins come from the engine's ``registries`` and its task's
    credentials (the BuildKit route writes them to a private config per run). Pull-request runs get none.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = folder / "config.json"
        if not config.exists():
            config.write_text("{}\n", encoding="utf-8")
    except OSError:  # a state root this process cannot write (beat's, say): a private folder is as empty
        folder = Path(tempfile.mkdtemp(prefix="tasks-engine-docker-config-"))
        (folder / "config.json").write_text("{}\n", encoding="utf-8")
    os.environ["DOCKER_CONFIG"] = str(folder)


def process_worker_id(nodename: str | None) -> str:
    """``<celery node name>/<pid>``: the lease owner shown in a run record (``worker``)."""
    return f"{nodename or socket.gethostname()}/{os.getpid()}"
