"""Web console sessions: a random session id in the browser's cookie, everything else here, in Redis.

Why server-side rather than a signed cookie: logging out (or an admin deleting the session) ends it at once,
and the browser never holds the API token nor its digest, only a random id that means nothing elsewhere.
The key is the SHA-256 of that id, so a copy of Redis does not give live cookies away. A session holds the
digest of the token it was opened with: every request looks the token up again by that digest, so revoking
the token (``DELETE /v1/tokens/{name}``) ends its sessions too, and a changed role applies at once.

Kept minimal on purpose: one hash per session with a TTL (Redis expires it), no index of sessions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tasks_engine.store.base import StoreBase, text
from tasks_engine.store.connect import redis_errors
from tasks_engine.store.records import Role, TokenRecord


def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsoleSession:
    token_digest: str
    csrf: str
    expires: int  # seconds since the epoch


class SessionStore:
    """Sessions over a store's client and key layout (a separate object, so ``RedisStore`` stays as it is)."""

    def __init__(self, store: StoreBase) -> None:
        self.client = store.client
        self.keys = store.keys

    def save(self, session_id: str, session: ConsoleSession, *, ttl: int) -> None:
        key = self.keys.session(session_digest(session_id))
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(key, mapping={"token": session.token_digest, "csrf": session.csrf,
                                    "expires": str(session.expires)})
            pipe.expire(key, max(1, ttl))
            pipe.execute()

    def get(self, session_id: str) -> ConsoleSession | None:
        with redis_errors():
            data = self.client.hgetall(self.keys.session(session_digest(session_id)))
        get = {text(k): text(v) for k, v in (data or {}).items()}
        if not get.get("token") or not get.get("csrf") or not get.get("expires", "").isdigit():
            return None
        return ConsoleSession(get["token"], get["csrf"], int(get["expires"]))

    def delete(self, session_id: str) -> None:
        with redis_errors():
            self.client.delete(self.keys.session(session_digest(session_id)))

    def token_by_digest(self, digest: str) -> TokenRecord | None:
        """The token a session was opened with, if it still exists (the catalog looks tokens up by clear
        text; a session only knows the digest)."""
        with redis_errors():
            data = self.client.hgetall(self.keys.token(digest))
        get = {text(k): text(v) for k, v in (data or {}).items()}
        if get.get("role") not in {r.value for r in Role}:
            return None
        return TokenRecord(name=get.get("name", ""), role=Role(get["role"]), created=get.get("created", ""),
                           last_used=get.get("lastUsed") or None)
