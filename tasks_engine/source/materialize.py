"""Turn a context spec into a folder on disk: copy a local folder, clone git, or download + unpack a tarball.

The destination is owned by this call: it must be absent or empty, and it is removed again when fetching
fails, so a retried run starts clean. The caller's own folder is only ever read.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import stat
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy, EgressRefused, open_url
from tasks_engine.source.errors import (
    DownloadError,
    DownloadTransientError,
    EgressContextError,
    InvalidContextError,
    mask_url,
)
from tasks_engine.source.extract import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS, safe_extract
from tasks_engine.source.git import GitAuth, fetch_git, git_head_revision, resolve_in_scope
from tasks_engine.source.pack import iter_context_paths
from tasks_engine.source.spec import ContextKind, ContextSpec, parse_context

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ContextInfo:
    """Where the build context is (``path``, a subfolder of the destination for ``#ref:folder``), and the
    commit and branch it came from ("" when unknown, as ACR reports them)."""

    path: Path
    commit: str
    branch: str
    root: Path | None = None


def materialize_context(
    spec: ContextSpec | str | None,
    dest: Path,
    *,
    git_auth: GitAuth | None = None,
    timeout: float = 900.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    sleep: Callable[[float], None] = time.sleep,
    dockerfile: str | None = None,
    egress: EgressPolicy = DEFAULT_POLICY,
) -> ContextInfo:
    """Fill the empty folder ``dest`` with the context. ``dockerfile`` picks ``<Dockerfile>.dockerignore`` and
    keeps that Dockerfile even when an ignore rule matches it, as docker does. Git and tarball fetches go
    through ``egress`` (the engine's policy: no cloud metadata, and whatever the operator denied)."""
    parsed = spec if isinstance(spec, ContextSpec) else parse_context(spec)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidContextError(f"destination {str(dest)!r} must be an empty folder", location=str(dest))
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        return _materialize(parsed, dest, git_auth, timeout, max_bytes, max_members, sleep, dockerfile, egress)
    except BaseException:
        _empty_folder(dest, remove=created)
        raise


def _materialize(
    spec: ContextSpec,
    dest: Path,
    git_auth: GitAuth | None,
    timeout: float,
    max_bytes: int,
    max_members: int,
    sleep: Callable[[float], None],
    dockerfile: str | None,
    egress: EgressPolicy,
) -> ContextInfo:
    if spec.kind is ContextKind.EMPTY:
        return ContextInfo(dest, "", "", dest)
    if spec.kind is ContextKind.LOCAL:
        copy_local_folder(Path(spec.location), dest, dockerfile=dockerfile)
        # The copy leaves .git out (as ACR's upload does), so the revision comes from the original folder.
        return ContextInfo(dest, git_head_revision(Path(spec.location)), "", dest)
    if spec.kind is ContextKind.GIT:
        remote = spec.location
        if "://" not in remote and not remote.startswith("git@"):
            remote = Path(remote).resolve().as_uri()
        checkout = fetch_git(remote, dest, ref=spec.ref, auth=git_auth, timeout=timeout, egress=egress)
        path = resolve_in_scope(dest, spec.subdir) if spec.subdir else dest
        return ContextInfo(path, checkout.commit, checkout.branch, dest)
    download_tarball(spec.location, dest, timeout=timeout, max_bytes=max_bytes, max_members=max_members, sleep=sleep,
                     egress=egress)
    return ContextInfo(dest, "", "", dest)


def _empty_folder(dest: Path, *, remove: bool) -> None:
    if remove:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def copy_local_folder(source: Path, dest: Path, *, dockerfile: str | None = None) -> None:
    """Copy what ``az acr run``/``az acr build`` would upload from ``source`` into ``dest``.

    The same selection as ``pack_context``: ``.dockerignore`` (or ``<Dockerfile>.dockerignore``) honoured and
    ACR's top-level VCS folders (``.git``, ``.hg``, ...) left out, so files a user keeps out of builds — an
    ``.env`` with secrets, say — never reach the steps either. Regular files keep their modes, symlinks are
    copied as links (never followed), sockets/FIFOs/devices are skipped (reading a FIFO would block).
    """
    if not source.is_dir():
        raise InvalidContextError(f"local context {str(source)!r} is not a directory", location=str(source))
    src_real = Path(os.path.realpath(source))
    dest_real = Path(os.path.realpath(dest))
    if dest_real == src_real or src_real in dest_real.parents:
        raise InvalidContextError(
            f"destination {str(dest)!r} is inside the context {str(source)!r}", location=str(source)
        )
    for rel in iter_context_paths(src_real, dockerfile=dockerfile):
        src = src_real / rel
        dst = dest_real / rel
        # A path re-included under an excluded folder (``!dir/keep``) arrives without its parent.
        dst.parent.mkdir(parents=True, exist_ok=True)
        st = os.lstat(src)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(src), dst)
        elif stat.S_ISDIR(st.st_mode):
            dst.mkdir(exist_ok=True)
            shutil.copystat(src, dst, follow_symlinks=False)
        elif stat.S_ISREG(st.st_mode):
            shutil.copy2(src, dst, follow_symlinks=False)


class _SameOriginAuthRedirects(urllib.request.HTTPRedirectHandler):
    """urllib copies every header, ``Authorization`` included, onto a redirected request: a context URL
    ``https://user:token@host/x.tgz`` answering with a redirect to another host (or to plain http) would hand
    the token to that host. As curl and requests do, the credentials follow only to the same origin."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(req.full_url, code, f"redirect to a non-http(s) URL refused ({msg})",
                                         headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _auth_request(url: str) -> urllib.request.Request:
    parts = urlsplit(url)
    headers = {"User-Agent": "tasks-engine"}
    if "@" in parts.netloc:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
        url = urlunsplit(parts._replace(netloc=hostport))
    return urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked by parse_context


def download_tarball(
    url: str,
    dest: Path,
    *,
    timeout: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    egress: EgressPolicy = DEFAULT_POLICY,
) -> None:
    """Download ``url`` (5xx and network errors retried with backoff, 4xx not) and unpack it safely; the
    address and every redirect's are checked by ``egress`` before anything is sent."""
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise InvalidContextError(f"invalid URL {shown}: {exc}", location=url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidContextError(f"not an http(s) URL: {shown}", location=url)
    with tempfile.TemporaryFile() as buffer:
        for attempt in range(retries):
            try:
                _fetch_to(url, buffer, timeout=timeout, max_bytes=max_bytes, egress=egress)
                break
            except DownloadTransientError:
                if attempt == retries - 1:
                    raise
                sleep(min(2.0**attempt, 10.0))
        buffer.seek(0)
        safe_extract(buffer, dest, max_bytes=max_bytes, max_members=max_members, location=shown)


def _fetch_to(url: str, out: IO[bytes], *, timeout: float, max_bytes: int, egress: EgressPolicy) -> None:
    shown = mask_url(url)
    out.seek(0)
    out.truncate()
    try:
        redirects = (_SameOriginAuthRedirects(),)
        with open_url(_auth_request(url), policy=egress, timeout=timeout, extra_handlers=redirects) as response:
            size = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"download of {shown} exceeds {max_bytes} bytes", location=url)
                out.write(chunk)
    except EgressRefused as exc:
        raise EgressContextError(f"tarball context {shown}: {exc}", location=url) from None
    except urllib.error.HTTPError as exc:
        cls = DownloadTransientError if exc.code >= 500 else DownloadError
        raise cls(f"failed to GET {shown} with status {exc.code} {exc.reason}", location=url) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadTransientError(f"failed to GET {shown}: {reason}", location=url) from None
    except (ValueError, http.client.HTTPException) as exc:
        # http.client.InvalidURL and friends: the URL itself is unusable, so retrying cannot help.
        raise DownloadError(f"failed to GET {shown}: {type(exc).__name__}", location=url) from None
