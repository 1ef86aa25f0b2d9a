"""Which networks a step may join: its own run's, Docker's built-in ones, and ones no run owns.

Why: ACR gives each run its own VM, so ``network: container:<x>`` or a network name can only reach the run's
own containers. Here several runs share one Docker host; without this check a task file could join another
run's network (``tasks-engine-<other-run-id>``) or another run's container namespace (``container:te-...``)
and read its traffic or reach its services. Networks created outside the engine (no run label) stay usable,
as ACR allows pre-existing networks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker.errors

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.errors import is_not_found
from tasks_engine.backends.docker.names import BUILTIN_NETWORKS, LABEL_RUN_ID, container_name
from tasks_engine.backends.docker.options import HOST_NETWORK_REFUSED
from tasks_engine.backends.docker.spec import StepConfigError

_CONTAINER_MODE = "container:"


def _labels(inspect: Callable[[str], Any], name: str, *, key: str) -> dict[str, str] | None:
    """The object's labels, or None when it does not exist."""
    try:
        info = inspect(name)
    except docker.errors.APIError as exc:
        if is_not_found(exc):
            return None
        raise
    section = info.get(key) if key else info
    labels = (section or {}).get("Labels") if isinstance(section, dict) else None
    return dict(labels or {})


def resolve_network(ctx: RunContext, declared: str | None) -> str | None:
    """The Docker network (mode) for a step's ``network``, refused when it belongs to another run."""
    network = ctx.docker_network(declared)
    if network == "host" and not ctx.options.allow_host_network:
        raise StepConfigError(HOST_NETWORK_REFUSED)
    if not network or network in BUILTIN_NETWORKS or network in ctx.networks.values():
        return network
    if network.startswith(_CONTAINER_MODE):
        target = network[len(_CONTAINER_MODE) :]
        # ACR names step containers by step id; ours are run-unique, so a step id is translated.
        for name in (container_name(ctx.run_id, target), target):
            labels = _labels(ctx.api.inspect_container, name, key="Config")
            if labels is None:
                continue
            if labels.get(LABEL_RUN_ID) != ctx.run_id:
                raise StepConfigError(f"network {network}: only containers of this run can be joined")
            return _CONTAINER_MODE + name
        raise StepConfigError(f"network {network}: no such container in this run")
    labels = _labels(ctx.api.inspect_network, network, key="")
    if labels is not None and LABEL_RUN_ID in labels and labels[LABEL_RUN_ID] != ctx.run_id:
        raise StepConfigError(f"network {network} belongs to another run")
    return network
