"""Garbage collection of old labelled objects, setup/teardown edge cases, and networks by declared name."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docker_harness import HarnessFactory, cmd, sh

from tasks_engine.backends.docker import BackendOptions, DockerBackend, collect_garbage
from tasks_engine.backends.docker.names import run_filter, run_labels
from tasks_engine.errors import PermanentError
from tasks_engine.plan.model import NetworkSpec, RunPlan, VolumeSpec
from tasks_engine.runlock import hold_run_lock

pytestmark = pytest.mark.integration


def _objects(client: Any, run_id: str) -> tuple[int, int, int]:
    f = run_filter(run_id)
    api = client.api
    return (
        len(api.containers(all=True, filters=f)),
        len(api.networks(filters=f)),
        len((api.volumes(filters=f) or {}).get("Volumes") or []),
    )


def test_gc_spares_an_old_run_whose_process_is_alive(docker_client: Any, base_image: str, tmp_path: Path) -> None:
    """A build may run for hours: gc --older-than must not kill a run whose process still holds its lock."""
    now = datetime.now(UTC)
    run_id = f"gc-live-{uuid.uuid4().hex[:8]}"
    labels = run_labels(run_id, step_id="s", created=(now - timedelta(hours=5)).timestamp())
    container = docker_client.containers.create(base_image, "true", name=f"te-{run_id}-s", labels=labels)
    folder = tmp_path / "state" / run_id
    folder.mkdir(parents=True)
    five_hours_ago = (now - timedelta(hours=5)).timestamp()
    try:
        with hold_run_lock(folder):
            os.utime(folder, (five_hours_ago, five_hours_ago))
            report = collect_garbage(docker_client, older_than=timedelta(hours=1), now=now,
                                     state_root=tmp_path / "state")
            assert container.id not in report.containers
            assert folder.is_dir()
            assert _objects(docker_client, run_id)[0] == 1
        # the process is gone (lock released): now the same run is garbage
        os.utime(folder, (five_hours_ago, five_hours_ago))  # creating the lock file touched the folder
        report = collect_garbage(docker_client, older_than=timedelta(hours=1), now=now, state_root=tmp_path / "state")
        assert container.id in report.containers
        assert not folder.exists()
    finally:
        _remove_run(docker_client, run_id)


def test_gc_removes_labelled_leftovers_older_than_the_age(docker_client: Any, base_image: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old_run, young_run = f"gc-old-{uuid.uuid4().hex[:8]}", f"gc-young-{uuid.uuid4().hex[:8]}"
    made = []
    for run_id, created in ((old_run, now - timedelta(hours=2)), (young_run, now)):
        labels = run_labels(run_id, step_id="s", created=created.timestamp())
        made.append(docker_client.containers.create(base_image, "true", name=f"te-{run_id}-s", labels=labels))
        docker_client.networks.create(f"net-{run_id}", labels=labels)
        docker_client.volumes.create(f"vol-{run_id}", labels=labels)
    state = tmp_path / "state"
    (state / old_run).mkdir(parents=True)
    (state / young_run).mkdir()
    two_hours_ago = (now - timedelta(hours=2)).timestamp()
    os.utime(state / old_run, (two_hours_ago, two_hours_ago))
    try:
        report = collect_garbage(docker_client, older_than=timedelta(hours=1), now=now, state_root=state)
        assert report.folders == [str(state / old_run)]
        assert (state / young_run).is_dir()
        assert _objects(docker_client, old_run) == (0, 0, 0)
        assert _objects(docker_client, young_run) == (1, 1, 1)
        assert f"net-{old_run}" in report.networks
        assert f"vol-{old_run}" in report.volumes
        assert made[0].id in report.containers
        assert report.errors == []
    finally:
        _remove_run(docker_client, old_run)
        _remove_run(docker_client, young_run)


def _remove_run(client: Any, run_id: str) -> None:
    """Only this test's objects: other tests (and other runs) may share the daemon."""
    f = run_filter(run_id)
    api = client.api
    for c in api.containers(all=True, filters=f):
        api.remove_container(c["Id"], force=True)
    for n in api.networks(filters=f):
        api.remove_network(n["Id"])
    for v in (api.volumes(filters=f) or {}).get("Volumes") or []:
        api.remove_volume(v["Name"], force=True)


def test_declared_networks_get_run_unique_names(
    harness_factory: HarnessFactory, base_image: str, docker_client: Any
) -> None:
    harness = harness_factory(
        networks=[NetworkSpec("backend", is_default=True), NetworkSpec("bridge", skip_creation=True)],
        default_network="backend",
    )
    names = {n["Name"] for n in harness.leftovers()["networks"]}
    assert names == {f"backend-{harness.run_id}"}
    (harness.workspace / "ping").write_text("pong\n")
    db = cmd("db", base_image, "httpd", "-f", "-p", "7000", "-h", "/workspace", detach=True, network="backend")
    assert harness.run(db).result.ok
    script = "for i in $(seq 1 30); do wget -q -O - http://db:7000/ping && exit 0; sleep 0.1; done; exit 1"
    probe = harness.run(sh("probe", base_image, script, network="backend"))
    assert probe.result.ok, probe
    assert probe.output == "pong\n"
    on_bridge = harness.run(cmd("plain", base_image, "true", network="bridge"))
    assert on_bridge.result.ok, on_bridge


def test_bad_base64_secret_fails_setup_and_teardown_still_cleans(docker_client: Any, tmp_path: Path) -> None:
    run_id = f"t{uuid.uuid4().hex[:10]}"
    plan = RunPlan(
        run_id=run_id,
        steps=[],
        networks=[NetworkSpec(f"tasks-engine-{run_id}", driver="bridge", is_default=True)],
        volumes=[VolumeSpec("v", {"k": "not base64!"})],
        default_network=f"tasks-engine-{run_id}",
    )
    backend = DockerBackend(options=BackendOptions(state_root=tmp_path / "state"), workspace=tmp_path)
    with pytest.raises(PermanentError, match="failed to decode Base64 value of key 'k' in volume 'v'"):
        backend.setup(plan)
    assert _objects(docker_client, run_id)[1] == 1
    backend.teardown(plan)
    assert _objects(docker_client, run_id) == (0, 0, 0)
    assert not (tmp_path / "state" / run_id).exists()


def test_setup_again_after_a_crash_reuses_the_run_network(docker_client: Any, tmp_path: Path) -> None:
    run_id = f"t{uuid.uuid4().hex[:10]}"
    plan = RunPlan(run_id=run_id, steps=[], default_network=f"tasks-engine-{run_id}")
    first = DockerBackend(options=BackendOptions(state_root=tmp_path / "s"), workspace=tmp_path)
    first.setup(plan)  # the worker "dies" here, without teardown
    second = DockerBackend(options=BackendOptions(state_root=tmp_path / "s"), workspace=tmp_path)
    second.setup(plan)
    second.teardown(plan)
    assert _objects(docker_client, run_id) == (0, 0, 0)
