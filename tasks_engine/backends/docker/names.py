"""Run-unique Docker names and the labels that let cleanup and crash recovery find a run's objects.

Why deterministic names from the run id: a run redelivered to another worker (Celery ``acks_late``) computes
the same names and labels, finds what the dead worker left and removes it.
"""

from __future__ import annotations

import hashlib
import re

LABEL_RUN_ID = "tasks-engine.run-id"
LABEL_STEP_ID = "tasks-engine.step-id"
LABEL_CREATED = "tasks-engine.created"

#: Networks Docker provides itself: used as they are, never created nor removed.
BUILTIN_NETWORKS = frozenset({"host", "bridge", "none", "default"})

_NAME_OK = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_BAD_CHAR = re.compile(r"[^a-zA-Z0-9_.-]")
_MAX_NAME = 200


def docker_name(text: str) -> str:
    """``text`` in Docker's name charset; a short hash is appended whenever characters had to change, so two
    different step ids never map to the same name."""
    if _NAME_OK.fullmatch(text) and len(text) <= _MAX_NAME:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    cleaned = _BAD_CHAR.sub("_", text).lstrip("_.-") or "x"
    return f"{cleaned[: _MAX_NAME - 9]}-{digest}"


def container_name(run_id: str, step_id: str, attempt: int = 1) -> str:
    """``te-<run>-<step>``; later attempts get ``-<n>`` because ``keep``/``detach`` containers of earlier
    attempts stay until teardown and hold the first name."""
    base = f"te-{run_id}-{step_id}"
    return docker_name(base if attempt <= 1 else f"{base}-{attempt}")


def network_name(name: str, run_id: str, *, skip_creation: bool = False) -> str:
    """The Docker name of a network the task declared.

    Networks the run creates get ``<name>-<run>`` (several runs share one host; ACR uses the bare name because
    one agent runs one task). ``skipCreation`` and Docker's own networks are used as they are. A name that
    already contains the run id (the plan's default network) is already run-unique.
    """
    if skip_creation or name in BUILTIN_NETWORKS or run_id in name:
        return name
    return docker_name(f"{name}-{run_id}")


def run_labels(run_id: str, *, step_id: str | None = None, created: float) -> dict[str, str]:
    labels = {LABEL_RUN_ID: run_id, LABEL_CREATED: str(int(created))}
    if step_id is not None:
        labels[LABEL_STEP_ID] = step_id
    return labels


def run_filter(run_id: str) -> dict[str, str]:
    """The ``filters=`` value that selects every object of one run."""
    return {"label": f"{LABEL_RUN_ID}={run_id}"}
