"""What the step runners of one run share: the client, the run's names and paths, and what was created.

Why one object with a lock: ``run_attempt`` runs from several threads at once (parallel branches) and teardown
must see every container any of them created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks_engine.backends.docker.names import run_labels
from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.workspace import RunPaths
from tasks_engine.credentials import RegistryCredential, credential_for


@dataclass
class RunContext:
    client: Any  # docker.DockerClient; typed loosely because the SDK ships no type hints
    run_id: str
    workspace: Path
    paths: RunPaths
    options: BackendOptions
    credentials: Sequence[RegistryCredential]
    clock: Callable[[], float]
    # The commit the caller checked out for this run ("" for none); None: ask git in the context (tests).
    source_commit: str | None = None
    # declared network name -> Docker name, for every network of the plan
    networks: dict[str, str] = field(default_factory=dict)
    # Docker names of the networks this run created (removed at teardown)
    created_networks: list[str] = field(default_factory=list)
    # volume name -> host folder
    volumes: dict[str, str] = field(default_factory=dict)
    # containers kept until teardown (keep/detach)
    kept: set[str] = field(default_factory=set)
    # Labels the caller adds to every object (a worker's lease token, so a sweep can tell live runs from dead)
    extra_labels: dict[str, str] = field(default_factory=dict)
    # Multi-platform builds: normalized tag -> [(platform, per-platform tag)]; the push step assembles the list.
    manifest_lists: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _docker_version: str = ""

    @property
    def api(self) -> Any:
        return self.client.api

    def labels(self, step_id: str | None = None) -> dict[str, str]:
        return {**self.extra_labels, **run_labels(self.run_id, step_id=step_id, created=self.clock())}

    def docker_network(self, name: str | None) -> str | None:
        """The Docker name for a network a step or build names; unknown names are used as they are."""
        if not name:
            return None
        return self.networks.get(name, name)

    def auth_for(self, registry: str) -> dict[str, str] | None:
        cred = credential_for(self.credentials, registry)
        return cred.auth_config() if cred else None

    def docker_version(self) -> str:
        """The daemon's version (``20.10.24+dfsg1``), asked once per run."""
        with self.lock:
            if not self._docker_version:
                self._docker_version = str(self.api.version().get("Version") or "0")
            return self._docker_version

    def record_manifest_list(self, tag: str, entries: list[tuple[str, str]]) -> None:
        with self.lock:
            self.manifest_lists[tag] = list(entries)

    def keep(self, container_id: str) -> None:
        with self.lock:
            self.kept.add(container_id)
