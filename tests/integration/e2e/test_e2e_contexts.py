"""Where the task file and the context come from: a tarball over HTTP, the task file on stdin, and a
relative task file found inside the context folder (``tasks-engine run -f acr-task.yaml ./app``)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cli, assert_clean, serve_folder, write_tarball, write_task

pytestmark = pytest.mark.integration

LIST_TASK = """
    version: v1.1.0
    steps:
      - cmd: '{{ .Values.base }} find . -type f'
"""


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback, like a tarball context on a web server."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve_folder(folder) as url:
        yield folder, url


def test_tarball_context_over_http(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                   http_folder: tuple[Path, str]) -> None:
    run_id = run_ids("tgz")
    folder, url = http_folder
    write_tarball(folder / "ctx.tar.gz", {"src/main.txt": "main\n", "README": "readme\n"})
    task = write_task(tmp_path, LIST_TASK)
    result = cli.run_task(task, run_id, context=f"{url}/ctx.tar.gz")
    result.assert_succeeded(run_id)
    assert "./src/main.txt" in result.err
    assert "./README" in result.err
    assert_clean(docker_client, run_id)


def test_tarball_context_404_is_a_clear_error(cli: Cli, run_ids: Any, tmp_path: Path,
                                              http_folder: tuple[Path, str]) -> None:
    run_id = run_ids("t404")
    _, url = http_folder
    task = write_task(tmp_path, LIST_TASK)
    result = cli.run_task(task, run_id, context=f"{url}/missing.tar.gz")
    assert result.rc in (1, 2), result.describe()
    assert "Traceback" not in result.text
    assert "internal error" not in result.err, result.describe()
    assert "missing.tar.gz" in result.err and "404" in result.err, result.describe()


def test_task_file_from_stdin(cli: Cli, run_ids: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = run_ids("stdin")
    (tmp_path / "only-here.txt").write_text("x\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(textwrap.dedent(LIST_TASK).lstrip()))
    result = cli.run_task("-", run_id, context=tmp_path)
    result.assert_succeeded(run_id)
    assert "./only-here.txt" in result.err


def test_relative_task_file_found_in_context(cli: Cli, run_ids: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = run_ids("rel")
    app = tmp_path / "app"
    app.mkdir()
    write_task(app, LIST_TASK, name="acr-task.yaml")
    monkeypatch.chdir(tmp_path)  # acr-task.yaml is not here, only in the context
    result = cli.run_task("acr-task.yaml", run_id, context="app")
    result.assert_succeeded(run_id)
    assert "./acr-task.yaml" in result.err


def test_local_context_packed_like_az_acr_run(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    """``az acr run -f task.yaml <folder>`` uploads the folder packed like ``az acr build`` does (spec §6.4):
    ``.dockerignore`` rules and the top-level VCS names (``.git``, ``.gitignore``...) are left out, so steps
    never see them in /workspace."""
    run_id = run_ids("pack")
    context = tmp_path / "ctx"
    (context / ".git").mkdir(parents=True)
    (context / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (context / ".gitignore").write_text("*.log\n")
    (context / ".dockerignore").write_text("secrets.env\n")
    (context / "secrets.env").write_text("TOKEN=do-not-upload\n")
    (context / "app.txt").write_text("app\n")
    task = write_task(tmp_path, LIST_TASK)
    result = cli.run_task(task, run_id, context=context)
    result.assert_succeeded(run_id)
    assert "./app.txt" in result.err
    assert "./secrets.env" not in result.err, "a .dockerignore'd file reached /workspace"
    assert "./.git/HEAD" not in result.err, ".git reached /workspace"
    assert "./.gitignore" not in result.err
