"""Engine configuration and duration parsing: bad input is a one-line error naming the file and key."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.cli.durations import parse_duration
from tasks_engine.config import load_config
from tasks_engine.errors import UsageError


def test_config_defaults_when_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("TASKS_ENGINE_CONFIG", raising=False)
    config = load_config(None)
    assert config.allow_privileged is False
    assert config.mount_docker_socket is False


def test_config_full(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "allowPrivileged: true\nmaxParallel: 3\nimageAliases: {bash: local/bash:1}\n"
        "registries:\n  - {registry: r.local, username: u, password: pw}\n"
    )
    config = load_config(str(path))
    assert config.allow_privileged is True
    assert config.max_parallel == 3
    assert config.image_aliases == {"bash": "local/bash:1"}
    assert config.registries[0].registry == "r.local"
    assert "pw" not in repr(config)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("allowPrivileged: [1]\n", "allowPrivileged must be a bool"),
        ("bogus: 1\n", "unknown key(s) bogus"),
        ("registries: [{registry: x}]\n", "registries[0] needs"),
        ("a: [\n", "invalid YAML"),
        ("- 1\n", "must be a mapping"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=None) as info:
        load_config(str(path))
    assert needle in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)],
)
def test_durations(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


@given(st.text(max_size=20))
def test_durations_never_crash(text: str) -> None:
    with contextlib.suppress(UsageError):
        parse_duration(text)
