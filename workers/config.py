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
* The broker is derived from the store's own URL (``broker_settings``), parsed by the store's parser, because
  Redis is the one point every process shares: ``rediss://`` verifies the server the same way for both (kombu
  alone would not verify a bare ``rediss://``), ``sentinel://h1,h2/<service>/<db>`` becomes kombu's
  ``sentinel://h1/<db>;sentinel://h2/<db>`` with ``master_name``, and ``unix://`` kombu's ``redis+socket://``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tasks_engine.config import ServiceSettings
from tasks_engine.store import broker_prefix
from tasks_engine.store.connect import RedisTarget, parse_redis_url

RUN_TASK = "tasks_engine.run"
SWEEP_TASK = "tasks_engine.sweep"
# The executor enforces each run's own timeout; this hard limit only frees a pool process that hangs anyway
# (ACR's longest run, 8 hours, plus a grace period).
HARD_TIME_LIMIT = 28800 + 600


def _userinfo(target: RedisTarget) -> str:
    if target.password is None and not target.username:
        return ""
    user = quote(target.username or "", safe="")
    return f"{user}:{quote(target.password or '', safe='')}@" if target.password is not None else f"{user}@"


def _host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def broker_settings(redis_url: str) -> dict[str, Any]:
    """``broker_url``, ``broker_use_ssl`` and the connection part of ``broker_transport_options`` for kombu,
    from the service's Redis URL (see the module docstring)."""
    target = parse_redis_url(redis_url)
    auth = _userinfo(target)
    transport: dict[str, Any] = {}
    use_ssl: dict[str, Any] | bool = False
    if target.tls is not None:
        use_ssl = dict(target.tls)
    if target.sentinel:
        url = ";".join(f"sentinel://{auth}{_host(host, port)}/{target.db}" for host, port in target.hosts)
        transport["master_name"] = target.service
        sentinel_kwargs: dict[str, Any] = {}
        if target.sentinel_password is not None:
            sentinel_kwargs["password"] = target.sentinel_password
        if target.tls is not None:
            sentinel_kwargs.update(ssl=True, **target.tls)
        if sentinel_kwargs:
            transport["sentinel_kwargs"] = sentinel_kwargs
    elif target.scheme == "unix":
        url = f"redis+socket://{auth}{quote(target.path)}?virtual_host={target.db}"
    else:
        host, port = target.hosts[0]
        url = f"{target.scheme}://{auth}{_host(host, port)}/{target.db}"
    return {"broker_url": url, "broker_use_ssl": use_ssl, "transport": transport}


def celery_config(settings: ServiceSettings) -> dict[str, Any]:
    broker = broker_settings(settings.redis_url)
    transport = {"global_keyprefix": broker_prefix(settings), "visibility_timeout": 3600, **broker["transport"]}
    return {
        "broker_url": broker["broker_url"],
        "broker_use_ssl": broker["broker_use_ssl"],
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
        # Celery's PersistentScheduler plus the trigger tick (timers, cascade): workers/beat.py
        "beat_scheduler": "workers.beat:TriggerScheduler",
        "beat_schedule": {
            "tasks-engine-sweep": {"task": SWEEP_TASK, "schedule": 3600.0},
        },
    }
