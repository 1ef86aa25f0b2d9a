"""``python -m tasks_engine.server [--config FILE]``: the API process's composition root.

The one module that imports both the HTTP adapter (``tasks_engine.api``) and Celery's side
(``workers.dispatch``, ``workers.app``): it reads the settings (file + ``TASKS_ENGINE_*``), opens the store
with the server key, a publishing-only Celery app, the blob folder, builds the use cases and hands them to
``create_app``. Nothing connects at start: a process started while Redis is down serves ``/healthz`` and
answers ``503`` until Redis is back.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Sequence

import anyio
import anyio.to_thread

from tasks_engine.api import ApiDeps, ProcessApp, create_app, serve, serve_processes
from tasks_engine.api.deps import Background
from tasks_engine.config import Settings, load_settings
from tasks_engine.errors import EngineError
from tasks_engine.service.access import AccessService
from tasks_engine.service.tasks import TaskService
from tasks_engine.service.triggering import build_triggers
from tasks_engine.service.usecases import RunService
from tasks_engine.source.errors import mask_url
from tasks_engine.store import connect_async, open_store
from tasks_engine.store.blobs import BlobStore, FolderBlobStore
from workers.app import make_celery
from workers.dispatch import CeleryDispatcher

_LOG = logging.getLogger("tasks_engine.server")


def blob_sweeper(blobs: BlobStore, *, ttl: float, interval: float) -> Background:
    """Every ``interval`` seconds, remove uploads unused for ``ttl`` (``service.uploadTtl``)."""

    async def sweep_blobs() -> None:
        while True:
            try:
                removed = await anyio.to_thread.run_sync(lambda: blobs.sweep(older_than=ttl))
                if removed:
                    _LOG.info("removed %d expired upload(s)", removed)
            except OSError as exc:
                _LOG.warning("sweeping uploads failed: %s", exc)
            await anyio.sleep(interval)

    return sweep_blobs


def build_deps(settings: Settings) -> ApiDeps:
    service = settings.service
    keys = service.read_encryption_keys()
    store = open_store(service)
    dispatcher = CeleryDispatcher(make_celery(service, worker_steps=False))
    runs = RunService(store, dispatcher, service, settings.engine)
    blobs = FolderBlobStore(service.blob_path)
    interval = min(300.0, max(5.0, service.upload_ttl / 4))
    triggers = build_triggers(store, runs, service, settings.engine)
    tasks = TaskService(store, runs, deleted_hooks=[triggers.cascade.forget_task])
    return ApiDeps(settings=service, store=store, runs=runs, tasks=tasks,
                   access=AccessService(store), blobs=blobs, server_keys=keys,
                   open_async=lambda: connect_async(service.redis_url),
                   background=[blob_sweeper(blobs, ttl=service.upload_ttl, interval=interval)],
                   triggers=triggers)


def _configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")


def process_app(config: str | None) -> ProcessApp:
    """The app of one API process of several (``service.apiProcesses``), built in that process."""
    _configure_logging()
    deps = build_deps(load_settings(config))
    return create_app(deps), deps.stopping


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tasks_engine.server", description="Serve the Tasks Engine API.")
    parser.add_argument("--config", help="configuration file (default: $TASKS_ENGINE_CONFIG, then the usual places)")
    args = parser.parse_args(argv)
    _configure_logging()
    try:
        settings = load_settings(args.config)
        deps = build_deps(settings)
    except EngineError as exc:
        print(f"tasks-engine server: {exc}", file=sys.stderr)
        return 2
    _LOG.info("serving on http://%s (Redis %s, uploads in %s, %d process(es))", settings.service.api_listen,
              mask_url(settings.service.redis_url), settings.service.blob_path, settings.service.api_processes)
    service = settings.service
    if service.api_processes > 1:  # the settings were checked here; each process builds its own app
        return serve_processes(functools.partial(process_app, args.config), host=service.api_host,
                               port=service.api_port, processes=service.api_processes)
    serve(create_app(deps), host=service.api_host, port=service.api_port, stopping=deps.stopping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
