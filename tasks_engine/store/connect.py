"""Redis connections from one URL, and the translation of Redis errors into the engine's error classes.

Why one translator (httpx's ``map_httpcore_exceptions``): every caller of the store branches on
``TransientError`` (Redis down or restarting: retry, HTTP 503) versus ``PermanentError`` (a bug or a
misconfiguration), never on ``redis.exceptions.*``; this module is the only place that knows those.

URLs: ``redis://[:password@]host:port/db``, ``rediss://`` (TLS; ``?ssl_cert_reqs=required`` and friends as
redis-py reads them), ``unix:///path/redis.sock?db=0``, and ``sentinel://host:26379[,host2:26379]/<service>/<db>``
(Sentinel: the client asks the sentinels for the current primary of ``<service>`` and follows failovers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.asyncio
import redis.exceptions
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from tasks_engine.errors import PermanentError, TransientError

SOCKET_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0


def _sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str, int, dict[str, Any]]:
    parts = urlsplit(url)
    hosts: list[tuple[str, int]] = []
    for item in (parts.netloc.rpartition("@")[2]).split(","):
        host, _, port = item.rpartition(":")
        hosts.append((host or item, int(port) if port.isdigit() else 26379))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise PermanentError(f"sentinel URL {url!r} needs the service name: sentinel://host:26379/<service>/<db>")
    service = path[0]
    db = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
    options: dict[str, Any] = {}
    if parts.password:
        options["password"] = unquote(parts.password)
    query = parse_qs(parts.query)
    if "sentinel_password" in query:
        options["sentinel_kwargs"] = {"password": query["sentinel_password"][0]}
    return hosts, service, db, options


def connect(url: str, *, decode: bool = False) -> redis.Redis:
    """A client for ``url``; ``decode`` returns ``str`` instead of ``bytes`` (logs need bytes)."""
    common: dict[str, Any] = {"decode_responses": decode, "socket_timeout": SOCKET_TIMEOUT,
                              "socket_connect_timeout": CONNECT_TIMEOUT, "health_check_interval": 15,
                              "retry_on_timeout": False}
    if url.startswith(("sentinel://", "sentinels://")):
        hosts, service, db, options = _sentinel_parts(url)
        sentinel_kwargs = options.pop("sentinel_kwargs", {})
        if url.startswith("sentinels://"):
            common["ssl"] = True
            sentinel_kwargs["ssl"] = True
        sentinel = Sentinel(hosts, sentinel_kwargs=sentinel_kwargs, **common)  # type: ignore[no-untyped-call]
        client: redis.Redis = sentinel.master_for(service, db=db, **options, **common)  # type: ignore[no-untyped-call]
        return client
    return redis.Redis.from_url(url, **common)


def connect_async(url: str) -> redis.asyncio.Redis:
    """The asyncio client the API uses to follow logs without holding a thread per follower."""
    common: dict[str, Any] = {"decode_responses": False, "socket_timeout": SOCKET_TIMEOUT,
                              "socket_connect_timeout": CONNECT_TIMEOUT}
    if url.startswith(("sentinel://", "sentinels://")):
        hosts, service, db, options = _sentinel_parts(url)
        sentinel_kwargs = options.pop("sentinel_kwargs", {})
        sentinel = AsyncSentinel(hosts, sentinel_kwargs=sentinel_kwargs, **common)  # type: ignore[no-untyped-call]
        client: redis.asyncio.Redis = sentinel.master_for(service, db=db, **options, **common)
        return client
    return redis.asyncio.Redis.from_url(url, **common)


def translate(exc: Exception) -> Exception:
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | OSError):
        return TransientError(f"Redis is not reachable: {exc}")
    if isinstance(exc, redis.exceptions.BusyLoadingError | redis.exceptions.TryAgainError):
        return TransientError(f"Redis is busy: {exc}")
    if isinstance(exc, redis.exceptions.ReadOnlyError):
        return TransientError(f"Redis is read-only (a replica, or a failover in progress): {exc}")
    if isinstance(exc, redis.exceptions.ResponseError) and "NOSCRIPT" in str(exc):
        return TransientError(f"Redis lost its scripts (restart): {exc}")
    return PermanentError(f"Redis error: {exc}")


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.exceptions.RedisError as exc:
        raise translate(exc) from exc
    except OSError as exc:
        raise translate(exc) from exc


def is_redis_error(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.RedisError)
