"""Redis connections from one URL, and the translation of Redis errors into the engine's error classes.

Why one translator (httpx's ``map_httpcore_exceptions``): every caller of the store branches on
``TransientError`` (Redis down or restarting: retry, HTTP 503) versus ``PermanentError`` (a bug or a
misconfiguration), never on ``redis.exceptions.*``; this module is the only place that knows those.

Why one URL parser (``parse_redis_url``): Redis is the one point every process shares, and the store and
Celery's broker (``workers/config.py``) must reach the same server the same way. Both read the same
``RedisTarget``, so TLS verification, the CA file and the Sentinel service name can never differ between them
(kombu on its own treats a bare ``rediss://`` as "do not verify"; redis-py verifies).

URLs:

* ``redis://[[user]:password@]host:port/db``
* ``rediss://…`` (TLS; the server certificate is verified against the system CAs unless the query says
  otherwise: ``ssl_cert_reqs=required|optional|none``, ``ssl_ca_certs=/ca.pem``, ``ssl_certfile=/client.pem``,
  ``ssl_keyfile=/client.key``, ``ssl_check_hostname=false``)
* ``unix:///path/redis.sock?db=0``
* ``sentinel://[[user]:password@]host:26379[,host2:26379]/<service>/<db>`` (the client asks the sentinels for
  the current primary of ``<service>`` and follows failovers; ``password`` is the primary's,
  ``?sentinel_password=`` the sentinels' own), ``sentinels://`` the same over TLS to the sentinels and the
  primary, with the ``ssl_*`` options above.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import redis
import redis.asyncio
import redis.exceptions
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from tasks_engine.errors import PermanentError, TransientError

SOCKET_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0
SENTINEL_PORT = 26379
REDIS_PORT = 6379

_CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
_TLS_PATHS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")


@dataclass(frozen=True)
class RedisTarget:
    """What one Redis URL names, parsed once for the store's clients and for Celery's broker."""

    scheme: str  # redis | rediss | unix | sentinel | sentinels
    hosts: tuple[tuple[str, int], ...] = ()  # the server (redis, rediss) or the sentinels
    path: str = ""  # unix socket
    db: int = 0
    username: str | None = None
    password: str | None = None
    service: str = ""  # Sentinel: the monitored primary's name (kombu's ``master_name``)
    sentinel_password: str | None = None
    # TLS options as redis-py's SSLConnection takes them (``ssl_cert_reqs`` as an ``ssl.VerifyMode``); None: plain
    tls: dict[str, Any] | None = None
    options: dict[str, str] = field(default_factory=dict)  # other query parameters (redis-py reads them)

    @property
    def sentinel(self) -> bool:
        return self.scheme in ("sentinel", "sentinels")


def _hosts(netloc: str, default_port: int, url: str) -> tuple[tuple[str, int], ...]:
    hosts: list[tuple[str, int]] = []
    for item in netloc.rpartition("@")[2].split(","):
        if not item:
            continue
        if item.startswith("["):  # [::1]:26379
            host, _, rest = item[1:].partition("]")
            port = rest.lstrip(":")
        else:
            host, sep, port = item.rpartition(":")
            if not sep:
                host, port = item, ""
        if port and not port.isdigit():
            raise PermanentError(f"Redis URL {_masked(url)!r}: {item!r} is not host:port")
        hosts.append((host, int(port) if port else default_port))
    if not hosts:
        raise PermanentError(f"Redis URL {_masked(url)!r} names no host")
    return tuple(hosts)


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url.split("?", 1)[0]
    return url.split("?", 1)[0].replace(f":{parts.password}@", ":***@", 1)


def _tls_options(query: dict[str, str], url: str) -> dict[str, Any]:
    reqs = query.pop("ssl_cert_reqs", "required")
    mode = _CERT_REQS.get(reqs.lower().removeprefix("cert_"))
    if mode is None:
        raise PermanentError(f"Redis URL {_masked(url)!r}: ssl_cert_reqs must be required, optional or none")
    options: dict[str, Any] = {"ssl_cert_reqs": mode}
    for key in _TLS_PATHS:
        if key in query:
            options[key] = query.pop(key)
    check = query.pop("ssl_check_hostname", None)
    # redis-py checks the host name whenever it verifies; say so explicitly so kombu does the same.
    options["ssl_check_hostname"] = (check.lower() not in ("false", "0", "no") if check is not None
                                     else mode == ssl.CERT_REQUIRED)
    return options


def parse_redis_url(url: str) -> RedisTarget:
    """The parts of a ``redis://``, ``rediss://``, ``unix://``, ``sentinel://`` or ``sentinels://`` URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    tls = _tls_options(query, url) if scheme in ("rediss", "sentinels") else None
    if scheme in ("redis", "rediss"):
        path = parts.path.strip("/")
        db = query.pop("db", path or "0")
        if not db.isdigit():
            raise PermanentError(f"Redis URL {_masked(url)!r}: the database must be a number")
        return RedisTarget(scheme, _hosts(parts.netloc, REDIS_PORT, url), db=int(db), username=username,
                           password=password, tls=tls, options=query)
    if scheme == "unix":
        db = query.pop("db", "0")
        if not parts.path or not db.isdigit():
            raise PermanentError(f"Redis URL {_masked(url)!r}: expected unix:///path/redis.sock?db=N")
        return RedisTarget(scheme, path=unquote(parts.path), db=int(db), username=username, password=password,
                           options=query)
    if scheme in ("sentinel", "sentinels"):
        segments = [p for p in parts.path.split("/") if p]
        if not segments:
            raise PermanentError(f"sentinel URL {_masked(url)!r} needs the service name: "
                                 "sentinel://host:26379/<service>/<db>")
        if len(segments) > 1 and not segments[1].isdigit():
            raise PermanentError(f"sentinel URL {_masked(url)!r}: the database must be a number")
        db_number = int(segments[1]) if len(segments) > 1 else 0
        return RedisTarget(scheme, _hosts(parts.netloc, SENTINEL_PORT, url), db=db_number, username=username,
                           password=password, service=unquote(segments[0]),
                           sentinel_password=query.pop("sentinel_password", None), tls=tls, options=query)
    raise PermanentError(f"Redis URL {_masked(url)!r}: expected redis://, rediss://, unix://, sentinel:// "
                         "or sentinels://")


def _auth(target: RedisTarget) -> dict[str, Any]:
    auth: dict[str, Any] = {}
    if target.username:
        auth["username"] = target.username
    if target.password is not None:
        auth["password"] = target.password
    return auth


def _sentinel_kwargs(target: RedisTarget, common: dict[str, Any]) -> dict[str, Any]:
    """How to reach the sentinels themselves: their own password, TLS when ``sentinels://``, our timeouts."""
    kwargs: dict[str, Any] = {k: v for k, v in common.items() if k.startswith("socket_")}
    if target.sentinel_password is not None:
        kwargs["password"] = target.sentinel_password
    if target.tls is not None:
        kwargs.update(ssl=True, **target.tls)
    return kwargs


def _server_kwargs(target: RedisTarget, common: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(common, **_auth(target))
    if target.tls is not None:
        kwargs.update(ssl=True, **target.tls)
    return kwargs


def connect(url: str, *, decode: bool = False) -> redis.Redis:
    """A client for ``url``; ``decode`` returns ``str`` instead of ``bytes`` (logs need bytes)."""
    common: dict[str, Any] = {"decode_responses": decode, "socket_timeout": SOCKET_TIMEOUT,
                              "socket_connect_timeout": CONNECT_TIMEOUT, "health_check_interval": 15,
                              "retry_on_timeout": False}
    target = parse_redis_url(url)
    if target.sentinel:
        sentinel = Sentinel(list(target.hosts), sentinel_kwargs=_sentinel_kwargs(target, common),  # type: ignore[no-untyped-call]
                            **_server_kwargs(target, common))
        client: redis.Redis = sentinel.master_for(target.service, db=target.db)  # type: ignore[no-untyped-call]
        return client
    # redis-py reads the rest from the URL itself; the TLS defaults are made explicit (the URL's own win).
    return redis.Redis.from_url(url, **common, **(target.tls or {}))


def connect_async(url: str) -> redis.asyncio.Redis:
    """The asyncio client the API uses to follow logs without holding a thread per follower."""
    common: dict[str, Any] = {"decode_responses": False, "socket_timeout": SOCKET_TIMEOUT,
                              "socket_connect_timeout": CONNECT_TIMEOUT}
    target = parse_redis_url(url)
    if target.sentinel:
        sentinel = AsyncSentinel(list(target.hosts), sentinel_kwargs=_sentinel_kwargs(target, common),  # type: ignore[no-untyped-call]
                                 **_server_kwargs(target, common))
        client: redis.asyncio.Redis = sentinel.master_for(target.service, db=target.db)
        return client
    return redis.asyncio.Redis.from_url(url, **common, **(target.tls or {}))


def translate(exc: Exception) -> Exception:
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | OSError):
        return TransientError(f"Redis is not reachable: {exc}")
    if isinstance(exc, redis.exceptions.BusyLoadingError | redis.exceptions.TryAgainError):
        return TransientError(f"Redis is busy: {exc}")
    if isinstance(exc, redis.exceptions.ReadOnlyError):
        return TransientError(f"Redis is read-only (a replica, or a failover in progress): {exc}")
    if isinstance(exc, redis.exceptions.ResponseError) and str(exc).startswith("NOREPLICAS"):
        # min-replicas-to-write refuses writes on a primary cut off from its replicas (or just demoted).
        return TransientError(f"Redis refuses writes without a replica (a failover in progress?): {exc}")
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
