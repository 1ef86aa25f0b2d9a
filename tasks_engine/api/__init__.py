"""The HTTP API (FastAPI): the only package that imports fastapi, starlette and uvicorn.

``create_app(deps)`` builds the application from service objects a composition root made
(``tasks_engine.server``); the routes are thin adapters over ``tasks_engine.service``. docs/api.md is the
contract.
"""

from __future__ import annotations

from tasks_engine.api.app import create_app
from tasks_engine.api.deps import ApiDeps, FollowTiming
from tasks_engine.api.serve import ProcessApp, serve, serve_processes

__all__ = ["ApiDeps", "FollowTiming", "ProcessApp", "create_app", "serve", "serve_processes"]
