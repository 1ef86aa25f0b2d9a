"""The Redis store's shared core: one client, the key layout, the scripts, the secret box.

Split into mixins by subject (``runs``, ``logs``, ``catalog``, ``metrics``, ``broker``) so each module stays
small; ``RedisStore`` in ``__init__`` puts them together. Every public method translates Redis errors
(``connect.redis_errors``), so callers only ever see ``TransientError``/``PermanentError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import redis
from redis.commands.core import Script

from tasks_engine.store.connect import redis_errors
from tasks_engine.store.crypto import SecretBox
from tasks_engine.store.keys import Keys
from tasks_engine.store.scripts import ALL


def iso_ms(ms: object) -> str | None:
    """Milliseconds since the epoch (as Redis stores them) -> ``2026-12-01T20:00:00.123Z``."""
    if ms in (None, "", b"", 0, "0", b"0"):
        return None
    value = int(ms.decode() if isinstance(ms, bytes) else str(ms))
    seconds, millis = divmod(value, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def text(value: object) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def loads(value: object, default: Any) -> Any:
    raw = text(value)
    if not raw:
        return default
    return json.loads(raw)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class StoreBase:
    def __init__(self, client: redis.Redis, *, keys: Keys, box: SecretBox | None,
                 log_max_bytes: int = 100 << 20, retention_seconds: float = 30 * 86400.0) -> None:
        # redis-py's annotations cover every decode mode at once; the store always reads bytes, so it types
        # the client loosely rather than casting at each call.
        self.client: Any = client
        self.keys = keys
        self.box = box
        self.log_max_bytes = log_max_bytes
        self.retention_ms = int(retention_seconds * 1000)
        self._scripts: dict[str, Script] = {name: client.register_script(body) for name, body in ALL.items()}

    def _run_script(self, name: str, args: Sequence[object]) -> Any:
        with redis_errors():
            return self._scripts[name](keys=[], args=[self.keys.prefix, *args])  # type: ignore[list-item]

    def _sealed(self, data: dict[str, Any]) -> str:
        if self.box is None:
            if any(data.values()):
                from tasks_engine.errors import UsageError

                raise UsageError("this process has no encryption key, so it cannot store secret values")
            return ""
        return self.box.seal(data)

    def _unsealed(self, token: object) -> dict[str, Any]:
        raw = text(token)
        if not raw:
            return {}
        if self.box is None:
            from tasks_engine.errors import UsageError

            raise UsageError("this process has no encryption key, so it cannot read secret values")
        return self.box.open(raw)

    def ping(self) -> bool:
        with redis_errors():
            return bool(self.client.ping())

    def server_time_ms(self) -> int:
        with redis_errors():
            seconds, micros = self.client.time()
        return int(seconds) * 1000 + int(micros) // 1000
