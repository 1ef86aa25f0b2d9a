"""Bearer tokens and roles: every ``/v1`` route names the least role it needs.

``reader`` < ``runner`` < ``admin`` (``Role.allows``). No token or one we do not know is ``401`` with a
``WWW-Authenticate: Bearer`` challenge (RFC 6750); a known token without the role is ``403``. Looking a token
up is one Redis ``HGETALL`` by the token's digest (``AccessService.authenticate``), so the hot path of every
request stays one round trip.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import Request

from tasks_engine.api.errors import ApiError
from tasks_engine.api.strict import check_query
from tasks_engine.store import Role, TokenRecord

Authenticate = Callable[[str], TokenRecord | None]
CHALLENGE = 'Bearer realm="tasks-engine"'

_SCHEME = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="A token from `tasks-engine token create` or `POST /v1/tokens`.")
_CREDENTIALS = Security(_SCHEME)


def challenge(error: str | None = None) -> dict[str, str]:
    return {"WWW-Authenticate": CHALLENGE + (f', error="{error}"' if error else "")}


def check_access(token: str | None, needed: Role, authenticate: Authenticate) -> TokenRecord:
    """The caller's token record, or the ``ApiError`` (401/403) to answer."""
    if not token:
        raise ApiError(401, "authentication required: send Authorization: Bearer <token>", headers=challenge())
    record = authenticate(token)
    if record is None:
        raise ApiError(401, "unknown or revoked token", headers=challenge("invalid_token"))
    if not record.role.allows(needed):
        raise ApiError(403, f"this needs the {needed.value} role; token {record.name!r} has {record.role.value}")
    return record


class Auth:
    """Makes the FastAPI dependency for each role, bound to one way of authenticating."""

    def __init__(self, authenticate: Authenticate) -> None:
        self.authenticate = authenticate

    def require(self, needed: Role) -> Callable[..., TokenRecord]:
        authenticate = self.authenticate

        def dependency(request: Request, credentials: HTTPAuthorizationCredentials | None = _CREDENTIALS,
                       ) -> TokenRecord:
            record = check_access(credentials.credentials if credentials else None, needed, authenticate)
            check_query(request)  # after authenticating: a stranger learns nothing about the request
            return record

        dependency.__name__ = f"require_{needed.value}"
        return dependency
