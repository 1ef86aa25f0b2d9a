"""``create_console(deps, redis_async)``: the web console, a FastAPI sub-application mounted at ``/console``.

Why a mounted sub-application: it keeps its own error answers (HTML pages, where ``/v1`` keeps the JSON of
the API's one error table), its own security headers, and stays out of ``/openapi.json`` (the console is
not API: its forms and fragments are for its own pages). It reuses everything else: the same service
objects, the same ``check_access`` for roles, the same error table to choose a status, the same log
follower for live logs.

Every route is wrapped (``GuardedRoute``): whatever it raises becomes an error page (a traceback only ever
goes to the server's log, under the incident id the page shows). ``SecurityHeaders`` adds the strict CSP
and friends to every answer, static files included.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks_engine.api.console.context import ConsoleContext
from tasks_engine.api.console.render import page
from tasks_engine.api.console.session import LoginRequired, Sessions, login_url
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import api_error_for, internal_error
from tasks_engine.store.sessions import SessionStore

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_TITLES = {400: "Bad request", 401: "Signed out", 403: "Not allowed", 404: "Not found", 405: "Not allowed here",
           409: "Conflict", 413: "Too large", 415: "Unsupported form", 416: "Out of range", 422: "Invalid input",
           500: "Internal error", 503: "Unavailable"}


class SecurityHeaders:
    """Adds ``HEADERS`` to every response, and ``Cache-Control: no-store`` to everything but static files
    (pages show what a token may see: no shared or back-button cache should keep them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/console/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if not (static is False and h[0] == b"cache-control")]
                headers += HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def error_page(request: Request, exc: BaseException) -> Response:
    """The HTML answer for anything a console route raised; the status is the API's error table's."""
    if isinstance(exc, LoginRequired):
        return RedirectResponse(login_url(exc.next_path), status_code=303)
    error = api_error_for(exc) or internal_error(exc, request)
    headers = {k: v for k, v in error.headers.items() if k.lower() == "retry-after"}
    return page("error.html", viewer=None, status=error.status, headers=headers, code=error.status,
                title=_TITLES.get(error.status, "Error"), message=error.message, fields=error.fields or [],
                problems=error.problems or [])


class GuardedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_page(request, exc)

        return guarded


async def _router_error(request: Request, exc: Exception) -> Response:
    """Unknown console paths and methods (raised by the router, outside any route)."""
    return error_page(request, exc)


def create_console(deps: ApiDeps, redis_async: Callable[[], Any]) -> ASGIApp:
    from tasks_engine.api.console import pages_auth, pages_runs, pages_tasks, pages_workers

    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    context = ConsoleContext(deps=deps, sessions=Sessions(SessionStore(deps.store), deps.access.authenticate),
                             redis_async=redis_async)
    for module in (pages_auth, pages_runs, pages_tasks, pages_workers):
        console.include_router(module.router(context, GuardedRoute))
    console.mount("/static", StaticFiles(packages=[("tasks_engine.api.console", "static")]), name="static")
    console.add_exception_handler(HTTPException, _router_error)
    return SecurityHeaders(console)
