"""Task file -> compile_task -> execute_plan on the real DockerBackend: the whole pipeline, three ways."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tasks_engine.backends.docker import BackendOptions, DockerBackend
from tasks_engine.backends.docker.names import run_filter
from tasks_engine.compiler import CompileInputs, compile_task
from tasks_engine.runtime.executor import execute_plan
from tasks_engine.runtime.results import RunResult, RunStatus, StepStatus
from tasks_engine.runtime.sinks import MemorySink
from tasks_engine.templating.rundata import RunInfo

pytestmark = pytest.mark.integration


def run_task(text: str, workspace: Path, state: Path, *, registry: str = "") -> tuple[RunResult, MemorySink]:
    run_id = f"e{uuid.uuid4().hex[:10]}"
    info = RunInfo(id=run_id, registry=registry, date=datetime.now(UTC))
    compiled = compile_task(CompileInputs(text=text, filename="acr-task.yaml", run=info))
    backend = DockerBackend(options=BackendOptions(state_root=state, poll_interval=0.05), workspace=workspace)
    sink = MemorySink()
    result = execute_plan(compiled.plan, backend, sink=sink, poll_interval=0.05, stop_grace=10)
    return result, sink


def assert_clean(client: Any, run_id: str) -> None:
    f = run_filter(run_id)
    assert client.api.containers(all=True, filters=f) == []
    assert client.api.networks(filters=f) == []


def test_build_push_and_run_the_pushed_image(
    tmp_path: Path, base_image: str, registry: str, docker_client: Any
) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {base_image}\nCOPY hello.txt /hello.txt\nCMD cat /hello.txt\n")
    (tmp_path / "hello.txt").write_text("hello end to end\n")
    text = """version: v1.1.0
steps:
  - build: -t {{.Run.Registry}}/tasks-engine-tests/e2e:{{.Run.ID}} .
  - push: ["{{.Run.Registry}}/tasks-engine-tests/e2e:{{.Run.ID}}"]
  - cmd: {{.Run.Registry}}/tasks-engine-tests/e2e:{{.Run.ID}}
"""
    result, sink = run_task(text, tmp_path, tmp_path / "state", registry=registry)
    rendered = sink.render()
    assert result.status is RunStatus.SUCCEEDED, rendered
    assert "hello end to end" in rendered
    (image,) = result.output_images
    assert image.repository == "tasks-engine-tests/e2e"
    assert image.tag == result.run_id
    assert image.digest.startswith("sha256:")
    (dep,) = result.dependencies
    assert dep["image"]["digest"] == image.digest
    assert dep["runtime-dependency"]["digest"].startswith("sha256:")
    assert_clean(docker_client, result.run_id)
    docker_client.images.remove(f"{registry}/tasks-engine-tests/e2e:{result.run_id}", force=True)


def test_detached_service_by_step_id_then_failure_stops_the_run(
    tmp_path: Path, base_image: str, docker_client: Any
) -> None:
    (tmp_path / "index.html").write_text("served\n")
    text = f"""version: v1.1.0
steps:
  - id: web
    cmd: {base_image} httpd -f -p 80 -h /workspace
    detach: true
  - id: fetch
    cmd: {base_image} sh -c "for i in $(seq 50); do wget -qO- http://web/index.html && exit 0; sleep 0.1; done; exit 1"
  - id: fail
    cmd: {base_image} sh -c "exit 4"
  - id: never
    cmd: {base_image} echo unreachable
"""
    result, sink = run_task(text, tmp_path, tmp_path / "state")
    statuses = {s.id: s.status for s in result.steps}
    assert statuses == {
        "web": StepStatus.SUCCESSFUL,
        "fetch": StepStatus.SUCCESSFUL,
        "fail": StepStatus.FAILED,
        "never": StepStatus.SKIPPED,
    }
    assert result.status is RunStatus.FAILED
    assert "served" in "".join(sink.texts(step_id="fetch"))
    assert_clean(docker_client, result.run_id)


def test_step_timeout_kills_the_container(tmp_path: Path, base_image: str, docker_client: Any) -> None:
    text = f"""version: v1.1.0
steps:
  - id: slow
    cmd: {base_image} sleep 60
    timeout: 1
"""
    started = time.monotonic()
    result, sink = run_task(text, tmp_path, tmp_path / "state")
    assert time.monotonic() - started < 15
    assert result.status in (RunStatus.FAILED, RunStatus.TIMEOUT), sink.render()
    assert result.steps[0].status is StepStatus.FAILED
    assert_clean(docker_client, result.run_id)
