"""Repository URLs: one canonical key per repository, however the user or the forge spells it.

A task's context says ``git@github.com:Org/Repo.git#main:app``; GitHub's push says
``https://github.com/Org/Repo.git`` (``clone_url``), ``git@github.com:Org/Repo.git`` (``ssh_url``) and
``https://github.com/Org/Repo`` (``html_url``). Matching a delivery to its tasks needs all of them to compare
equal, so :func:`normalize_repository_url` maps every spelling to ``https://host[:port]/path``:

* schemes ``https``, ``http``, ``ssh``, ``git``, ``git+ssh``/``ssh+git``, scp-like ``[user@]host:path`` and
  ``host/path`` with a dotted host (docker's ``github.com/…`` shorthand, which ``source.spec`` accepts too);
* the host is lower-cased (and a trailing dot dropped); credentials (``user:token@``) are removed;
* ports: a default port (80, 443) is dropped; an http(s) port that is not the default is kept; an ssh or git
  port is always dropped, because one server usually serves ssh and https on different ports (GitLab on
  ``:2222`` and ``:443``) and the repository is the same — host and path identify it, not the transport;
* the ``#ref:folder`` fragment and a query are removed, repeated ``/`` collapsed, a trailing ``/`` and one
  ``.git`` suffix removed;
* on hosts whose paths are case-insensitive (github.com, gitlab.com, bitbucket.org) the path is lower-cased.
  Elsewhere the path keeps its case: a self-hosted server may well be case-sensitive.

The result is a *key*, not something to clone from (an ssh-only server has no https); keep the URL as given
for cloning. ``file://`` and local paths are refused: the service never clones host paths.

:func:`split_context` splits ``url#ref:folder`` the way ``tasks_engine.source.spec.parse_context`` does
(that package imports GitPython on import, which this pure package must not; a test keeps the two equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tasks_engine.triggers.errors import InvalidRepositoryUrlError

__all__ = ["ContextParts", "mask_credentials", "normalize_repository_url", "split_context"]

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_SCP_RE = re.compile(r"^(?:(?P<user>[^@/\s]+)@)?(?P<host>\[[0-9a-fA-F:.]+\]|[^:/\s\[\]]+):(?P<path>.*)$")
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
_IPV6_RE = re.compile(r"^\[[0-9a-f:.]+\]$")
_DOTTED_HOST_RE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\.?$")
_USERINFO_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@")
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git", "git"})
_HTTP_DEFAULT_PORTS = {"http": 80, "https": 443}
_CASE_INSENSITIVE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org"})
_HOST_ALIASES = {"www.github.com": "github.com", "www.gitlab.com": "gitlab.com", "www.bitbucket.org": "bitbucket.org"}


def mask_credentials(url: str) -> str:
    """``https://user:token@host/p`` → ``https://***@host/p``: the only spelling that may reach a message."""
    return _USERINFO_RE.sub(r"\1***@", url)


def _fail(url: str, message: str) -> InvalidRepositoryUrlError:
    return InvalidRepositoryUrlError(mask_credentials(url), f"{message}: {mask_credentials(url)!r}")


@dataclass(frozen=True)
class _Parts:
    host: str
    port: int | None
    path: str


def _split(url: str, text: str) -> _Parts:
    scheme_match = _SCHEME_RE.match(text)
    if scheme_match is not None:
        scheme = scheme_match.group(1).lower()
        if scheme == "file":
            raise _fail(url, "local repositories (file://) cannot be triggered; use the forge's URL")
        if scheme not in _SSH_SCHEMES and scheme not in _HTTP_DEFAULT_PORTS:
            raise _fail(url, f"unsupported URL scheme {scheme!r} (use https, http, ssh or git)")
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise _fail(url, f"malformed URL ({exc})") from exc
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if scheme in _SSH_SCHEMES or port == _HTTP_DEFAULT_PORTS.get(scheme):
            port = None
        return _Parts(host, port, parts.path)
    scp = _SCP_RE.match(text)
    if scp is not None and not scp.group("path").startswith("//"):
        return _Parts(scp.group("host"), None, scp.group("path").partition("?")[0])
    host, slash, path = text.partition("/")
    if slash and (_DOTTED_HOST_RE.fullmatch(host) or host.lower() == "localhost"):
        return _Parts(host, None, path.partition("?")[0])
    raise _fail(url, "not a remote git repository URL (expected https://host/org/repo or git@host:org/repo)")


def _clean_host(url: str, host: str) -> str:
    host = host.lower().rstrip(".")
    host = _HOST_ALIASES.get(host, host)
    if not host:
        raise _fail(url, "the URL has no host")
    if not (_HOST_RE.fullmatch(host) or _IPV6_RE.fullmatch(host)):
        raise _fail(url, f"invalid host {host!r}")
    return host


def _clean_path(url: str, path: str, host: str) -> str:
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1].lower().endswith(".git"):
        segments[-1] = segments[-1][: -len(".git")]
        if not segments[-1]:
            segments.pop()
    if not segments:
        raise _fail(url, "the URL names no repository path")
    for segment in segments:
        if segment in (".", ".."):
            raise _fail(url, "the repository path may not contain '.' or '..' segments")
        if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in segment):
            raise _fail(url, "the repository path contains whitespace, a backslash or control characters")
    cleaned = "/".join(segments)
    return cleaned.lower() if host in _CASE_INSENSITIVE_HOSTS else cleaned


def normalize_repository_url(url: str) -> str:
    """Canonical ``https://host[:port]/path`` key of a repository URL; raises ``InvalidRepositoryUrlError``.

    Idempotent: a canonical key normalises to itself.
    """
    if not isinstance(url, str):
        raise InvalidRepositoryUrlError(repr(url), f"a repository URL must be a string, not {type(url).__name__}")
    text = url.strip()
    if not text:
        raise _fail(url, "the repository URL is empty")
    if any(c.isspace() for c in text):
        raise _fail(url, "a repository URL may not contain whitespace")
    text = text.partition("#")[0]
    parts = _split(url, text)
    host = _clean_host(url, parts.host)
    path = _clean_path(url, parts.path, host)
    port = f":{parts.port}" if parts.port is not None else ""
    return f"https://{host}{port}/{path}"


@dataclass(frozen=True)
class ContextParts:
    """A git context ``url#ref:folder`` split: ``ref``/``folder`` are None when absent."""

    url: str
    ref: str | None
    folder: str | None


def split_context(context: str) -> ContextParts:
    """Split the ``#ref:folder`` fragment off a git context exactly as ``source.spec`` reads it."""
    text = context.strip()
    if _SCHEME_RE.match(text):
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise _fail(context, f"malformed URL ({exc})") from exc
        fragment = parts.fragment
        remote = parts._replace(fragment="").geturl()
    else:
        remote, _, fragment = text.partition("#")
    ref_part, _, folder = fragment.partition(":")
    return ContextParts(remote, ref_part.strip() or None, folder or None)
