"""The contract between the executor and whatever runs containers.

Why this shape: the executor owns *policy* (DAG order, retries, repeat, timeouts, fail-fast, cancel) and a backend
owns *mechanism* (one attempt of one step). An attempt blocks until it ends or until ``stop`` is set; the executor
sets ``stop`` on step timeout, run timeout, fail-fast and cancel, and the backend must then kill what it started
and return promptly. That single primitive covers every way a step can end, and it is what a scripted
``FakeBackend`` reproduces in the executor's own tests.

Contract (every backend, real or fake):

1. ``setup(plan, log=...)`` once before any step: workspace, networks, secret volumes. It may fail half-way;
   ``teardown`` is still called and must clean up what exists. ``log`` takes whole engine lines (ACR's
   ``Creating Docker network: ...``); None means nobody listens.
2. ``run_attempt(step, ...)`` for each attempt, possibly from several threads at once (parallel branches).
   A non-zero exit code, a missing image, a failed build or push is a *result* (``AttemptResult.ok`` False with
   ``error`` set) — not an exception. Raise ``InfrastructureError`` only when the backend itself is broken
   (daemon gone), which turns the run into ``Error``.
   ``detach`` steps return ``ok`` as soon as the container runs; the backend keeps them until ``teardown``.
3. ``digest_of(ref)`` after the steps: the registry digest of an image the run produced or used, or None.
4. ``teardown(plan)`` always, exactly once, even after an exception in ``setup``: removes every container,
   network, volume and the workspace it created (``keep`` containers too, at the end of the run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tasks_engine.plan.model import RunPlan, StepSpec

LogWriter = Callable[[str], None]
"""Receives step output as text chunks (not necessarily whole lines); the executor masks and splits them."""


@dataclass
class AttemptResult:
    ok: bool
    exit_code: int | None = None
    # Human-readable reason when not ok: "exit status 1", "image not found: x", "build failed: ...".
    error: str | None = None
    # True when the attempt ended because ``stop`` was set (timeout/cancel/fail-fast), not by itself.
    stopped: bool = False
    image_id: str | None = None
    # image ref -> digest, for push steps
    pushed: dict[str, str] = field(default_factory=dict)
    # ACR dependency report entries (spec §5.3) for build steps
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    # The platforms a build produced (``linux/arm64``; several for a manifest list)
    platforms: list[str] = field(default_factory=list)


class Backend(Protocol):
    def setup(self, plan: RunPlan, *, log: Callable[[str], None] | None = None) -> None: ...

    def run_attempt(
        self,
        step: StepSpec,
        *,
        attempt: int,
        log: LogWriter,
        stop: threading.Event,
    ) -> AttemptResult: ...

    def digest_of(self, ref: str) -> str | None: ...

    def teardown(self, plan: RunPlan) -> None: ...
