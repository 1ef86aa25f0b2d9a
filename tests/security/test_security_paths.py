"""Host-side code must never follow a symlink (or a ``..``) out of the run's folders.

The workspace is bind-mounted into steps, so symlinks resolved *inside* a container are harmless; these tests
cover the places where this process (or the Docker SDK on the host) reads files named by a task file or by a
possibly hostile context: build context, Dockerfile, .dockerignore, task/values files found in the context,
run ids used as folder names.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tasks_engine.backends.docker.build import BuildPaths, run_build
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.workspace import RunPaths
from tasks_engine.cli.main import main
from tasks_engine.errors import UsageError
from tasks_engine.plan.model import BuildSpec, StepSpec, StepType
from tasks_engine.service.files import read_text_file
from tasks_engine.service.runids import checked_run_id

SECRET_LINE = "root:$6$hostsecret:19000:0:99999:7:::"


class ExplodingApi:
    """Any call to the daemon fails the test: the build must be refused before it reaches Docker."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the daemon was called ({name}) for a build that must be refused")


class Client:
    api = ExplodingApi()


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    outside = tmp_path / "host"
    outside.mkdir()
    secret = outside / "shadow"
    secret.write_text(f"{SECRET_LINE}\n", encoding="utf-8")
    return secret


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "run" / "workspace"
    ws.mkdir(parents=True)
    (ws / "Dockerfile").write_text("FROM busybox\n", encoding="utf-8")
    return ws


def make_ctx(workspace: Path, tmp_path: Path) -> RunContext:
    return RunContext(
        client=Client(),
        run_id="r1",
        workspace=workspace,
        paths=RunPaths(tmp_path / "state" / "r1"),
        options=BackendOptions(state_root=tmp_path / "state"),
        credentials=[],
        clock=time.time,
    )


def build_step(context: str = ".", dockerfile: str = "Dockerfile", workdir: str | None = "/workspace") -> StepSpec:
    return StepSpec(
        id="b",
        type=StepType.BUILD,
        working_directory=workdir,
        build=BuildSpec(context=context, dockerfile=dockerfile),
    )


def refused(ctx: RunContext, step: StepSpec) -> str:
    result = run_build(ctx, step, log=lambda _text: None, stop=threading.Event())
    assert result.ok is False
    assert result.error is not None
    assert SECRET_LINE not in result.error and "hostsecret" not in result.error
    return result.error


def test_dockerfile_symlink_to_a_host_file_is_refused(workspace: Path, tmp_path: Path, host_file: Path) -> None:
    (workspace / "Dockerfile").unlink()
    os.symlink(host_file, workspace / "Dockerfile")
    error = refused(make_ctx(workspace, tmp_path), build_step())
    assert "symlink that leads outside /workspace" in error


def test_named_dockerfile_symlink_is_refused(workspace: Path, tmp_path: Path, host_file: Path) -> None:
    os.symlink(host_file, workspace / "Evil.Dockerfile")
    error = refused(make_ctx(workspace, tmp_path), build_step(dockerfile="Evil.Dockerfile"))
    assert "Dockerfile /workspace/Evil.Dockerfile" in error


def test_relative_dockerfile_symlink_climbing_out_is_refused(workspace: Path, tmp_path: Path, host_file: Path) -> None:
    host_file.write_text(f"FROM busybox\n# {SECRET_LINE}\n", encoding="utf-8")  # scans fine: only the check stops it
    os.symlink(os.path.relpath(host_file, workspace), workspace / "df")
    assert "leads outside" in refused(make_ctx(workspace, tmp_path), build_step(dockerfile="df"))


def test_context_symlink_to_host_root_is_refused(workspace: Path, tmp_path: Path, host_file: Path) -> None:
    os.symlink(host_file.parent, workspace / "ctx")
    error = refused(make_ctx(workspace, tmp_path), build_step(context="ctx"))
    assert "build context /workspace/ctx is a symlink" in error


def test_symlink_in_the_middle_of_the_context_path_is_refused(
    workspace: Path, tmp_path: Path, host_file: Path
) -> None:
    os.symlink(host_file.parent.parent, workspace / "up")
    refused(make_ctx(workspace, tmp_path), build_step(context="up/host"))


def test_dockerignore_symlink_to_a_host_file_is_refused(workspace: Path, tmp_path: Path, host_file: Path) -> None:
    os.symlink(host_file, workspace / ".dockerignore")
    error = refused(make_ctx(workspace, tmp_path), build_step())
    assert ".dockerignore" in error


@pytest.mark.parametrize(
    ("context", "workdir"),
    [("../../..", "/workspace"), (".", "/"), (".", "../../../../"), ("/etc", "/workspace"), ("/", None)],
)
def test_context_or_working_directory_outside_the_workspace_is_refused(
    workspace: Path, tmp_path: Path, context: str, workdir: str | None
) -> None:
    error = refused(make_ctx(workspace, tmp_path), build_step(context=context, workdir=workdir))
    assert "outside /workspace" in error


def test_dockerfile_dotdot_outside_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    assert "outside /workspace" in refused(make_ctx(workspace, tmp_path), build_step(dockerfile="../../etc/passwd"))


def test_symlinks_that_stay_inside_the_workspace_still_work(workspace: Path, tmp_path: Path) -> None:
    (workspace / "app").mkdir()
    (workspace / "app" / "Dockerfile.prod").write_text("FROM busybox\n", encoding="utf-8")
    os.symlink("app", workspace / "current")
    os.symlink("app/Dockerfile.prod", workspace / "df")
    paths = BuildPaths(make_ctx(workspace, tmp_path), build_step(context="current"), BuildSpec(context="current"))
    assert paths.context == os.path.realpath(workspace / "app")
    assert paths.dockerfile == os.path.realpath(workspace / "app" / "Dockerfile")
    paths = BuildPaths(make_ctx(workspace, tmp_path), build_step(), BuildSpec(context=".", dockerfile="df"))
    assert paths.dockerfile == os.path.realpath(workspace / "app" / "Dockerfile.prod")


# -- files found in the (possibly hostile) context ------------------------------------------------------------


def test_task_file_symlinked_out_of_the_context_is_not_read(tmp_path: Path, host_file: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    os.symlink(host_file, context / "acr-task.yaml")
    monkeypatch.chdir(tmp_path / "host")  # the file is not in the working directory: only the context has it
    with pytest.raises(UsageError, match="leads outside the source context") as info:
        read_text_file("acr-task.yaml", what="task file", search_dirs=(context,))
    assert "hostsecret" not in str(info.value)


def test_task_file_with_dotdot_out_of_the_context_is_not_read(tmp_path: Path, host_file: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    context = tmp_path / "a" / "b" / "ctx"
    context.mkdir(parents=True)
    monkeypatch.chdir(host_file.parent)  # from here the relative path names nothing; from the context it does
    with pytest.raises(UsageError, match="leads outside the source context"):
        read_text_file("../../../host/shadow", what="values file", search_dirs=(context,))


def test_files_inside_the_context_are_still_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = tmp_path / "ctx"
    (context / "ci").mkdir(parents=True)
    (context / "ci" / "task.yaml").write_text("steps: []\n", encoding="utf-8")
    os.symlink("ci/task.yaml", context / "link.yaml")
    monkeypatch.chdir(tmp_path)
    assert read_text_file("link.yaml", what="task file", search_dirs=(context,))[0] == "steps: []\n"


# -- run ids -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../../x", "..", ".", "/", "/tmp/x", "a b", "a/b", "", "-x", "x\n", "é", "a" * 129])
def test_invalid_run_ids_are_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="invalid run id"):
        checked_run_id(bad)


@pytest.mark.parametrize("good", ["r1", "e2e-bld-1a2b3c4d", "cb1.2_x", "A" * 128])
def test_valid_run_ids_are_kept(good: str) -> None:
    assert checked_run_id(good) == good


def test_run_with_a_path_traversal_id_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before the fix ``--id ../../victim`` created ``<state>/runs/../../victim/workspace`` and removed the
    whole ``victim`` folder when the run ended."""
    state = tmp_path / "state"
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"stateRoot: {state}\n", encoding="utf-8")
    rc = main(["run", "--config", str(config), "--id", "../../victim", "--cmd", "busybox true", "/dev/null"])
    assert rc == 2
    assert "invalid run id" in capsys.readouterr().err
    assert (victim / "precious").read_text(encoding="utf-8") == "keep me"
    assert not (victim / "workspace").exists()
