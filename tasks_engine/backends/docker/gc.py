"""Garbage collection of what dead runs left behind (``tasks-engine gc --older-than 1h``).

Why by label and age: a worker killed mid-run never reaches teardown; its containers, networks and volumes
keep the run's labels, and ``tasks-engine.created`` says how old they are. Choose an age above the longest run
(``totalTimeout``, default 1 h): a younger object may belong to a run that is still going.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docker
import docker.errors

from tasks_engine.backends.docker.errors import is_connection_error, is_not_found, reason, unreachable
from tasks_engine.backends.docker.names import LABEL_CREATED, LABEL_RUN_ID, docker_name
from tasks_engine.runlock import run_is_live


@dataclass
class GcReport:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def removed(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes) + len(self.folders)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "containers": list(self.containers),
            "networks": list(self.networks),
            "volumes": list(self.volumes),
            "folders": list(self.folders),
            "errors": list(self.errors),
        }


def _created(labels: dict[str, str] | None, fallback: Any) -> float | None:
    value = (labels or {}).get(LABEL_CREATED)
    if value:
        with contextlib.suppress(ValueError):
            return float(value)
    if isinstance(fallback, int | float):
        return float(fallback)
    if isinstance(fallback, str) and fallback:
        text = fallback.replace("Z", "+00:00")
        # Docker prints nanoseconds; fromisoformat takes at most microseconds.
        if "." in text:
            head, _, rest = text.partition(".")
            digits = "".join(ch for ch in rest if ch.isdigit())
            zone = rest[len(digits) :]
            text = f"{head}.{digits[:6]}{zone}"
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(text).timestamp()
    return None


def collect_garbage(client: Any, *, older_than: timedelta, now: datetime, state_root: Path | None = None) -> GcReport:
    """Remove labelled containers, then networks and volumes, created before ``now - older_than``; also the
    run folders under ``state_root`` older than that. Failures are collected, never raised (except a daemon
    that cannot be reached)."""
    cutoff = (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp() - older_than.total_seconds()
    report = GcReport()
    api = client.api
    live = _live_runs(state_root)

    def expired(labels: Any, created_at: Any) -> bool:
        # A run whose process still holds its lock is alive however old: a build may take hours.
        if docker_name(str((labels or {}).get(LABEL_RUN_ID, ""))) in live:
            return False
        created = _created(labels, created_at)
        return created is not None and created < cutoff

    remove_objects(api, {"label": [LABEL_RUN_ID]}, expired, report)
    if state_root is not None and state_root.is_dir():
        for folder in state_root.iterdir():
            # lstat: a symlink is never followed (nor its target removed); only the engine's own folders go.
            info = folder.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_mtime < cutoff and folder.name not in live:
                shutil.rmtree(folder, ignore_errors=True)
                report.folders.append(str(folder))
    return report


def _live_runs(state_root: Path | None) -> set[str]:
    if state_root is None or not state_root.is_dir():
        return set()
    return {f.name for f in state_root.iterdir() if not f.is_symlink() and f.is_dir() and run_is_live(f)}


def remove_objects(api: Any, filters: dict[str, list[str]], doomed: Callable[[dict[str, str], Any], bool],
                   report: GcReport) -> None:
    """Remove the containers, then the networks and volumes, matching ``filters`` for which
    ``doomed(labels, created)`` is true; failures go into ``report``, an unreachable daemon raises."""
    try:
        for c in api.containers(all=True, filters=filters):
            if doomed(c.get("Labels") or {}, c.get("Created")):
                _remove(report.containers, report, str(c["Id"]), lambda i: api.remove_container(i, force=True))
        for n in api.networks(filters=filters):
            if doomed(n.get("Labels") or {}, n.get("Created")):
                _remove(report.networks, report, str(n["Name"]), api.remove_network)
        for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
            if doomed(v.get("Labels") or {}, v.get("CreatedAt")):
                _remove(report.volumes, report, str(v["Name"]), lambda i: api.remove_volume(i, force=True))
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        report.errors.append(f"listing run objects failed: {reason(exc)}")


@contextlib.contextmanager
def daemon_client(client_factory: Callable[[], Any] = docker.from_env) -> Iterator[Any]:
    """A client of its own (closed afterwards), for callers that must not import ``docker``."""
    try:
        client = client_factory()
    except Exception as exc:
        if is_connection_error(exc) or isinstance(exc, docker.errors.DockerException):
            raise unreachable(exc) from exc
        raise
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()


def collect_garbage_from_env(
    *,
    older_than: timedelta,
    now: datetime,
    state_root: Path | None = None,
    client_factory: Callable[[], Any] = docker.from_env,
) -> GcReport:
    """``collect_garbage`` with a client of its own, for callers that must not import ``docker`` (the CLI)."""
    with daemon_client(client_factory) as client:
        return collect_garbage(client, older_than=older_than, now=now, state_root=state_root)


def _remove(done: list[str], report: GcReport, ident: str, action: Any) -> None:
    try:
        action(ident)
    except docker.errors.APIError as exc:
        if not is_not_found(exc):
            report.errors.append(f"{ident}: {reason(exc)}")
            return
    done.append(ident)
