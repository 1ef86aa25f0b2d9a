"""Work a worker's main process does besides consuming: heartbeat, reaper, sweep of dead runs' objects.

Why in the main process and not as Celery tasks: pool processes may all be busy with hour-long builds, and
these must keep running exactly then. Each is a daemon thread started by a bootstep after the pool; a
failing tick is logged and retried on the next one (Redis restarting is an ordinary event).

* heartbeat (every 5 s, expires after 15 s): who listens on which queue, for ``show-run`` and ``/metrics``;
* reaper (every ``service.reaperInterval``): expired leases and lost messages (``service/reaper.py``);
* sweep (at start, then every ``service.sweepInterval``, a minute by default): containers and networks on
  this Docker host whose run's lease token is no longer current (their execution died), and run folders no
  process holds;
* poller (every 2 s, when ``service.pollRegistries`` names any): digest polls of tracked base images that
  are due, by one leader at a time (a lock its holder renews; another worker takes over when it lapses).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from celery import bootsteps

from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.execution import LABEL_LEASE
from tasks_engine.service.reaper import reap_once
from tasks_engine.service.sweep import sweep_dead_runs
from tasks_engine.store import WorkerInfo
from workers import runtime

_LOG = logging.getLogger(__name__)
HEARTBEAT_EVERY = 5.0
HEARTBEAT_TTL = 15.0
POLL_EVERY = 2.0


def _every(stop: threading.Event, interval: float, name: str, tick: Callable[[], object]) -> threading.Thread:
    def loop() -> None:
        while True:
            try:
                tick()
            except Exception as exc:  # Redis restarting, Docker busy: try again next tick
                _LOG.warning("%s failed: %s", name, exc)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name=f"tasks-engine-{name}", daemon=True)
    thread.start()
    return thread


class ServiceStep(bootsteps.StartStopStep):  # type: ignore[misc]
    requires: ClassVar[set[str]] = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def _queues(self, worker: Any) -> tuple[str, ...]:
        queues = worker.app.amqp.queues
        selected = queues.consume_from or queues
        return tuple(sorted(selected))

    def start(self, worker: Any) -> None:
        rt = runtime.current(worker.app)
        worker_id = worker.hostname or socket.gethostname()
        concurrency = int(worker.concurrency or 1)

        def heartbeat() -> None:
            info = WorkerInfo(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid(),
                              queues=self._queues(worker), concurrency=concurrency, started=self._started,
                              seen=datetime.now(UTC).isoformat().replace("+00:00", "Z"))
            rt.store.heartbeat(info, ttl=HEARTBEAT_TTL)

        def failed(run_id: str) -> None:
            record = rt.store.get_run(run_id)
            if record is not None:
                rt.triggers.finished(record, RunStatus.ERROR)

        def reap() -> None:
            report = reap_once(rt.store, rt.dispatcher, rt.settings.service, owner=worker_id, on_failed=failed)
            if report.requeued or report.failed or report.republished:
                _LOG.warning("reaper: requeued %s, failed %s, republished %s", report.requeued, report.failed,
                             report.republished)

        def poll() -> None:
            if rt.store.try_lock("poller", worker_id, POLL_EVERY * 5):
                rt.triggers.poller.tick()

        def sweep() -> None:
            sweep_dead_runs(rt.store, rt.settings.engine, lease_label=LABEL_LEASE)

        self._threads = [
            _every(self._stop, HEARTBEAT_EVERY, "heartbeat", heartbeat),
            _every(self._stop, rt.settings.service.reaper_interval, "reaper", reap),
            _every(self._stop, rt.settings.service.sweep_interval, "sweep", sweep),
        ]
        if rt.settings.service.poll_registries:
            self._threads.append(_every(self._stop, POLL_EVERY, "poller", poll))

    def stop(self, worker: Any) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        try:
            runtime.current(worker.app).store.remove_worker(worker.hostname or socket.gethostname())
        except Exception as exc:
            _LOG.warning("could not remove the heartbeat: %s", exc)
