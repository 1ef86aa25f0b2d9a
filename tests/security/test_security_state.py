"""The run's host folders: written afresh, never through a symlink a step planted, private modes.

Why: a run redelivered with the same id (crash recovery) finds the ``home`` folder its steps wrote into
(``/acb/home`` is a writable bind mount). Before the fix ``prepare_home`` wrote ``.docker/config.json``
through whatever symlink a step had put there, and chmod-ed its target: a host file write as the engine user.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from tasks_engine.backends.docker.secrets import write_secret_volumes
from tasks_engine.backends.docker.workspace import RunPaths, prepare_home
from tasks_engine.errors import PermanentError
from tasks_engine.plan.model import VolumeSpec


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "host-etc"
    folder.mkdir()
    (folder / "config.json").write_text("host file\n", encoding="utf-8")
    (folder / "config.json").chmod(0o644)
    return folder


def test_prepare_home_does_not_follow_a_planted_docker_dir_symlink(tmp_path: Path, outside: Path) -> None:
    paths = RunPaths(tmp_path / "runs" / "r1")
    paths.home.mkdir(parents=True)
    os.symlink(outside, paths.home / ".docker")
    prepare_home(paths, credentials=None)
    assert (outside / "config.json").read_text(encoding="utf-8") == "host file\n"
    assert stat.S_IMODE(os.stat(outside / "config.json").st_mode) == 0o644
    assert not (paths.home / ".docker").is_symlink()
    assert "HttpHeaders" in (paths.home / ".docker" / "config.json").read_text(encoding="utf-8")


def test_prepare_home_does_not_follow_a_planted_config_symlink(tmp_path: Path, outside: Path) -> None:
    paths = RunPaths(tmp_path / "runs" / "r1")
    (paths.home / ".docker").mkdir(parents=True)
    os.symlink(outside / "config.json", paths.home / ".docker" / "config.json")
    prepare_home(paths, credentials=None)
    assert (outside / "config.json").read_text(encoding="utf-8") == "host file\n"
    config = paths.home / ".docker" / "config.json"
    assert not config.is_symlink()
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths.root).st_mode) == 0o700


def test_secret_volume_rewrite_does_not_follow_symlinks(tmp_path: Path, outside: Path) -> None:
    paths = RunPaths(tmp_path / "runs" / "r1")
    folder = paths.volume("sv")
    folder.mkdir(parents=True)
    os.symlink(outside / "config.json", folder / "key")
    value = base64.b64encode(b"s3cret").decode()
    write_secret_volumes([VolumeSpec("sv", {"key": value})], paths)
    assert (outside / "config.json").read_text(encoding="utf-8") == "host file\n"
    assert (folder / "key").read_bytes() == b"s3cret"
    assert stat.S_IMODE(os.stat(folder / "key").st_mode) == 0o400


def test_secret_volume_written_twice_replaces_read_only_files(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "runs" / "r1")
    for content in (b"first", b"second"):
        write_secret_volumes([VolumeSpec("sv", {"key": base64.b64encode(content).decode()})], paths)
    assert (paths.volume("sv") / "key").read_bytes() == b"second"


@pytest.mark.parametrize(("name", "key"), [("..", "k"), ("a/../..", "k"), ("sv", "../../x"), ("sv", "a/b"),
                                           ("sv", ".."), ("", "k"), ("sv", "x\x00y")])
def test_volume_and_key_names_cannot_leave_the_folder(tmp_path: Path, name: str, key: str) -> None:
    paths = RunPaths(tmp_path / "runs" / "r1")
    with pytest.raises(PermanentError, match="plain file name"):
        write_secret_volumes([VolumeSpec(name, {key: "eA=="})], paths)
    assert not (tmp_path / "x").exists()


def test_cli_run_folder_is_private_before_the_context_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_engine.cli.main import main
    from tasks_engine.errors import UsageError
    from tasks_engine.service import runner as run_cmds

    seen: dict[str, int] = {}

    def fake_materialize(spec: object, workspace: Path, **_: object) -> None:
        seen["mode"] = stat.S_IMODE(os.stat(workspace.parent).st_mode)
        raise UsageError("stop here")

    monkeypatch.setattr(run_cmds, "materialize_context", fake_materialize)
    old = os.umask(0o022)
    try:
        conf = tmp_path / "config.yaml"
        conf.write_text(f"stateRoot: {tmp_path / 'state'}\n", encoding="utf-8")
        assert main(["run", "--cmd", "busybox true", "--config", str(conf), "--id", "r1", "/dev/null"]) == 2
    finally:
        os.umask(old)
    assert seen["mode"] == 0o700


def test_gc_never_follows_a_symlink_in_the_state_root(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tasks_engine.backends.docker.gc import collect_garbage

    class Api:
        def containers(self, **_: object) -> list[object]:
            return []

        def networks(self, **_: object) -> list[object]:
            return []

        def volumes(self, **_: object) -> dict[str, list[object]]:
            return {"Volumes": []}

    class Client:
        api = Api()

    target = tmp_path / "precious"
    target.mkdir()
    (target / "data").write_text("keep", encoding="utf-8")
    state = tmp_path / "runs"
    state.mkdir()
    os.symlink(target, state / "link")
    old_run = state / "r-old"
    old_run.mkdir()
    os.utime(old_run, (0, 0))
    report = collect_garbage(Client(), older_than=timedelta(0), now=datetime.now(UTC) + timedelta(days=1),
                             state_root=state)
    assert (target / "data").read_text(encoding="utf-8") == "keep"
    assert report.folders == [str(old_run)]
    assert not old_run.exists()
