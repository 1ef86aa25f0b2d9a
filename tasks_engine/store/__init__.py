"""The run store: records, logs, named tasks, tokens, workers and metrics in Redis (the only ``import redis``).

``open_store(settings)`` is the one way processes get a store; the secret box is attached when the process
has the server key (API and workers), and left out where it must not be needed.
"""

from __future__ import annotations

from tasks_engine.config.service import ServiceSettings
from tasks_engine.store.broker import BrokerMixin, BrokerView, run_id_of_task, task_id_for
from tasks_engine.store.catalog import TOKEN_PREFIX, CatalogMixin, token_digest
from tasks_engine.store.connect import connect, connect_async, is_redis_error, redis_errors
from tasks_engine.store.crypto import SecretBox, new_key
from tasks_engine.store.keys import Keys
from tasks_engine.store.logs import LogRangeError, LogSlice, LogsMixin, entry_offset
from tasks_engine.store.metrics import DURATION_BUCKETS, STEP_BUCKETS, Histogram, MetricsMixin
from tasks_engine.store.records import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    Claim,
    Credential,
    LeaseState,
    Platform,
    Role,
    RunRecord,
    RunRequest,
    RunSecrets,
    RunType,
    TaskRecord,
    TaskSecrets,
    TokenRecord,
    Trigger,
    WorkerInfo,
)
from tasks_engine.store.runs import Created, NewRun, Parked, RunPage, RunsMixin, UniqueKey
from tasks_engine.store.triggers import TriggersMixin


class RedisStore(RunsMixin, LogsMixin, CatalogMixin, MetricsMixin, BrokerMixin, TriggersMixin):
    """Everything the service keeps, in one Redis (see ``keys.py`` for the layout)."""


def broker_prefix(settings: ServiceSettings) -> str:
    """kombu's ``global_keyprefix`` for this installation: Celery's keys live beside ours."""
    return f"{settings.key_prefix}:celery:"


def open_store(settings: ServiceSettings, *, with_secrets: bool = True) -> RedisStore:
    box = SecretBox(settings.read_encryption_keys()) if with_secrets else None
    store = RedisStore(connect(settings.redis_url), keys=Keys(settings.key_prefix), box=box,
                       log_max_bytes=settings.log_max_bytes, retention_seconds=settings.log_retention)
    store.broker_prefix = broker_prefix(settings)
    return store


__all__ = [
    "ACTIVE_STATUSES",
    "DURATION_BUCKETS",
    "FINAL_STATUSES",
    "STEP_BUCKETS",
    "TOKEN_PREFIX",
    "BrokerView",
    "Claim",
    "Created",
    "Credential",
    "Histogram",
    "Keys",
    "LeaseState",
    "LogRangeError",
    "LogSlice",
    "NewRun",
    "Parked",
    "Platform",
    "RedisStore",
    "Role",
    "RunPage",
    "RunRecord",
    "RunRequest",
    "RunSecrets",
    "RunType",
    "SecretBox",
    "TaskRecord",
    "TaskSecrets",
    "TokenRecord",
    "Trigger",
    "UniqueKey",
    "WorkerInfo",
    "broker_prefix",
    "connect",
    "connect_async",
    "entry_offset",
    "is_redis_error",
    "new_key",
    "open_store",
    "redis_errors",
    "run_id_of_task",
    "task_id_for",
    "token_digest",
]
