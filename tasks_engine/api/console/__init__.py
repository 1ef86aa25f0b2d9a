"""The web console (issue #9): server-rendered pages for runs, a run and its live log, tasks, the base-image
graph, workers and queues, served by the API under ``/console``. See docs/console.md."""

from __future__ import annotations

from tasks_engine.api.console.app import create_console

__all__ = ["create_console"]
