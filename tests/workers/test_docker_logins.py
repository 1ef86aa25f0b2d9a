"""A worker process points the Docker SDK at an empty client config (no host login reaches a run), also where
its state root cannot be written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workers.runtime import isolate_docker_logins


def test_the_sdk_is_pointed_at_an_empty_config_in_the_state_root(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", "/root/.docker")
    folder = tmp_path / "service" / "docker-config"
    isolate_docker_logins(folder)
    assert os.environ["DOCKER_CONFIG"] == str(folder)
    assert json.loads((folder / "config.json").read_text()) == {}
    assert folder.stat().st_mode & 0o077 == 0


def test_an_unwritable_state_root_gets_a_private_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", "/root/.docker")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state root should be")
    isolate_docker_logins(blocker / "service" / "docker-config")
    used = Path(os.environ["DOCKER_CONFIG"])
    assert used.name.startswith("tasks-engine-docker-config-")
    assert json.loads((used / "config.json").read_text()) == {}
