"""Shared pieces of the benchmarks: run a task text through the real engine on the real Docker daemon.

Why ratios and not seconds: machines here are noisy, so every benchmark measures its own baseline in the same
process, interleaved with the measured variant, and reports median(variant) / median(baseline).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasks_engine import compiler
from tasks_engine.backends.docker import BackendOptions, DockerBackend
from tasks_engine.runtime.executor import execute_plan
from tasks_engine.runtime.results import RunStatus
from tasks_engine.runtime.sinks import MemorySink
from tasks_engine.templating.rundata import RunInfo

BASE_IMAGE = os.environ.get("TE_BASE_IMAGE", "127.0.0.1:5000/tasks-engine/busybox:latest")


def run_task_text(text: str, run_id: str) -> float:
    """Compile and execute ``text``; returns wall seconds for the whole run (setup to teardown)."""
    with tempfile.TemporaryDirectory(prefix="te-bench-") as tmp:
        workspace = Path(tmp) / "workspace"
        workspace.mkdir()
        inputs = compiler.CompileInputs(text=text, filename="bench.yaml",
                                        run=RunInfo(id=run_id, date=datetime.now(UTC)))
        plan = compiler.compile_task(inputs).plan
        backend = DockerBackend(options=BackendOptions(state_root=Path(tmp) / "state"), workspace=workspace)
        start = time.perf_counter()
        result = execute_plan(plan, backend, sink=MemorySink())
        elapsed = time.perf_counter() - start
        if result.status is not RunStatus.SUCCEEDED:
            raise SystemExit(f"benchmark run {run_id} did not succeed: {result.to_dict()['error']}")
        return elapsed


@dataclass
class Comparison:
    name: str
    baseline_label: str
    variant_label: str
    baseline: list[float]
    variant: list[float]
    target: float
    aim: float | None = None

    @property
    def ratio(self) -> float:
        return statistics.median(self.variant) / statistics.median(self.baseline)

    def line(self) -> str:
        verdict = "meets" if self.ratio <= self.target else "MISSES"
        aim = f", aim {self.aim:.2f}x" if self.aim else ""
        return (f"{self.name}: {self.variant_label} {statistics.median(self.variant):.3f}s vs "
                f"{self.baseline_label} {statistics.median(self.baseline):.3f}s (median of "
                f"{len(self.variant)}) -> ratio {self.ratio:.3f}x ({verdict} target {self.target:.2f}x{aim})")


def interleave(rounds: int, baseline: Callable[[int], float], variant: Callable[[int], float]
               ) -> tuple[list[float], list[float]]:
    """Alternate baseline and variant (swapping who goes first) so drift hits both equally."""
    base: list[float] = []
    var: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            base.append(baseline(i))
            var.append(variant(i))
        else:
            var.append(variant(i))
            base.append(baseline(i))
    return base, var
