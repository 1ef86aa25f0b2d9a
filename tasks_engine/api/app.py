"""``create_app(deps)``: the FastAPI application, assembled from the routers, the error table and the caps.

No module-level app and no side effects at import: the composition root (``tasks_engine.server``) builds the
service objects and calls this. The lifespan opens the asyncio Redis client the log followers share and
starts the background jobs it was given (the blob sweeper), and closes both on shutdown.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import FastAPI

from tasks_engine.api import errors
from tasks_engine.api.auth import Auth
from tasks_engine.api.console import create_console
from tasks_engine.api.deps import ApiDeps, Background
from tasks_engine.api.middleware import AccessLogMiddleware, BodyLimitMiddleware, CatchAllMiddleware
from tasks_engine.api.routes_admin import admin_router, probes_router
from tasks_engine.api.routes_blobs import blobs_router
from tasks_engine.api.routes_runs import runs_router
from tasks_engine.api.routes_tasks import tasks_router
from tasks_engine.api.routes_triggers import triggers_router

_LOG = logging.getLogger("tasks_engine.api")
UPLOADS_PATH = "/v1/uploads"
WEBHOOKS_PATH = "/v1/webhooks/"

DESCRIPTION = """Tasks Engine's service API: submit runs of acr-task.yaml files, follow their logs, manage named
tasks and tokens. Every `/v1` call needs `Authorization: Bearer <token>` (roles reader < runner < admin).
Errors are JSON: `{"error": {"status", "code", "message", "fields", "problems"}}`. See docs/api.md."""


async def _guarded(job: Background) -> None:
    """A background job that fails is logged, not fatal to the API."""
    try:
        await job()
    except Exception:
        _LOG.exception("background job %s stopped", getattr(job, "__name__", job))


def create_app(deps: ApiDeps) -> FastAPI:
    settings = deps.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis_async = deps.open_async()
        try:
            async with anyio.create_task_group() as group:
                for job in deps.background:
                    group.start_soon(_guarded, job)
                yield
                group.cancel_scope.cancel()
        finally:
            await app.state.redis_async.aclose()

    app = FastAPI(title="Tasks Engine", version="1", description=DESCRIPTION, lifespan=lifespan)
    auth = Auth(deps.access.authenticate)
    for router in (runs_router(deps, auth), blobs_router(deps, auth), tasks_router(deps, auth),
                   triggers_router(deps, auth), admin_router(deps, auth), probes_router(deps)):
        app.include_router(router)
    for exc_class in errors.HANDLED:
        app.add_exception_handler(exc_class, errors.handle)
    # -- web console (issue #9; tasks_engine/api/console): HTML pages under /console, with their own error
    # pages and security headers, outside /openapi.json; it shares the log followers' asyncio Redis client.
    app.mount("/console", create_console(deps, lambda: app.state.redis_async))
    # -- end of the web console

    def limit_for(path: str) -> tuple[int, str]:
        if path == UPLOADS_PATH:
            return settings.max_upload_bytes, "service.maxUploadBytes"
        if path.startswith(WEBHOOKS_PATH):
            return settings.max_webhook_bytes, "service.maxWebhookBytes"
        return settings.max_request_bytes, "service.maxRequestBytes"

    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(AccessLogMiddleware)  # added last: the outermost of ours
    return app
