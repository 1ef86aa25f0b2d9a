"""``tasks-engine gc``: what a killed run left behind is removed by age, and nothing of a run in progress."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from e2e_support import LABEL_RUN_ID, Cli, new_run_id

pytestmark = pytest.mark.integration

LABEL_CREATED = "tasks-engine.created"
HOUR = 3600


def test_gc_removes_old_objects_only(cli: Cli, tmp_path: Path, docker_client: Any) -> None:
    state = tmp_path / "state"
    state.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"stateRoot: {state}\n")
    now = int(time.time())
    old_id, new_id = new_run_id("gc-old"), new_run_id("gc-new")

    def labels(run_id: str, created: int) -> dict[str, str]:
        return {LABEL_RUN_ID: run_id, LABEL_CREATED: str(created)}

    containers: list[Any] = []
    networks: list[Any] = []
    try:
        old_container = docker_client.containers.create(cli.base, "true", name=f"te-{old_id}-x",
                                                        labels=labels(old_id, now - 2 * HOUR))
        new_container = docker_client.containers.create(cli.base, "true", name=f"te-{new_id}-x",
                                                         labels=labels(new_id, now))
        old_network = docker_client.networks.create(f"tasks-engine-{old_id}", labels=labels(old_id, now - 2 * HOUR))
        containers += [old_container, new_container]
        networks.append(old_network)
        # Run folders live under <stateRoot>/runs/<run-id>: one of a run in progress, one a killed run left
        # two hours ago.
        active = state / "runs" / new_id / "workspace"
        active.mkdir(parents=True)
        (active / "work.txt").write_text("in progress\n")
        stale = state / "runs" / old_id / "home"
        stale.mkdir(parents=True)
        os.utime(state / "runs" / old_id, (now - 2 * HOUR, now - 2 * HOUR))

        result = cli("gc", "--config", str(config), "--older-than", "1h", config=False)
        assert result.rc == 0, result.describe()
        assert result.out.strip(), "gc prints a summary"

        api = docker_client.api
        remaining = {c["Names"][0].lstrip("/") for c in api.containers(all=True, filters={"label": LABEL_RUN_ID})}
        assert f"te-{old_id}-x" not in remaining
        assert f"te-{new_id}-x" in remaining, "gc removed a container younger than --older-than"
        assert not api.networks(names=[f"tasks-engine-{old_id}"])
        assert (active / "work.txt").exists(), "gc removed the workspace of a run in progress"
        assert not (state / "runs" / old_id).exists(), "gc left the folder of a killed run"
    finally:
        for container in containers:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        for network in networks:
            with contextlib.suppress(Exception):
                network.remove()
