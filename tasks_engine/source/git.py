"""Fetch a git context with GitPython, as acr-builder/moby do (``scan/git.go``, spec §6.2), minus their leaks.

Steps: ``git init`` → ``remote add origin`` → resolve the ref with ``ls-remote`` → shallow fetch
(``--depth 1``) of that branch/tag/commit, falling back to a full fetch when the server refuses (dumb HTTP
servers, a commit sha that is not a ref tip) → checkout → ``submodule update --init --recursive`` (shallow
first, full on failure) → ``git lfs pull`` when git-lfs is installed and the tree uses it.

Credentials never touch argv, the clone's ``.git/config`` or a message: they are removed from the URL and
handed to git as an ``http.<scheme://host/>.extraHeader`` through ``GIT_CONFIG_*`` environment variables
(git ≥ 2.31), scoped to the repository's host so a submodule elsewhere does not receive them. ACR instead
leaves them in the remote URL. ``GIT_TERMINAL_PROMPT=0`` makes a missing credential fail instead of hanging.

Submodules over ``file://`` are allowed only when the context itself is local (``file://`` or a path): a
hostile repository must not be able to pull files from the worker's disk into a build.

Egress: the repository's host, and every submodule's, is resolved and checked by the engine's egress policy
before git runs; for http(s) git is then pinned to the checked addresses (``http.curloptResolve``) and does not
follow redirects (``http.followRedirects=false``), so neither a changed DNS answer nor a redirect can reach
a refused address. ssh and git:// hosts are checked before the fetch but cannot be pinned.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import git

from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy, EgressRefused
from tasks_engine.source.errors import (
    EgressContextError,
    GitContextError,
    GitTransientError,
    InvalidContextError,
    mask_url,
)

_SHA_RE = re.compile(r"^[0-9a-fA-F]{4,40}$")
_TRANSIENT_HINTS = (
    "could not resolve host",
    "timed out",
    "connection refused",
    "connection reset",
    "temporary failure",
    "the remote end hung up unexpectedly",
    "did not complete in",
    "early eof",
)
# Gateway errors as git/curl report them ("HTTP 503", "returned error: 502"); a bare "503" would also match
# commit ids and temporary paths (an abbreviated sha "a163e8503c" made a missing ref look transient).
_TRANSIENT_HTTP_RE = re.compile(r"(?:\bhttp |returned error: )50[234]\b")


@dataclass(frozen=True)
class GitAuth:
    """HTTP(S) credentials for the repository host; ``username`` defaults to a dummy as ACR does for PATs."""

    password: str
    username: str = "dummy"

    def __repr__(self) -> str:
        return f"GitAuth(username={self.username!r}, password='***')"


@dataclass(frozen=True)
class GitCheckout:
    root: Path
    commit: str
    branch: str


def split_credentials(url: str) -> tuple[str, GitAuth | None]:
    """Remove ``user:password@`` from an http(s) URL; a lone ``PAT@`` becomes ``dummy:PAT`` (ACR)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    auth = GitAuth(unquote(password), unquote(user) or "dummy") if sep else GitAuth(unquote(user))
    return urlunsplit(parts._replace(netloc=hostport)), auth


class _Runner:
    """Runs git commands in one repository with a shared deadline and a scrubbed environment."""

    def __init__(self, root: Path, remote: str, auth: GitAuth | None, *, deadline: float, local: bool,
                 pins: list[tuple[str, str]] | None = None) -> None:
        self.repo_git = git.Git(str(root))
        self.remote = remote
        self.deadline = deadline
        env = {"GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
        config: list[tuple[str, str]] = [("advice.detachedHead", "false"), *(pins or [])]
        if local:
            config.append(("protocol.file.allow", "always"))
        if auth is not None:
            parts = urlsplit(remote)
            token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
            config.append((f"http.{parts.scheme}://{parts.netloc}/.extraHeader", f"Authorization: Basic {token}"))
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        self.env = env

    def __call__(self, *args: str) -> str:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise GitTransientError(f"timed out fetching {mask_url(self.remote)}", location=self.remote)
        try:
            out = self.repo_git.execute(
                ["git", *args], env=self.env, kill_after_timeout=remaining, with_extended_output=False
            )
        except git.GitCommandError as exc:
            raise _translate(exc, self.remote, args) from None
        return str(out)


def _translate(exc: git.GitCommandError, remote: str, args: tuple[str, ...]) -> GitContextError | GitTransientError:
    stderr = mask_url(str(exc.stderr or "").strip())
    # GitPython's message repeats the command line; only the verb and git's own stderr are shown.
    detail = stderr.replace("\n", " ")[-500:] or f"exit status {exc.status}"
    message = f"git {args[0]} failed for {mask_url(remote)}: {detail}"
    lowered = detail.lower()
    if exc.status == -9 or any(hint in lowered for hint in _TRANSIENT_HINTS) or _TRANSIENT_HTTP_RE.search(lowered):
        return GitTransientError(message, location=remote)
    return GitContextError(message, location=remote)


def _ls_remote(run: _Runner, ref: str | None) -> tuple[str, str]:
    """(kind, full ref name) with kind in branch/tag/head/other/commit; also proves access early."""
    patterns = ["HEAD"] if ref is None else [ref]
    out = run("ls-remote", "--symref", "origin", *patterns)
    refs: dict[str, str] = {}
    head_target = ""
    for line in out.splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: "):
            head_target = left[5:].strip()
        else:
            refs[name.strip()] = left.strip()
    if ref is None:
        if head_target.startswith("refs/heads/"):
            return "branch", head_target
        return "head", "HEAD"
    for full, kind in ((ref, "other"), (f"refs/heads/{ref}", "branch"), (f"refs/tags/{ref}", "tag")):
        if full in refs:
            if full == ref and ref.startswith("refs/heads/"):
                kind = "branch"
            elif full == ref and ref.startswith("refs/tags/"):
                kind = "tag"
            return kind, full
    matches = [name for name in refs if name.endswith("/" + ref)]
    if matches:
        return "other", matches[0]
    if _SHA_RE.match(ref):
        return "commit", ref
    raise GitContextError(f"ref {ref!r} not found in {mask_url(run.remote)}", location=run.remote)


def _host_port(url: str) -> tuple[str, int, str] | None:
    """(host, port, scheme) of a network git URL; None for local ones (paths, ``file://``)."""
    if url.startswith("git@") or ("://" not in url and "@" in url.partition(":")[0] and ":" in url):
        return url.partition("@")[2].partition(":")[0], 22, "ssh"
    if "://" not in url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    defaults = {"http": 80, "https": 443, "ssh": 22, "git+ssh": 22, "ssh+git": 22, "git": 9418}
    if scheme not in defaults or not parts.hostname:
        return None
    return parts.hostname, parts.port or defaults[scheme], scheme


def egress_pins(urls: list[str], egress: EgressPolicy) -> list[tuple[str, str]]:
    """Check every network URL's host; git config entries that pin http(s) hosts to the checked addresses."""
    pins: list[tuple[str, str]] = []
    for url in urls:
        found = _host_port(url)
        if found is None:
            continue
        host, port, scheme = found
        try:
            addresses = egress.check_host(host, port, what=f"git context {mask_url(url)}")
        except EgressRefused as exc:
            raise EgressContextError(str(exc), location=url) from None
        except OSError:
            continue  # unresolvable: git reports it as it always did
        if scheme in ("http", "https"):
            shown = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
            pins.append(("http.curloptResolve", f"{host}:{port}:{shown}"))
    if pins:
        pins.append(("http.followRedirects", "false"))
    return pins


def _submodule_urls(run: _Runner, dest: Path) -> list[str]:
    try:
        out = run("config", "-f", str(dest / ".gitmodules"), "--get-regexp", r"^submodule\..*\.url$")
    except GitContextError:
        return []
    return [line.split(None, 1)[1] for line in out.splitlines() if " " in line]


def fetch_git(
    remote: str,
    dest: Path,
    *,
    ref: str | None,
    auth: GitAuth | None,
    timeout: float,
    egress: EgressPolicy = DEFAULT_POLICY,
) -> GitCheckout:
    """Clone ``remote`` at ``ref`` into the empty folder ``dest`` (the work tree is ``dest`` itself)."""
    if shutil.which("git") is None:
        raise GitContextError("git is not installed on this worker", location=remote)
    clean_remote, url_auth = split_credentials(remote)
    auth = auth or url_auth
    scheme = urlsplit(clean_remote).scheme if "://" in clean_remote else ""
    local = scheme == "file" or (not scheme and not clean_remote.startswith("git@"))
    dest.mkdir(parents=True, exist_ok=True)
    try:
        git.Repo.init(str(dest))
    except (git.GitError, OSError) as exc:
        raise GitContextError(f"cannot initialise a repository in {str(dest)!r}: {exc}") from exc
    deadline = time.monotonic() + timeout
    pins = egress_pins([clean_remote], egress)
    run = _Runner(dest, clean_remote, auth, deadline=deadline, local=local, pins=pins)
    run("remote", "add", "origin", clean_remote)
    kind, full_ref = _ls_remote(run, ref)
    branch = full_ref.removeprefix("refs/heads/") if kind == "branch" else ""
    if kind == "branch":
        refspec = f"+{full_ref}:refs/remotes/origin/{branch}"
    elif kind == "tag":
        refspec = f"+{full_ref}:{full_ref}"
    elif kind == "commit":
        refspec = ref or "HEAD"
    else:
        refspec = full_ref
    try:
        run("fetch", "--depth", "1", "--no-tags", "origin", refspec)
        fetched_shallow = True
    except GitContextError:
        # Dumb HTTP servers and commits that are not a ref tip cannot be fetched shallow (moby does the same).
        if kind == "commit":
            run("fetch", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
        else:
            run("fetch", "--no-tags", "origin", refspec)
        fetched_shallow = False
    if kind == "branch":
        run("checkout", "-B", branch, f"refs/remotes/origin/{branch}")
    elif kind == "tag":
        run("checkout", "--detach", f"{full_ref}^{{commit}}")
    elif kind == "commit" and not fetched_shallow:
        assert ref is not None
        try:
            run("checkout", "--detach", f"{ref}^{{commit}}")
        except GitContextError as exc:
            raise GitContextError(
                f"commit {ref!r} not found in {mask_url(clean_remote)}", location=clean_remote
            ) from exc
    else:
        run("checkout", "--detach", "FETCH_HEAD")
    if (dest / ".gitmodules").is_file():
        # Submodules may name other hosts: each is checked (and pinned) like the repository itself.
        sub_pins = egress_pins([u for u in _submodule_urls(run, dest) if "://" in u or "@" in u], egress)
        if sub_pins:
            run = _Runner(dest, clean_remote, auth, deadline=deadline, local=local, pins=[*pins, *sub_pins])
        try:
            run("submodule", "update", "--init", "--recursive", "--depth", "1")
        except GitContextError:
            run("submodule", "update", "--init", "--recursive")
    if shutil.which("git-lfs") and _uses_lfs(dest):
        run("lfs", "pull")
    commit = run("rev-parse", "--verify", "HEAD").strip()
    # ACR reports the fragment's ref as the branch; a bare commit has none.
    return GitCheckout(dest, commit, branch or ("" if kind == "commit" else (ref or "")))


def _uses_lfs(root: Path) -> bool:
    attributes = root / ".gitattributes"
    try:
        return "filter=lfs" in attributes.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def git_head_revision(path: Path | str) -> str:
    """``git rev-parse --verify HEAD`` in ``path`` (parents searched, as git does); "" on error, as ACR."""
    if not Path(path).is_dir():
        return ""  # GitPython would silently run in the current directory instead
    try:
        out = git.Git(str(path)).execute(
            ["git", "rev-parse", "--verify", "HEAD"], with_extended_output=False, kill_after_timeout=30
        )
    except (git.GitError, OSError, ValueError):
        return ""
    return str(out).strip()


def resolve_in_scope(root: Path, subdir: str) -> Path:
    """``root/subdir`` with symlinks followed but clamped inside ``root`` (moby ``FollowSymlinkInScope``)."""
    root_real = Path(os.path.realpath(root))
    current = root_real
    pending = [p for p in subdir.replace("\\", "/").split("/") if p and p != "."]
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = current.parent if current != root_real else root_real
            continue
        candidate = current / part
        if candidate.is_symlink():
            hops += 1
            if hops > 255:
                raise InvalidContextError(f"too many symlinks resolving {subdir!r}", location=subdir)
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = root_real
            pending = [p for p in target.split("/") if p and p != "."] + pending
            continue
        current = candidate
    if not (current == root_real or root_real in current.parents):
        raise InvalidContextError(f"git context subfolder {subdir!r} is not within the repository", location=subdir)
    if not current.is_dir():
        raise InvalidContextError(f"git context subfolder {subdir!r} is not a directory", location=subdir)
    return current
