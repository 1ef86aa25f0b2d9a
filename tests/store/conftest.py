"""fakeredis-backed stores for the pure Redis logic (Lua transitions, indexes, log offsets).

fakeredis runs the store's real Lua scripts (through lupa); behaviour that needs real processes, real time or
a real server restart is tested in tests/integration/service.
"""

from __future__ import annotations

from collections.abc import Callable

import fakeredis
import pytest

from tasks_engine.store import Keys, RedisStore, SecretBox, new_key


@pytest.fixture
def make_store() -> Callable[..., RedisStore]:
    def make(*, log_max_bytes: int = 1 << 20, retention: float = 3600.0, box: bool = True) -> RedisStore:
        client = fakeredis.FakeRedis()
        return RedisStore(client, keys=Keys("t"), box=SecretBox([new_key()]) if box else None,
                          log_max_bytes=log_max_bytes, retention_seconds=retention)

    return make


@pytest.fixture
def store(make_store: Callable[..., RedisStore]) -> RedisStore:
    return make_store()
