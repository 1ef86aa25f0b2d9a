"""What every console page module is given, and the form parsing they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from tasks_engine.api.console.session import Sessions
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import ApiError

MAX_FORM_BYTES = 16 << 10
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class ConsoleContext:
    deps: ApiDeps
    sessions: Sessions
    # The asyncio Redis client the parent app opened in its lifespan (a mounted app has none of its own).
    redis_async: Callable[[], Any]


async def form_fields(request: Request) -> dict[str, str]:
    """The console's own small forms (``application/x-www-form-urlencoded``), parsed without a multipart
    library: a CSRF token, a sign-in token, nothing bigger than ``MAX_FORM_BYTES``."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != FORM_TYPE:
        raise ApiError(415, f"the console's forms are sent as {FORM_TYPE}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ApiError(413, f"a console form is at most {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "the form could not be read") from exc
    return dict(pairs)
