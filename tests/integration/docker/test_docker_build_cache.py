"""``cache: enabled``: a second build of the same source on a *different* worker — a second Docker daemon with
an empty image store and build cache — reuses the layers through ACR's registry cache reference."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from docker_harness import missing
from second_daemon import second_daemon
from test_docker_build_push import build_step

from tasks_engine.backends.docker import BackendOptions, DockerBackend
from tasks_engine.plan.cache import cache_ref_for
from tasks_engine.plan.model import RunPlan, StepSpec
from tasks_engine.runtime.backend import AttemptResult

pytestmark = pytest.mark.integration



def _build(tmp_path: Path, workspace: Path, step: StepSpec, *, host: str | None) -> tuple[AttemptResult, str, float]:
    import threading

    run_id = f"t{uuid.uuid4().hex[:10]}"
    backend = DockerBackend(options=BackendOptions(state_root=tmp_path / "state", docker_host=host),
                            workspace=workspace)
    plan = RunPlan(run_id=run_id, steps=[])
    backend.setup(plan)
    out: list[str] = []
    started = time.monotonic()
    try:
        result = backend.run_attempt(step, attempt=1, log=out.append, stop=threading.Event())
    finally:
        backend.teardown(plan)
    return result, "".join(out), time.monotonic() - started


def test_cache_enabled_reuses_layers_from_an_empty_worker(tmp_path: Path, base_image: str, registry: str,
                                                          docker_client: Any) -> None:
    nonce = uuid.uuid4().hex
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "app.txt").write_text("app\n")
    (workspace / "Dockerfile").write_text(
        f"FROM {base_image}\nRUN echo deps-{nonce} && sleep 4 && echo {nonce} > /deps\nCOPY app.txt /app.txt\n"
    )
    tag = f"{registry}/tasks-engine-tests/cached-{nonce[:12]}:1"
    cache_ref = cache_ref_for([tag], task_name="", step_id="build", registry="")
    assert cache_ref == f"{registry}/tasks-engine-tests/cached-{nonce[:12]}:cache_quickrun_build"
    step = build_step("build", tags=[tag], cache="enabled", cache_ref=cache_ref)
    first, first_log, first_secs = _build(tmp_path, workspace, step, host=None)
    assert first.ok, first_log
    assert "Building with BuildKit: cache: enabled" in first_log
    assert f"Successfully pushed build cache: {cache_ref}" in first_log
    try:
        with second_daemon() as (host, empty):
            assert empty.images.list() == []  # another worker: nothing local
            second, second_log, second_secs = _build(tmp_path, workspace, step, host=host)
            assert second.ok, second_log
            assert "CACHED" in second_log, second_log
            assert f"deps-{nonce}" not in second_log.replace(f"RUN echo deps-{nonce}", "")  # the RUN did not run
            assert empty.images.get(tag).id == second.image_id
    except RuntimeError as exc:
        missing(f"cannot start a second Docker daemon: {exc}")
    assert second_secs < first_secs, (first_secs, second_secs)
    for ref in (tag, cache_ref):
        docker_client.images.remove(ref, force=True)
