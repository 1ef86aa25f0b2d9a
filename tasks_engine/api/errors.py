"""The one table from exceptions to HTTP answers, and the JSON every error has.

Why one table: the service raises the engine's own error classes (``DefinitionError``, ``UsageError`` and its
``NotFoundError``/``ConflictError``/``InvalidFieldError``, ``TransientError``...), and each one means the same
thing to every client whichever route raised it. Routes never build error responses themselves.

Shape: ``{"error": {"status", "code", "message", "fields": [{"field", "message"}], "problems": [...]}}``.
Anything the table does not know is a bug: it is logged with its traceback under a short id and answered
``500 internal`` with that id, never with the traceback (the fuzz tests assert it does not happen).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tasks_engine.errors import (
    ConflictError,
    DefinitionError,
    EngineError,
    NotFoundError,
    TransientError,
    TriggerError,
    UsageError,
)
from tasks_engine.service.runinput import InvalidFieldError
from tasks_engine.store import LogRangeError
from tasks_engine.store.blobs import BlobDigestMismatch, BlobNotFound, BlobTooLarge

_LOG = logging.getLogger("tasks_engine.api")
RETRY_AFTER = "2"

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          416: "range_not_satisfiable", 422: "invalid_request", 503: "unavailable"}


@dataclass(eq=False)
class ApiError(Exception):
    """An HTTP error answer; routes and the auth layer raise it directly for what is theirs (401, 403)."""

    status: int
    message: str
    code: str = ""
    fields: list[dict[str, str]] | None = None
    problems: list[dict[str, object]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.code = self.code or _CODES.get(self.status, "error")
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.fields is not None:
            error["fields"] = self.fields
        if self.problems is not None:
            error["problems"] = self.problems
        return {"error": error}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def field_error(path: str, message: str) -> ApiError:
    return ApiError(422, f"{path}: {message}", fields=[{"field": path, "message": message}])


def field_path(loc: Sequence[object]) -> str:
    """pydantic's ``("body", "build", "tags", 0)`` -> ``build.tags[0]``; ``("query", "top")`` -> ``top``."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else list(loc)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or str(loc[0] if loc else "body")


def validation_error(exc: RequestValidationError) -> ApiError:
    fields_: list[dict[str, str]] = []
    for item in exc.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "invalid JSON")
            fields_.append({"field": "body", "message": f"invalid JSON: {reason}"})
            continue
        fields_.append({"field": field_path(item.get("loc") or ()), "message": str(item.get("msg", "invalid"))})
    first = fields_[0] if fields_ else {"field": "body", "message": "invalid"}
    more = f" (and {len(fields_) - 1} more)" if len(fields_) > 1 else ""
    return ApiError(422, f"{first['field']}: {first['message']}{more}", fields=fields_)


def api_error_for(exc: BaseException) -> ApiError | None:
    """The table. Order matters: the narrower classes come before the classes they refine."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DefinitionError):
        problems = [p.to_dict() for p in exc.problems]
        return ApiError(422, f"the task is invalid: {len(problems)} problem(s)", code="invalid_task",
                        problems=problems)
    if isinstance(exc, InvalidFieldError):
        return field_error(exc.field, exc.reason)
    if isinstance(exc, BlobTooLarge):
        return ApiError(413, str(exc))
    if isinstance(exc, BlobDigestMismatch):
        return field_error("X-Content-SHA256", str(exc))
    if isinstance(exc, BlobNotFound | NotFoundError):
        return ApiError(404, str(exc))
    if isinstance(exc, ConflictError):
        return ApiError(409, str(exc))
    if isinstance(exc, UsageError):
        return ApiError(400, str(exc))
    if isinstance(exc, TransientError):
        return ApiError(503, f"the service is unavailable, retry shortly: {exc}", headers={"Retry-After": RETRY_AFTER})
    if isinstance(exc, TriggerError):
        return ApiError(exc.status, str(exc))
    if isinstance(exc, LogRangeError):
        return ApiError(416, str(exc), headers={"X-Log-Size": str(exc.size)})
    if isinstance(exc, RequestValidationError):
        return validation_error(exc)
    if isinstance(exc, HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
        return ApiError(exc.status_code, message, headers=dict(exc.headers or {}))
    return None  # PermanentError (a Redis bug or misconfiguration) and everything else: answered 500


def internal_error(exc: BaseException, request: Request | None = None) -> ApiError:
    incident = secrets.token_hex(6)
    where = f"{request.method} {request.url.path}" if request is not None else "request"
    _LOG.error("internal error %s in %s", incident, where, exc_info=exc)
    return ApiError(500, f"internal error (logged as {incident})", code="internal")


async def handle(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for every class in ``HANDLED``."""
    error = api_error_for(exc)
    return (error or internal_error(exc, request)).response()


HANDLED: tuple[type[Exception], ...] = (ApiError, EngineError, LogRangeError, RequestValidationError, HTTPException)
