"""The Celery tasks: thin wrappers that take a run id and hand it to the service layer."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from tasks_engine.service.execution import run_one
from workers import runtime
from workers.config import RUN_TASK, SWEEP_TASK

_LOG = logging.getLogger(__name__)


def register(app: Celery) -> None:
    @app.task(name=RUN_TASK, bind=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def run(self: Any, run_id: str) -> None:
        """Claim and execute one run. A duplicate delivery (the run is no longer queued) returns at once."""
        rt = runtime.current(self.app)
        ctx = rt.worker_context(runtime.process_worker_id(self.request.hostname))
        status = run_one(rt.store, run_id, ctx)
        _LOG.info("run %s: %s", run_id, status.value if status else "skipped")

    @app.task(name=SWEEP_TASK, bind=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def sweep(self: Any) -> None:
        """Hourly (beat): drop index entries of runs whose records expired after the retention period."""
        removed = runtime.current(self.app).store.prune_indexes()
        _LOG.info("sweep: removed %d stale index entries", removed)
