"""Removing what dead executions of service runs left on this Docker host.

Why by lease token and not by age (as ``gc`` does): several workers may share one daemon, and a build can
run for hours; the store knows which lease token is current for each run, so an object labelled with any
other token (or of a run that is finished) belongs to an execution that is gone. Objects without the lease
label (local CLI runs) are never touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors

from tasks_engine.backends.docker.errors import is_connection_error, is_not_found, reason, unreachable
from tasks_engine.backends.docker.names import LABEL_RUN_ID


@dataclass
class SweepReport:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sweep_leased_objects(is_current: Callable[[str, str], bool], *, lease_label: str, scope: dict[str, str],
                         client_factory: Callable[[], Any] = docker.from_env) -> SweepReport:
    """Remove containers, then networks and volumes, whose ``(run id, lease token)`` is not current.

    Only objects carrying every label of ``scope`` (the installation's) are considered: another
    installation sharing this daemon has its own run ids and its own leases.
    """

    def dead(labels: dict[str, str]) -> bool:
        return not is_current(labels.get(LABEL_RUN_ID, ""), labels.get(lease_label, ""))

    return _sweep([lease_label, *(f"{k}={v}" for k, v in scope.items())], dead, client_factory)


def remove_run_objects(run_id: str, *, scope: dict[str, str],
                       client_factory: Callable[[], Any] = docker.from_env) -> SweepReport:
    """Remove every container, network and volume of ``run_id`` (within ``scope``) on this daemon: before a
    redelivered run's new attempt starts, whatever an earlier attempt left running here is stopped, so two
    attempts never run side by side on one host."""
    labels = [f"{LABEL_RUN_ID}={run_id}", *(f"{k}={v}" for k, v in scope.items())]
    return _sweep(labels, lambda _labels: True, client_factory)


def _sweep(labels: list[str], dead: Callable[[dict[str, str]], bool],
           client_factory: Callable[[], Any]) -> SweepReport:
    filters = {"label": labels}
    report = SweepReport()
    try:
        client = client_factory()
    except Exception as exc:
        if is_connection_error(exc) or isinstance(exc, docker.errors.DockerException):
            raise unreachable(exc) from exc
        raise
    try:
        api = client.api
        for c in api.containers(all=True, filters=filters):
            if dead(c.get("Labels") or {}):
                _remove(report.containers, report, str(c["Id"]), lambda i: api.remove_container(i, force=True))
        for n in api.networks(filters=filters):
            if dead(n.get("Labels") or {}):
                _remove(report.networks, report, str(n["Name"]), api.remove_network)
        for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
            if dead(v.get("Labels") or {}):
                _remove(report.volumes, report, str(v["Name"]), lambda i: api.remove_volume(i, force=True))
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        report.errors.append(f"listing run objects failed: {reason(exc)}")
    finally:
        with contextlib.suppress(Exception):
            client.close()
    return report


def _remove(done: list[str], report: SweepReport, ident: str, action: Callable[[str], Any]) -> None:
    try:
        action(ident)
    except docker.errors.APIError as exc:
        if not is_not_found(exc):
            report.errors.append(f"{ident}: {reason(exc)}")
            return
    done.append(ident)
