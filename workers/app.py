"""``celery -A workers.app worker`` / ``celery -A workers.app beat``: the app, from a factory.

No side effects at import: ``make_celery`` creates the app object and registers the tasks and the bootstep;
the settings (and so the broker URL) are read only when Celery first needs its configuration, through the
``on_configure`` signal. ``TASKS_ENGINE_CONFIG`` and ``TASKS_ENGINE_*`` variables select them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import Celery

from tasks_engine.config import ServiceSettings, load_settings
from workers.bootsteps import ServiceStep
from workers.config import celery_config
from workers.tasks import register


def _settings_from_env() -> ServiceSettings:
    return load_settings(os.environ.get("TASKS_ENGINE_CONFIG") or None).service


def make_celery(settings: ServiceSettings | Callable[[], ServiceSettings] = _settings_from_env, *,
                worker_steps: bool = True) -> Celery:
    """A Celery app for the service; ``settings`` is the settings or a function that reads them (lazily)."""
    app = Celery("tasks_engine", set_as_current=False)

    def configure(sender: Any = None, **_: Any) -> None:
        resolved = settings() if callable(settings) else settings
        app.conf.update(celery_config(resolved))

    app.on_configure.connect(configure, weak=False)
    register(app)
    if worker_steps:
        app.steps["worker"].add(ServiceStep)
    return app


app = make_celery()
