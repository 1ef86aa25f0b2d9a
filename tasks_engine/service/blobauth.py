"""Signed blob URLs: how a worker proves to the API that it may fetch an uploaded context.

Why a signature and not an API token: every worker already holds the server key (it decrypts the run's
secrets), so a short-lived HMAC over the digest and an expiry, keyed by a key derived from the server key,
needs no token to provision and cannot be replayed for another blob or after it expires (ACR's SAS URLs
work the same way).
"""

from __future__ import annotations

import hashlib
import hmac
import time

_CONTEXT = b"tasks-engine blob url v1\0"


def _key(server_key: str) -> bytes:
    return hmac.new(server_key.encode("ascii"), _CONTEXT, hashlib.sha256).digest()


def sign_blob(digest: str, server_key: str, *, ttl: float = 300.0, now: float | None = None) -> tuple[int, str]:
    """``(expires, signature)`` for ``GET /v1/blobs/{digest}?expires=..&signature=..``."""
    expires = int((time.time() if now is None else now) + ttl)
    mac = hmac.new(_key(server_key), f"{digest}|{expires}".encode(), hashlib.sha256).hexdigest()
    return expires, mac


def verify_blob(digest: str, expires: int, signature: str, server_keys: list[str], *,
                now: float | None = None) -> bool:
    if expires < (time.time() if now is None else now):
        return False
    message = f"{digest}|{expires}".encode()
    for key in server_keys:
        expected = hmac.new(_key(key), message, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            return True
    return False
