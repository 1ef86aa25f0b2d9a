"""A step may not join another run's network or container namespace (several runs share one Docker host).

Before the fix ``network: tasks-engine-<other-run>`` or ``network: container:te-<other-run>-<step>`` was handed to
Docker as it was, so one tenant's task could sniff or reach another tenant's steps.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import docker.errors
import pytest

from tasks_engine.backends.docker.build import run_build
from tasks_engine.backends.docker.containers import run_cmd
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.netpolicy import resolve_network
from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.spec import StepConfigError, aliases_for
from tasks_engine.backends.docker.workspace import RunPaths
from tasks_engine.plan.model import BuildSpec, StepSpec, StepType


def not_found(name: str) -> docker.errors.NotFound:
    return docker.errors.NotFound(f"no such object: {name}")


class FakeApi:
    """Objects of two runs: ``mine`` (run r1) and ``other`` (run r2), plus an unlabelled network."""

    containers: ClassVar[dict[str, Any]] = {
        "te-r1-web": {"Config": {"Labels": {"tasks-engine.run-id": "r1"}}},
        "te-r2-db": {"Config": {"Labels": {"tasks-engine.run-id": "r2"}}},
        "someone-else": {"Config": {"Labels": {}}},
    }
    networks: ClassVar[dict[str, Any]] = {
        "tasks-engine-r2": {"Labels": {"tasks-engine.run-id": "r2"}},
        "ops-net": {"Labels": {}},
    }

    def inspect_container(self, name: str) -> dict[str, Any]:
        if name not in self.containers:
            raise not_found(name)
        return self.containers[name]

    def inspect_network(self, name: str) -> dict[str, Any]:
        if name not in self.networks:
            raise not_found(name)
        return self.networks[name]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected daemon call {name}")


class Client:
    api = FakeApi()


def ctx(tmp_path: Path, *, allow_host_network: bool = False) -> RunContext:
    options = BackendOptions(state_root=tmp_path, allow_host_network=allow_host_network)
    context = RunContext(client=Client(), run_id="r1", workspace=tmp_path, paths=RunPaths(tmp_path / "s"),
                         options=options, credentials=[], clock=time.time)
    context.networks["default"] = "tasks-engine-r1"
    return context


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (None, None),
        ("none", "none"),
        ("default", "tasks-engine-r1"),
        ("ops-net", "ops-net"),  # created outside the engine: usable, as in ACR
        ("not-yet-there", "not-yet-there"),  # Docker itself reports a missing network
        ("container:web", "container:te-r1-web"),  # a step id of this run
        ("container:te-r1-web", "container:te-r1-web"),
    ],
)
def test_own_and_unowned_networks_are_allowed(tmp_path: Path, declared: str | None, expected: str | None) -> None:
    assert resolve_network(ctx(tmp_path), declared) == expected


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("tasks-engine-r2", "belongs to another run"),
        ("container:te-r2-db", "only containers of this run"),
        ("container:someone-else", "only containers of this run"),
        ("container:ghost", "no such container"),
    ],
)
def test_other_runs_networks_and_containers_are_refused(tmp_path: Path, declared: str, message: str) -> None:
    with pytest.raises(StepConfigError, match=message):
        resolve_network(ctx(tmp_path), declared)


def test_cmd_step_on_another_runs_network_fails_before_any_container(tmp_path: Path) -> None:
    step = StepSpec(id="s", type=StepType.CMD, image="busybox", network="tasks-engine-r2")
    result = run_cmd(ctx(tmp_path), step, attempt=1, log=lambda _t: None, stop=threading.Event())
    assert not result.ok
    assert result.error is not None and "belongs to another run" in result.error


def test_build_step_in_another_runs_container_namespace_fails(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n", encoding="utf-8")
    step = StepSpec(id="b", type=StepType.BUILD, build=BuildSpec(network="container:te-r2-db"))
    result = run_build(ctx(tmp_path), step, log=lambda _t: None, stop=threading.Event())
    assert not result.ok
    assert result.error is not None and "only containers of this run" in result.error


def test_container_network_mode_gets_no_aliases() -> None:
    assert aliases_for("container:te-r1-web", "x") == []


def test_host_network_needs_the_operators_consent(tmp_path: Path) -> None:
    with pytest.raises(StepConfigError, match="allowHostNetwork"):
        resolve_network(ctx(tmp_path), "host")
    assert resolve_network(ctx(tmp_path, allow_host_network=True), "host") == "host"


def test_host_network_build_is_refused_by_default(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n", encoding="utf-8")
    step = StepSpec(id="b", type=StepType.BUILD, build=BuildSpec(network="host"))
    result = run_build(ctx(tmp_path), step, log=lambda _t: None, stop=threading.Event())
    assert not result.ok
    assert result.error is not None and "allowHostNetwork" in result.error


def test_config_key_reaches_the_backend(tmp_path: Path) -> None:
    from tasks_engine.config import load_config

    conf = tmp_path / "config.yaml"
    conf.write_text("allowHostNetwork: true\n", encoding="utf-8")
    assert load_config(str(conf)).allow_host_network is True
    conf.write_text("{}\n", encoding="utf-8")
    assert load_config(str(conf)).allow_host_network is False


def test_cli_passes_the_host_network_policy_to_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks_engine.cli.main import main
    from tasks_engine.service import runner as run_cmds

    seen: list[BackendOptions] = []

    class Stop(Exception):
        pass

    def fake_backend(*, options: BackendOptions, **_: object) -> None:
        seen.append(options)
        raise Stop

    monkeypatch.setattr(run_cmds, "DockerBackend", fake_backend)
    conf = tmp_path / "config.yaml"
    conf.write_text(f"stateRoot: {tmp_path / 'state'}\nallowHostNetwork: true\n", encoding="utf-8")
    assert main(["run", "--cmd", "busybox true", "--config", str(conf), "/dev/null"]) == 1
    assert seen and seen[0].allow_host_network is True
