"""Unknown query parameters are refused (422 naming them), as unknown body fields are.

Why: ``GET /v1/runs?stauts=Failed`` would otherwise list every run, and the client would never learn its
filter was ignored. The allowed names are each route's declared query parameters, read once per route from
FastAPI's own dependency tree.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator
from starlette.requests import Request

from tasks_engine.api.errors import field_error

_ALLOWED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query_only(request: Request) -> None:
    """The dependency for routes without a token (probes, blobs); ``Auth`` checks after authenticating."""
    check_query(request)


def check_query(request: Request) -> None:
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _ALLOWED.get(id(route))
    if allowed is None:
        allowed = _ALLOWED[id(route)] = frozenset(_query_names(dependant))
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise field_error(unknown[0], f"unknown query parameter (this route takes: {expected})")


_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)


def _canonical_int(value: object) -> object:
    """Query integers as written by people and clients: digits only. pydantic would also take ``" 1"``,
    ``"+1"``, ``"1_0"`` and ``"1.0"``, which the OpenAPI document (``type: integer``) does not allow."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("expected a whole number written with digits only")
    return value


QueryInt = Annotated[int, BeforeValidator(_canonical_int)]
"""An ``int`` query parameter that accepts only canonical digits (use inside ``Annotated[QueryInt, Query()]``)."""
