"""End to end on the real daemon: a step plants symlinks in the shared workspace, a later build names them.

Inside a container a symlink resolves in the container, which is harmless; but a build's context and
Dockerfile are read on the HOST (by the dependency scan and the Docker SDK's tar), so before the fix
``ln -s / /workspace/ctx`` followed by ``build ctx`` sent the host's files to the daemon, and a Dockerfile
symlinked to a host file had its lines quoted in the run record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks_engine.cli.main import main

pytestmark = pytest.mark.integration

BASE = os.environ.get("TE_BASE_IMAGE", "127.0.0.1:5000/tasks-engine/busybox:latest")
MARK = "te-host-marker-3f9c"


@pytest.fixture(scope="module")
def daemon() -> Iterator[Any]:
    try:
        import docker

        client = docker.from_env()
        client.ping()
        client.images.get(BASE)
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Docker or {BASE} not available: {exc}")
        pytest.skip(f"Docker or {BASE} not available: {exc}")
    yield client
    client.close()


def run_task(tmp_path: Path, task: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    (tmp_path / "ctx").mkdir(exist_ok=True)
    (tmp_path / "acr-task.yaml").write_text(task, encoding="utf-8")
    conf = tmp_path / "config.yaml"
    conf.write_text(f"stateRoot: {tmp_path / 'state'}\n", encoding="utf-8")
    rc = main(["run", "-f", str(tmp_path / "acr-task.yaml"), "--config", str(conf), "-o", "json",
               str(tmp_path / "ctx")])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def test_build_through_a_planted_symlink_to_host_files_is_refused(
    daemon: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host_dir = tmp_path / "hostdir"
    host_dir.mkdir()
    (host_dir / "Dockerfile").write_text(f"FROM {BASE}\nRUN echo {MARK}\n", encoding="utf-8")
    task = f"""\
version: v1.1.0
steps:
  - id: plant
    cmd: {BASE} sh -c 'ln -s {host_dir} /workspace/ctx; ln -s {host_dir}/Dockerfile /workspace/Dockerfile'
  - id: via-context
    build: -t te-sec-ctx:latest ctx
    ignoreErrors: true
  - id: via-dockerfile
    build: -t te-sec-df:latest .
    ignoreErrors: true
"""
    rc, record, err = run_task(tmp_path, task, capsys)
    steps = {s["id"]: s for s in record["steps"]}
    assert steps["plant"]["status"] == "successful"
    assert "symlink that leads outside /workspace" in steps["via-context"]["error"]
    assert "symlink that leads outside /workspace" in steps["via-dockerfile"]["error"]
    assert MARK not in json.dumps(record) + err
    for tag in ("te-sec-ctx:latest", "te-sec-df:latest"):
        with pytest.raises(Exception):  # noqa: B017 - docker.errors.ImageNotFound; nothing was built
            daemon.images.get(tag)
    assert rc == 0  # the failures were ignored on purpose; the point is that nothing was built
