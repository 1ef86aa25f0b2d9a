"""HTTP(S) fetches that connect only to addresses the egress policy allowed, redirects included.

How: urllib with connection classes whose ``connect`` resolves the host through ``EgressPolicy.check_host``
and connects to one of the checked addresses (TLS still verifies the certificate for the host name). Every
redirect is a new request, so its target is checked the same way before a byte is sent. Environment proxies
are ignored: a proxy would make the checked address the proxy's, not the target's.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.request
from collections.abc import Callable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

from tasks_engine.egress.policy import EgressPolicy, EgressRefused


def _connect(policy: EgressPolicy, host: str, port: int, timeout: float | None) -> socket.socket:
    last: OSError | None = None
    for address in policy.check_host(host, port, what=f"{host}:{port}"):
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
    raise last or OSError(f"cannot connect to {host}:{port}")


def _handlers(policy: EgressPolicy) -> list[urllib.request.BaseHandler]:
    class Checked(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = _connect(policy, self.host, self.port, self.timeout)

    class CheckedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = _connect(policy, self.host, self.port, self.timeout)
            context = getattr(self, "_context", None) or ssl.create_default_context()
            self.sock = context.wrap_socket(sock, server_hostname=self.host)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Checked, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(CheckedTLS, req)

    return [urllib.request.ProxyHandler({}), HTTP(), HTTPS()]


def open_url(
    request: urllib.request.Request | str,
    *,
    policy: EgressPolicy,
    timeout: float,
    extra_handlers: tuple[urllib.request.BaseHandler, ...] = (),
) -> IO[bytes]:
    """``urlopen`` under ``policy``; raises :class:`EgressRefused` before connecting to a refused address."""
    req = request if isinstance(request, urllib.request.Request) else urllib.request.Request(request)  # noqa: S310
    parts = urlsplit(req.full_url)
    if parts.scheme not in ("http", "https"):
        raise EgressRefused(f"fetching {parts.scheme}:// URLs is not allowed: only http and https")
    opener = urllib.request.build_opener(*_handlers(policy), *extra_handlers)
    response: Any = opener.open(req, timeout=timeout)
    return response  # type: ignore[no-any-return]


def fetch_bytes(url: str, *, policy: EgressPolicy, timeout: float, max_bytes: int,
                headers: Mapping[str, str] | None = None) -> bytes:
    """The body of ``url`` (at most ``max_bytes + 1`` bytes are read, so callers can tell "too large")."""
    request = urllib.request.Request(url, headers=dict(headers or {"User-Agent": "tasks-engine"}))  # noqa: S310
    with open_url(request, policy=policy, timeout=timeout) as response:
        return response.read(max_bytes + 1)


def url_fetcher(policy: EgressPolicy, *, timeout: float, max_bytes: int) -> Callable[[str], bytes]:
    """``fetch(url) -> body`` under ``policy``, for callers that must not import this package (templating's
    alias sources). HTTP errors propagate as ``urllib.error.HTTPError`` with their body."""

    def fetch(url: str) -> bytes:
        return fetch_bytes(url, policy=policy, timeout=timeout, max_bytes=max_bytes)

    return fetch
