"""Celery's configuration, derived from the service settings (one source of truth for both).

Choices, each for a reason (service-spec §1):

* Early acknowledgement, ``worker_disable_prefetch``: a worker takes a message only when a pool process is
  free, so a run never waits behind a long build on a busy worker while another is idle, and acknowledging at
  start keeps Redis's visibility timeout from ever redelivering a multi-hour run. Crash safety comes from the
  store's lease and the reaper, not from the broker.
* ``task_ignore_result``: the run store is the only source of truth; Celery's result state is never read.
* Task events on (``-E`` by default) so Flower and celery-exporter work. ``task-sent`` events stay off: they
  double the cost of every publish on the API's submit path, and Flower needs only the workers' events.
* kombu's ``global_keyprefix`` puts Celery's keys beside the store's (``<keyPrefix>:celery:``), so several
  installations can share one Redis.
"""

from __future__ import annotations

from typing import Any

from tasks_engine.config import ServiceSettings
from tasks_engine.store import broker_prefix

RUN_TASK = "tasks_engine.run"
SWEEP_TASK = "tasks_engine.sweep"
# The executor enforces each run's own timeout; this hard limit only frees a pool process that hangs anyway
# (ACR's longest run, 8 hours, plus a grace period).
HARD_TIME_LIMIT = 28800 + 600


def celery_config(settings: ServiceSettings) -> dict[str, Any]:
    transport = {"global_keyprefix": broker_prefix(settings), "visibility_timeout": 3600}
    return {
        "broker_url": settings.redis_url,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        "worker_disable_prefetch": True,
        "worker_concurrency": settings.worker_concurrency,
        "task_default_queue": settings.default_queue,
        "task_create_missing_queues": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_send_task_events": True,
        "task_send_sent_event": False,
        "task_time_limit": HARD_TIME_LIMIT,
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "timezone": "UTC",
        "beat_schedule": {
            "tasks-engine-sweep": {"task": SWEEP_TASK, "schedule": 3600.0},
        },
    }
