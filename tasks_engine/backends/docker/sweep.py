"""Removing what dead executions of service runs left on this Docker host.

Why by lease token and not by age (as ``gc`` does): several workers may share one daemon, and a build can
run for hours; the store knows which lease token is current for each run, so an object labelled with any
other token (or of a run that is finished) belongs to an execution that is gone. Objects without the lease
label (local CLI runs) are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker

from tasks_engine.backends.docker.gc import GcReport, daemon_client, remove_objects
from tasks_engine.backends.docker.names import LABEL_RUN_ID

SweepReport = GcReport


def sweep_leased_objects(is_current: Callable[[str, str], bool], *, lease_label: str, scope: dict[str, str],
                         client_factory: Callable[[], Any] = docker.from_env) -> SweepReport:
    """Remove containers, then networks and volumes, whose ``(run id, lease token)`` is not current.

    Only objects carrying every label of ``scope`` (the installation's) are considered: another
    installation sharing this daemon has its own run ids and its own leases.
    """

    def dead(labels: dict[str, str], _created: Any) -> bool:
        return not is_current(labels.get(LABEL_RUN_ID, ""), labels.get(lease_label, ""))

    report = SweepReport()
    with daemon_client(client_factory) as client:
        remove_objects(client.api, {"label": [lease_label, *(f"{k}={v}" for k, v in scope.items())]}, dead, report)
    return report


def remove_run_objects(run_id: str, *, scope: dict[str, str],
                       client_factory: Callable[[], Any] = docker.from_env) -> SweepReport:
    """Remove every container, network and volume of ``run_id`` (within ``scope``) on this daemon: before a
    redelivered run's new attempt starts, whatever an earlier attempt left running here is stopped, so two
    attempts never run side by side on one host."""
    report = SweepReport()
    labels = [f"{LABEL_RUN_ID}={run_id}", *(f"{k}={v}" for k, v in scope.items())]
    with daemon_client(client_factory) as client:
        remove_objects(client.api, {"label": labels}, lambda _labels, _created: True, report)
    return report
