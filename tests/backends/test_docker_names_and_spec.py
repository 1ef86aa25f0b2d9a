"""Pure mappings of the Docker backend: names, labels, ports, env, entry points, sizes, paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.backends.docker.names import (
    LABEL_CREATED,
    LABEL_RUN_ID,
    LABEL_STEP_ID,
    container_name,
    docker_name,
    network_name,
    run_labels,
)
from tasks_engine.backends.docker.push import backoff
from tasks_engine.backends.docker.spec import (
    StepConfigError,
    aliases_for,
    merge_env,
    nano_cpus,
    parse_ports,
    parse_size,
    resolve_build_args,
    split_entry_point,
)
from tasks_engine.backends.docker.workspace import host_path, is_remote_context, resolve_in_workdir

_DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")


def test_container_names_are_run_unique_and_valid() -> None:
    assert container_name("run1", "build") == "te-run1-build"
    assert container_name("run1", "build", attempt=2) == "te-run1-build-2"
    weird = container_name("run1", "ünï/côde")
    assert _DOCKER_NAME.fullmatch(weird)
    assert weird != container_name("run1", "ünï_côde")


@given(st.text(min_size=1))
def test_docker_name_is_always_valid_and_injective_enough(text: str) -> None:
    name = docker_name(text)
    assert _DOCKER_NAME.fullmatch(name)
    assert len(name) <= 200
    if _DOCKER_NAME.fullmatch(text) and len(text) <= 200:
        assert name == text


def test_network_names() -> None:
    assert network_name("mynet", "r1") == "mynet-r1"
    assert network_name("external", "r1", skip_creation=True) == "external"
    assert network_name("host", "r1") == "host"
    assert network_name("tasks-engine-r1", "r1") == "tasks-engine-r1"


def test_labels() -> None:
    assert run_labels("r", step_id="s", created=12.7) == {LABEL_RUN_ID: "r", LABEL_STEP_ID: "s", LABEL_CREATED: "12"}
    assert LABEL_STEP_ID not in run_labels("r", created=1)


def test_aliases_only_on_user_defined_networks() -> None:
    assert aliases_for("tasks-engine-r", "web") == ["web"]
    assert aliases_for("bridge", "web") == []
    assert aliases_for(None, "web") == []


def test_ports_in_every_cli_form() -> None:
    exposed, bindings = parse_ports(["8080:80", "127.0.0.1:9090:90/udp", "70", "127.0.0.1::60"], ["81", "82/udp"])
    assert bindings == {
        "80/tcp": ["8080"],
        "90/udp": [("127.0.0.1", "9090")],
        "70/tcp": [None],
        "60/tcp": [("127.0.0.1", None)],
    }
    assert exposed == [("80", "tcp"), ("90", "udp"), ("70", "tcp"), ("60", "tcp"), ("81", "tcp"), ("82", "udp")]


def test_expose_ranges_and_errors() -> None:
    exposed, _ = parse_ports([], ["8000-8002"])
    assert exposed == [("8000", "tcp"), ("8001", "tcp"), ("8002", "tcp")]
    with pytest.raises(StepConfigError, match="invalid ports value"):
        parse_ports(["not-a-port"], [])
    with pytest.raises(StepConfigError, match="invalid expose value"):
        parse_ports([], ["80/xyz"])
    with pytest.raises(StepConfigError, match="invalid expose value"):
        parse_ports([], ["eighty"])


def test_env_from_the_step_wins_over_home() -> None:
    assert merge_env(["HOME=/acb/home"], ["A=1", "HOME=/x", "A=2"]) == ["HOME=/x", "A=2"]
    assert merge_env(["HOME=/acb/home"], []) == ["HOME=/acb/home"]


def test_entry_point_is_shell_split() -> None:
    assert split_entry_point("sh -c") == ["sh", "-c"]
    assert split_entry_point("'/my app/run'") == ["/my app/run"]
    assert split_entry_point(None) is None
    assert split_entry_point("  ") is None
    with pytest.raises(StepConfigError, match="invalid entryPoint"):
        split_entry_point("'unterminated")


def test_cpus() -> None:
    assert nano_cpus("1.5") == 1_500_000_000
    assert nano_cpus(None) is None
    for bad in ("zero", "0", "-1"):
        with pytest.raises(StepConfigError, match="invalid cpus"):
            nano_cpus(bad)


@pytest.mark.parametrize(
    ("text", "size"), [("1024", 1024), ("64m", 64 * 1024**2), ("1g", 1024**3), ("2kb", 2048), ("10b", 10)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_size() -> None:
    assert parse_size(None) is None
    with pytest.raises(StepConfigError, match="invalid size"):
        parse_size("lots")


def test_build_args_from_the_step_env() -> None:
    args = resolve_build_args({"A": "1", "B": None, "C": None}, ["B=from-env", "X=y"])
    assert args == {"A": "1", "B": "from-env"}


def test_workspace_paths() -> None:
    ws = Path("/host/ws")
    assert host_path(ws, "/workspace", workspace_mount="/workspace") == ws
    assert host_path(ws, "/workspace/a/../b", workspace_mount="/workspace") == ws / "b"
    assert host_path(ws, "/workspace2/x", workspace_mount="/workspace") is None
    assert host_path(ws, "/etc", workspace_mount="/workspace") is None
    assert resolve_in_workdir("/workspace/sub", "..") == "/workspace"
    assert resolve_in_workdir("/workspace/sub", "/abs") == "/abs"
    assert is_remote_context("https://github.com/a/b.git#main")
    assert not is_remote_context("./github")


def test_push_backoff_is_capped() -> None:
    assert [backoff(n, base=0.25, cap=5) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0]


@given(st.lists(st.text(max_size=30), max_size=4), st.lists(st.text(max_size=15), max_size=4))
def test_any_port_text_parses_or_says_why(ports: list[str], expose: list[str]) -> None:
    try:
        exposed, bindings = parse_ports(ports, expose)
    except StepConfigError as exc:
        assert str(exc).startswith(("invalid ports value", "invalid expose value"))
        return
    assert all(proto in ("tcp", "udp", "sctp") for _, proto in exposed)
    assert set(bindings) <= {f"{n}/{p}" for n, p in exposed}


@given(st.text(max_size=20))
def test_any_size_or_cpus_text_parses_or_says_why(text: str) -> None:
    for parse, prefix in ((parse_size, "invalid size"), (nano_cpus, "invalid cpus")):
        try:
            value = parse(text)
        except StepConfigError as exc:
            assert str(exc).startswith(prefix)
        else:
            assert value is None or value >= 0


@given(st.text(max_size=40))
def test_any_entry_point_splits_or_says_why(text: str) -> None:
    try:
        words = split_entry_point(text)
    except StepConfigError as exc:
        assert str(exc).startswith("invalid entryPoint")
    else:
        assert words is None or all(isinstance(w, str) for w in words)
