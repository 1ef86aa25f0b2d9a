"""What the API is given: the service objects a composition root (``tasks_engine.server``) built.

Why injected and not imported: the API is an adapter. It never opens Redis or Celery itself, so the same
``create_app`` serves the real process and any other assembly of the same parts, and importing this package
has no side effects.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.config import ServiceSettings
from tasks_engine.service.access import AccessService
from tasks_engine.service.tasks import TaskService
from tasks_engine.service.triggering import Triggers
from tasks_engine.service.usecases import RunService
from tasks_engine.store import RedisStore
from tasks_engine.store.blobs import BlobStore

Background = Callable[[], Awaitable[None]]


@dataclass
class FollowTiming:
    """SSE pacing: keep-alive comments after ``ping`` seconds of silence; status checked every ``poll``."""

    ping: float = 15.0
    poll: float = 1.0
    retry_ms: int = 2000


@dataclass
class ApiDeps:
    settings: ServiceSettings
    store: RedisStore
    runs: RunService
    tasks: TaskService
    access: AccessService
    blobs: BlobStore
    server_keys: list[str] = field(repr=False)
    # Opens the asyncio Redis client log followers block on (``store.connect_async``); called once, in the
    # event loop, when the app starts.
    open_async: Callable[[], Any]
    background: Sequence[Background] = ()
    # Webhooks, registry notifications, deps impact (None: this process answers those routes 503).
    triggers: Triggers | None = None
    follow: FollowTiming = field(default_factory=FollowTiming)
    # Set when the process is asked to stop (``serve``): log followers end their streams at once, so clients
    # reconnect (by offset) elsewhere instead of being cut off when the grace period runs out.
    stopping: threading.Event = field(default_factory=threading.Event)
