"""Fixtures for the end-to-end tests: the CLI bound to a private engine configuration, and run ids whose
Docker leftovers are checked (and removed) after every test.

Service fixtures (``docker_client``, ``registry``, ``base_image``) come from tests/integration/conftest.py:
they skip locally and fail under ``CI=true`` when a service is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import REPO_ROOT, Cli, leftovers, new_run_id, remove_images


@pytest.fixture(scope="session")
def state_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("te-state")


@pytest.fixture(scope="session")
def engine_config(state_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run folders and secret files under the test's tmp, never under /var/tmp/tasks-engine."""
    path = tmp_path_factory.mktemp("te-config") / "config.yaml"
    path.write_text(f"stateRoot: {state_root}\n", encoding="utf-8")
    return path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], engine_config: Path, docker_client: Any, registry: str,
        base_image: str) -> Cli:
    return Cli(capsys, engine_config, base_image, registry)


@pytest.fixture
def run_ids(docker_client: Any) -> Iterator[Any]:
    """``run_ids("tag")`` -> a fresh run id. After the test: no labelled container, network or volume of any
    of these runs may remain (checked, then removed so one failure does not pollute the next tests), and
    the images the runs built are deleted."""
    made: list[str] = []

    def make(tag: str) -> str:
        run_id = new_run_id(tag)
        made.append(run_id)
        return run_id

    yield make
    problems: dict[str, Any] = {}
    for run_id in made:
        left = leftovers(docker_client, run_id)
        if left:
            problems[run_id] = left
            _force_remove(docker_client, left)
        remove_images(docker_client, run_id)
    assert not problems, f"runs left labelled Docker objects behind: {problems}"


def _force_remove(client: Any, left: dict[str, list[Any]]) -> None:
    api = client.api
    for container in left.get("containers", []):
        with contextlib.suppress(Exception):
            api.remove_container(container["Id"], force=True)
    for network in left.get("networks", []):
        with contextlib.suppress(Exception):
            api.remove_network(network["Id"])
    for volume in left.get("volumes", []):
        with contextlib.suppress(Exception):
            api.remove_volume(volume["Name"], force=True)


@pytest.fixture(scope="session")
def cli_exe() -> Path:
    """The installed console script, for tests where signals matter."""
    exe = REPO_ROOT / ".venv" / "bin" / "tasks-engine"
    if not exe.exists():
        message = f"{exe} not installed; run scripts/setup.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return exe


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TASKS_ENGINE_CONFIG", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env
