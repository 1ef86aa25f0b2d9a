"""Publishing a run id to its queue: the dispatcher the service layer is given.

The task id (``run.<run id>.<random>``) lets the reaper recognise the run's message in the broker. A broker
that cannot be reached is a ``TransientError`` (HTTP 503), like a store that cannot be reached.
"""

from __future__ import annotations

import uuid

from celery import Celery
from kombu.exceptions import OperationalError

from tasks_engine.errors import TransientError
from tasks_engine.store import task_id_for
from workers.config import RUN_TASK


class CeleryDispatcher:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def dispatch(self, run_id: str, queue: str) -> None:
        try:
            self.app.send_task(RUN_TASK, args=[run_id], queue=queue,
                               task_id=task_id_for(run_id, uuid.uuid4().hex[:8]))
        except (OperationalError, OSError) as exc:
            raise TransientError(f"cannot publish run {run_id} to queue {queue}: {exc}") from exc

    def dispatch_many(self, run_ids: list[str], queue: str) -> None:
        """Celery's own publish, over one producer (one connection) for the whole batch."""
        try:
            with self.app.producer_or_acquire() as producer:
                for run_id in run_ids:
                    self.app.send_task(RUN_TASK, args=[run_id], queue=queue, producer=producer,
                                       task_id=task_id_for(run_id, uuid.uuid4().hex[:8]))
        except (OperationalError, OSError) as exc:
            raise TransientError(f"cannot publish {len(run_ids)} run(s) to queue {queue}: {exc}") from exc
