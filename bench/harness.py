"""Shared pieces of the benchmarks: run a task text through the real engine on the real Docker daemon.

Why ratios and not seconds: machines here are noisy, so every benchmark measures its own baseline in the same
process, interleaved with the measured variant, and reports median(variant) / median(baseline).
"""

from __future__ import annotations

import os
import shutil
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


def run_task_text(text: str, run_id: str, *, source: Path | None = None, docker_host: str | None = None) -> float:
    """Compile and execute ``text`` (with a copy of ``source`` as the workspace, on ``docker_host``); returns
    wall seconds for the whole run (setup to teardown)."""
    with tempfile.TemporaryDirectory(prefix="te-bench-") as tmp:
        workspace = Path(tmp) / "workspace"
        if source is not None:
            shutil.copytree(source, workspace)
        else:
            workspace.mkdir()
        inputs = compiler.CompileInputs(text=text, filename="bench.yaml",
                                        run=RunInfo(id=run_id, date=datetime.now(UTC)))
        plan = compiler.compile_task(inputs).plan
        options = BackendOptions(state_root=Path(tmp) / "state", docker_host=docker_host)
        backend = DockerBackend(options=options, workspace=workspace)
        start = time.perf_counter()
        result = execute_plan(plan, backend, sink=MemorySink())
        elapsed = time.perf_counter() - start
        if result.status is not RunStatus.SUCCEEDED:
            raise SystemExit(f"benchmark run {run_id} did not succeed: {result.to_dict()['error']}")
        return elapsed


class PlainDocker:
    """The baseline: the same containers the engine would create (user-defined network with the step id as
    DNS alias, workspace and home bind mounts, env, labels), driven by plain Docker SDK calls."""

    def __init__(self) -> None:
        import docker

        self.api = docker.from_env().api
        self.api.inspect_image(BASE_IMAGE)

    def run_containers(self, commands: list[list[str]], *, parallel: bool) -> float:
        """Create-start-wait-remove one container per command (all at once when ``parallel``); wall seconds
        including the network's creation and removal, like an engine run."""
        import threading
        import uuid

        from docker.types import Mount

        api = self.api
        tag = uuid.uuid4().hex[:8]
        with tempfile.TemporaryDirectory(prefix="te-bench-plain-") as tmp:
            workspace, home = Path(tmp) / "workspace", Path(tmp) / "home"
            workspace.mkdir()
            home.mkdir()
            start = time.perf_counter()
            network = f"te-bench-{tag}"
            api.create_network(network, driver="bridge")

            def one(i: int, command: list[str]) -> None:
                host_config = api.create_host_config(
                    network_mode=network,
                    mounts=[Mount("/workspace", str(workspace), type="bind"),
                            Mount("/acb/home", str(home), type="bind")],
                )
                networking = api.create_networking_config({network: api.create_endpoint_config(aliases=[f"s{i}"])})
                cid = api.create_container(
                    BASE_IMAGE, command, name=f"te-bench-{tag}-s{i}", environment=["HOME=/acb/home"],
                    working_dir="/workspace", labels={"bench": tag}, host_config=host_config,
                    networking_config=networking,
                )["Id"]
                api.start(cid)
                api.wait(cid)
                api.logs(cid)
                api.remove_container(cid, force=True)

            if parallel:
                threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(commands)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            else:
                for i, c in enumerate(commands):
                    one(i, c)
            api.remove_network(network)
            return time.perf_counter() - start


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
