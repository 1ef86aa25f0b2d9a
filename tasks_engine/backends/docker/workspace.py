"""Host folders of one run and the mapping between container paths and host paths.

Layout under ``BackendOptions.state_root``::

    <state_root>/<run-id>/home/                  bind-mounted at /acb/home (HOME), shared by every step
    <state_root>/<run-id>/volumes/<name>/<key>   secret volume files, bind-mounted read-only at mountPath

ACR keeps ``home`` and secret volumes in Docker named volumes populated by helper containers (``bash``,
``docker login``); host folders need no helper image, are written directly, and vanish with the run folder.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import shutil
from dataclasses import dataclass
from pathlib import Path

from tasks_engine.credentials import RegistryCredential

_REMOTE_PREFIXES = ("http://", "https://", "git://", "github.com/", "git@")

# What acr-builder writes to ~/.docker/config.json before any step (spec §4.2), with our client name.
_DOCKER_CONFIG: dict[str, object] = {"HttpHeaders": {"X-Meta-Source-Client": "tasks-engine"}}


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @classmethod
    def for_run(cls, state_root: Path, folder: str) -> RunPaths:
        return cls(state_root / folder)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    def volume(self, name: str) -> Path:
        return self.volumes / name

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_home(paths: RunPaths, *, credentials: list[RegistryCredential] | None) -> None:
    """Create the shared home with a docker config; registry auths only when steps can reach the daemon
    (``credentials`` given), since otherwise they would be passwords on disk nobody uses."""
    # A redelivered run finds the home its steps wrote into: a step may have planted ``.docker`` as a symlink
    # to a host folder, which the writes below would follow. Start from an empty home instead.
    remove_tree(paths.home)
    docker_dir = paths.home / ".docker"
    docker_dir.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    config = dict(_DOCKER_CONFIG)
    if credentials:
        config["auths"] = {
            c.registry: {"auth": base64.b64encode(f"{c.username}:{c.password}".encode()).decode()} for c in credentials
        }
    write_private_file(docker_dir / "config.json", (json.dumps(config, indent=2) + "\n").encode(), mode=0o600)


def remove_tree(path: Path) -> None:
    """Remove ``path`` without following symlinks (a symlink itself is unlinked, never its target)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def write_private_file(target: Path, content: bytes, *, mode: int) -> None:
    """Create ``target`` afresh with ``mode``: never through a symlink, never into an existing file."""
    if target.is_symlink() or target.exists():
        target.unlink()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.write(fd, content)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def is_remote_context(context: str) -> bool:
    return context.startswith(_REMOTE_PREFIXES)


def host_path(workspace: Path, container_path: str, *, workspace_mount: str) -> Path | None:
    """The host path of ``container_path`` when it lies inside the workspace mount, else None."""
    clean = posixpath.normpath(container_path)
    if clean == workspace_mount:
        return workspace
    prefix = workspace_mount.rstrip("/") + "/"
    if not clean.startswith(prefix):
        return None
    return workspace.joinpath(*clean[len(prefix) :].split("/"))


def resolve_in_workdir(workdir: str, path: str) -> str:
    """``path`` as the docker CLI running in ``workdir`` would see it (absolute paths stay absolute)."""
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(workdir, path))


def real_inside(workspace: Path, path: Path) -> Path | None:
    """``path`` with every symlink resolved on the host, or None when the result leaves ``workspace``.

    Why: a build's context and Dockerfile are read by this process and by the Docker SDK on the host, not in
    a container, so a symlink committed to a repository (``ctx -> /``, ``Dockerfile -> /etc/shadow``) would
    otherwise hand host files to the daemon, the dependency scan and its error messages.
    """
    root = os.path.realpath(workspace)
    real = os.path.realpath(path)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return Path(real)
