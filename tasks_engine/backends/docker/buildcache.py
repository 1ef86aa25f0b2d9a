"""Bounding the daemon's build cache on a worker: keep it between runs (repeated builds are fast without any
setting), but prune it back to ``buildCacheMaxBytes`` (default 20 GiB), least recently used first.

Why after builds and rate-limited: a worker's disk fills only when it builds, and ``docker builder prune
--keep-storage`` walks the whole cache, so it runs at most once per ``interval`` per process, after a
successful build. What it covers: BuildKit's cache (cache mounts, layers of BuildKit builds). The classic
builder's layers are ordinary images; ``tasks-engine gc`` and Docker's own image pruning deal with those.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tasks_engine.backends.docker.errors import reason

_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_LAST: dict[str, float] = {}


def prune_build_cache(api: Any, *, max_bytes: int | None, interval: float = 600.0,
                      clock: Any = time.monotonic) -> int | None:
    """Prune to ``max_bytes`` unless done less than ``interval`` seconds ago; returns bytes reclaimed."""
    if max_bytes is None:
        return None
    key = str(getattr(api, "base_url", "docker"))
    with _LOCK:
        now = clock()
        if now - _LAST.get(key, float("-inf")) < interval:
            return None
        _LAST[key] = now
    try:
        result = api.prune_builds(keep_storage=max_bytes)
    except Exception as exc:  # never fails a build
        _LOG.warning("pruning the build cache failed: %s", reason(exc))
        return None
    reclaimed = int((result or {}).get("SpaceReclaimed") or 0)
    if reclaimed:
        _LOG.info("pruned %d bytes of build cache (bound %d bytes)", reclaimed, max_bytes)
    return reclaimed
