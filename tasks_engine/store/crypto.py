"""Encryption of secret values at rest: the one home of the ``cryptography`` library.

Why Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) rather than anything hand-rolled: it is
authenticated (a tampered ciphertext fails loudly), versioned, and ``MultiFernet`` rotates keys — the first
key encrypts, every listed key decrypts, so an operator adds a new key in front, and old records still read.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tasks_engine.errors import PermanentError, UsageError


def new_key() -> str:
    """A fresh server key (urlsafe base64 of 32 random bytes), for setup scripts."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts and decrypts JSON documents with the server key(s)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise UsageError("an encryption key is required")
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, UnicodeEncodeError) as exc:
            raise UsageError("invalid encryption key: expected a Fernet key (32 url-safe base64-encoded bytes); "
                             "`tasks-engine service new-key` prints one") from exc

    def __repr__(self) -> str:
        return "SecretBox(***)"

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode("utf-8")).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise PermanentError("a stored secret cannot be decrypted with the configured encryption key(s); "
                                 "was the key changed without keeping the old one?") from exc
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise PermanentError("a stored secret is not a JSON object")
        return data
