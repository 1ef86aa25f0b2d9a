"""Classify a build-context string the way ACR/acr-builder does (spec §6.2, §6.4): empty, local, git, tarball.

Classification (acr-builder ``util/url.go`` + docker's ``urlutil``, then moby's ``parseRemoteURL``):

* ``None`` or ``/dev/null`` → no context;
* git: ``git@host:u/r.git``, ``git://``, ``ssh://``, ``http(s)://…`` whose path ends in ``.git`` (optionally
  ``#fragment``), Azure DevOps/VSTS ``…/_git/…`` URLs, ``github.com/…`` (docker adds ``https://``),
  ``file://…`` URLs and local paths ending in ``.git`` (bare repositories, used by tests and mirrors);
* any other ``http(s)://`` URL → remote tarball (format detected when unpacking), as ACR does;
* ``oci://`` → not supported yet (UsageError); other ``scheme://`` → unsupported;
* anything else → a local folder.

The git fragment is ``#ref:subfolder``: both parts optional. Deviation: with no ref ACR fetches ``master``;
we fetch the remote's default branch (``HEAD``), which is what ``git clone`` does and what users expect now
that most default branches are ``main``. A subfolder may not leave the repository (``..`` is refused here,
a leading ``/`` means the repository root; symlinks are resolved inside the checkout later).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit, urlunsplit

from tasks_engine.source.errors import InvalidContextError, mask_url

_GIT_SUFFIX_RE = re.compile(r"\.git(?:#.+)?$")
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_GIT_SCHEMES = frozenset({"git", "ssh", "git+ssh", "ssh+git", "file"})


class ContextKind(StrEnum):
    EMPTY = "empty"
    LOCAL = "local"
    GIT = "git"
    TARBALL = "tarball"


@dataclass(frozen=True)
class ContextSpec:
    """A parsed context; ``location`` is the path, the git remote (no fragment) or the tarball URL."""

    kind: ContextKind
    location: str
    raw: str
    ref: str | None = None
    subdir: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The context for messages and logs: credentials masked."""
        return mask_url(self.raw)

    def __repr__(self) -> str:
        """Credentials masked: a repr ends up in tracebacks and debug logs."""
        return (
            f"ContextSpec(kind={self.kind!r}, location={mask_url(self.location)!r}, raw={mask_url(self.raw)!r}, "
            f"ref={self.ref!r}, subdir={self.subdir!r}, warnings={self.warnings!r})"
        )


def parse_context(spec: str | None) -> ContextSpec:
    if spec is None:
        return ContextSpec(ContextKind.EMPTY, "", "")
    raw = spec
    text = spec.strip()
    if text == "/dev/null":
        return ContextSpec(ContextKind.EMPTY, "", raw)
    if not text:
        raise InvalidContextError("the build context is empty; use '.' or /dev/null", location=raw)
    lower = text.lower()
    if lower.startswith("oci://"):
        raise InvalidContextError(f"OCI artifact contexts are not supported yet: {mask_url(text)}", location=text)
    if text.startswith("git@"):
        remote, _, fragment = text.partition("#")
        return _git(raw, remote, fragment)
    if lower.startswith("github.com/"):
        return _git_url(raw, "https://" + text)  # docker's urlutil: "github.com/" is a git prefix
    scheme_match = _SCHEME_RE.match(text)
    if scheme_match is None:
        if _GIT_SUFFIX_RE.search(text):
            remote, _, fragment = text.partition("#")
            return _git(raw, remote, fragment)
        return ContextSpec(ContextKind.LOCAL, text, raw)
    scheme = scheme_match.group(1).lower()
    if scheme in _GIT_SCHEMES:
        return _git_url(raw, text)
    if scheme in ("http", "https"):
        if _is_git_http(text):
            return _git_url(raw, text)
        warnings: tuple[str, ...] = ()
        if "github" in lower:
            warnings = (
                f"WARNING: {mask_url(text)} might not be valid context. Valid Git repositories should end with .git.",
            )
        return ContextSpec(ContextKind.TARBALL, text, raw, warnings=warnings)
    raise InvalidContextError(f"unsupported context URL scheme {scheme!r}: {mask_url(text)}", location=text)


def _is_git_http(url: str) -> bool:
    if _GIT_SUFFIX_RE.search(url):
        return True
    try:
        parts = urlsplit(url.lower())
    except ValueError:
        return False
    host = parts.hostname or ""
    is_devops = "dev.azure.com" in host or host.endswith(".visualstudio.com")
    return is_devops and "/_git/" in parts.path and not parts.query


def _git_url(raw: str, url: str) -> ContextSpec:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidContextError(f"malformed git URL {mask_url(url)}: {exc}", location=url) from exc
    remote = urlunsplit(parts._replace(fragment=""))
    return _git(raw, remote, parts.fragment)


def _git(raw: str, remote: str, fragment: str) -> ContextSpec:
    ref_part, _, dir_part = fragment.partition(":")
    ref = ref_part.strip() or None
    subdir = _clean_subdir(unquote(dir_part), raw) if dir_part else None
    if ref is not None and (ref.startswith("-") or any(c.isspace() or c in "~^:?*[\\" for c in ref)):
        raise InvalidContextError(f"invalid git ref {ref!r} in {mask_url(raw)}", location=raw)
    if not remote:
        raise InvalidContextError(f"git context without a repository: {mask_url(raw)}", location=raw)
    return ContextSpec(ContextKind.GIT, remote, raw, ref=ref, subdir=subdir)


def _clean_subdir(subdir: str, raw: str) -> str | None:
    # A leading "/" means the repository root, as filepath.Join(root, subdir) does in moby.
    cleaned = posixpath.normpath(subdir.replace("\\", "/").lstrip("/") or ".")
    if cleaned == ".." or cleaned.startswith("../"):
        raise InvalidContextError(
            f"git context subfolder {subdir!r} is not within the repository: {mask_url(raw)}", location=raw
        )
    return None if cleaned == "." else cleaned
