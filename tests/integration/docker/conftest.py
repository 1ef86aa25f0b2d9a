"""Fixtures for the Docker backend integration tests: one run id, workspace and backend per harness."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_harness import Harness, HarnessFactory

from tasks_engine.backends.docker import BackendOptions, DockerBackend, RegistryCredential
from tasks_engine.backends.docker.names import run_filter
from tasks_engine.plan.model import NetworkSpec, RunPlan, VolumeSpec


@pytest.fixture
def harness_factory(docker_client: Any, base_image: str, tmp_path: Path) -> Iterator[HarnessFactory]:
    made: list[Harness] = []

    def make(
        *,
        networks: list[NetworkSpec] | None = None,
        volumes: list[VolumeSpec] | None = None,
        default_network: str | bool | None = True,
        credentials: list[RegistryCredential] | None = None,
        **options: Any,
    ) -> Harness:
        run_id = f"t{uuid.uuid4().hex[:10]}"
        workspace = tmp_path / f"ws-{run_id}"
        workspace.mkdir()
        if default_network is True:
            default = f"tasks-engine-{run_id}"
            nets = networks if networks is not None else [NetworkSpec(default, driver="bridge", is_default=True)]
        else:
            default = default_network or None
            nets = networks or []
        plan = RunPlan(run_id=run_id, steps=[], networks=nets, volumes=volumes or [], default_network=default)
        opts = BackendOptions(state_root=tmp_path / "state", poll_interval=0.05, **options)
        backend = DockerBackend(options=opts, workspace=workspace, credentials=credentials or [])
        harness = Harness(backend, plan, workspace, docker_client)
        backend.setup(plan)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.backend.teardown(harness.plan)
        # Images the test built carry the run label; keep the daemon's image list from growing.
        for image in docker_client.images.list(filters=run_filter(harness.run_id)):
            with contextlib.suppress(Exception):
                docker_client.images.remove(image.id, force=True)


@pytest.fixture
def harness(harness_factory: HarnessFactory) -> Harness:
    return harness_factory()
