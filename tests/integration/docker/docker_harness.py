"""Helpers that drive ``DockerBackend`` through the ``Backend`` protocol, for the docker integration tests."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tasks_engine.backends.docker import DockerBackend
from tasks_engine.backends.docker.names import run_filter
from tasks_engine.plan.model import RunPlan, StepSpec, StepType
from tasks_engine.runtime.backend import AttemptResult


def missing(what: str) -> NoReturn:
    """A service or tool the test needs is missing: skip locally, fail under CI=true (scripts/setup.sh installs
    everything these tests use)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: scripts/setup.sh installs it)")
    pytest.skip(what)


@dataclass
class Attempt:
    result: AttemptResult
    output: str
    seconds: float


@dataclass
class Harness:
    backend: DockerBackend
    plan: RunPlan
    workspace: Path
    client: Any
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.plan.run_id

    def run(self, step: StepSpec, *, stop_after: float | None = None) -> Attempt:
        import time

        if step.network is None and self.plan.default_network and step.type is not StepType.PUSH:
            step = replace(step, network=self.plan.default_network)  # what the compiler does
        chunks: list[str] = []
        stop = threading.Event()
        timer = threading.Timer(stop_after, stop.set) if stop_after is not None else None
        if timer:
            timer.start()
        self.attempts[step.id] = self.attempts.get(step.id, 0) + 1
        started = time.monotonic()
        try:
            attempt = self.attempts[step.id]
            result = self.backend.run_attempt(step, attempt=attempt, log=chunks.append, stop=stop)
        finally:
            if timer:
                timer.cancel()
        return Attempt(result, "".join(chunks), time.monotonic() - started)

    def leftovers(self) -> dict[str, list[Any]]:
        filters = run_filter(self.run_id)
        api = self.client.api
        return {
            "containers": api.containers(all=True, filters=filters),
            "networks": api.networks(filters=filters),
            "volumes": (api.volumes(filters=filters) or {}).get("Volumes") or [],
        }


def cmd(step_id: str, image: str, *args: str, **kwargs: Any) -> StepSpec:
    return StepSpec(id=step_id, type=StepType.CMD, image=image, args=list(args), **kwargs)


def sh(step_id: str, image: str, script: str, **kwargs: Any) -> StepSpec:
    return cmd(step_id, image, "sh", "-c", script, **kwargs)


HarnessFactory = Callable[..., Harness]
