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
import posixpath
import shutil
from dataclasses import dataclass
from pathlib import Path

from tasks_engine.backends.docker.credentials import RegistryCredential

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
    docker_dir = paths.home / ".docker"
    docker_dir.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    config = dict(_DOCKER_CONFIG)
    if credentials:
        config["auths"] = {
            c.registry: {"auth": base64.b64encode(f"{c.username}:{c.password}".encode()).decode()} for c in credentials
        }
    target = docker_dir / "config.json"
    target.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    target.chmod(0o600)


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
