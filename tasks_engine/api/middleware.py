"""Pure ASGI middlewares: request-body caps, the last line of defence against a traceback, the access log.

Why pure ASGI rather than ``BaseHTTPMiddleware``: both must see the raw ``receive`` stream (a body cap has to
count a chunked upload's bytes as they arrive) and must not buffer streaming responses such as the SSE log
follow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks_engine.api.errors import ApiError, internal_error

_ACCESS = logging.getLogger("tasks_engine.api.access")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, what: str) -> None:
        super().__init__(413, f"request body above the {limit}-byte limit ({what})")


class BodyLimitMiddleware:
    """``413`` for a body above ``limit_for(path)``: at once from ``Content-Length``, else while counting."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], tuple[int, str]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = self.limit_for(scope["path"])
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await ApiError(400, "invalid Content-Length header").response()(scope, receive, send)
                    return
                if declared > limit:
                    await ApiError(413, str(BodyTooLarge(limit, what).detail)).response()(scope, receive, send)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit, what)
            return message

        await self.app(scope, counted, send)


class CatchAllMiddleware:
    """An exception no handler took is logged with its traceback and an id, and answered ``500`` JSON.

    Sits inside Starlette's ``ServerErrorMiddleware`` so that one never prints a traceback page, and outside
    the routes' exception handlers, which answer everything the error table knows.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            error = internal_error(exc, Request(scope))
            if not started:
                await error.response()(scope, receive, send)


class AccessLogMiddleware:
    """One line per request: ``client "METHOD /path" status duration``, without the query string.

    Why not uvicorn's access log: it cost about a millisecond of CPU per request here (more than the rest of
    an authenticated read), and it prints query strings, which carry blob signatures. This one logs the path
    only, after the response is sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]

        async def tracking(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        finally:
            client = scope.get("client") or ("-", 0)
            _ACCESS.info('%s "%s %s" %d %.1fms', client[0], scope["method"], scope["path"], status[0],
                         (time.perf_counter() - started) * 1000)
