"""Errors about build contexts, and the one function allowed to put a context URL into a message.

Each class also derives from the engine category that tells the caller what to do: a malformed context or a
hostile archive is the user's (``UsageError``), a git or HTTP failure is infrastructure (retry only
``TransientError``). Messages name the URL or path, always through ``mask_url`` so that a token embedded in
``https://user:token@host/…`` (or a signed query string) never reaches a log line.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from tasks_engine.errors import EngineError, PermanentError, TransientError, UsageError

_USERINFO_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@")


def mask_url(url: str) -> str:
    """``https://user:pat@host/p?sig=x`` → ``https://***@host/p?sig=***``; other text is returned as is."""
    masked = _USERINFO_RE.sub(r"\1***@", url)
    if "://" not in masked or "?" not in masked:
        return masked
    try:
        parts: SplitResult = urlsplit(masked)
    except ValueError:
        return masked.split("?", 1)[0] + "?***"
    if not parts.query:
        return masked
    query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit(parts._replace(query=query or "***"))


class ContextError(EngineError):
    """A build context could not be parsed, fetched, unpacked or packed."""

    def __init__(self, message: str, *, location: str = "") -> None:
        self.location = mask_url(location)
        super().__init__(message)


class InvalidContextError(ContextError, UsageError):
    """The context string is malformed or unsupported, or a local path / subfolder does not exist."""


class DockerignoreError(ContextError, UsageError):
    """A ``.dockerignore`` pattern docker would refuse (bad ``[`` class, a lone ``!``)."""


class UnsafeArchiveError(ContextError, UsageError):
    """An archive member would land outside the destination, or the archive exceeds a limit."""

    def __init__(self, message: str, *, member: str = "", location: str = "") -> None:
        self.member = member
        super().__init__(message, location=location)


class GitContextError(ContextError, PermanentError):
    """git could not fetch or check out the requested ref; retrying will not help."""


class GitTransientError(ContextError, TransientError):
    """git failed on the network (timeout, DNS, refused connection); worth retrying."""


class DownloadError(ContextError, PermanentError):
    """A remote tarball could not be downloaded (4xx, not an archive, too large)."""


class DownloadTransientError(ContextError, TransientError):
    """A remote tarball download failed in a way worth retrying (5xx, timeout, connection error)."""


class EgressContextError(ContextError, UsageError):
    """The context's host resolves to an address the engine's egress policy refuses (cloud metadata, ...)."""
