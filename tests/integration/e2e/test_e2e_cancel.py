"""Ctrl-C on a real ``tasks-engine`` process: the run ends ``Canceled`` and its containers are gone."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from e2e_support import assert_clean, leftovers, write_task

pytestmark = pytest.mark.integration


def _wait_for_container(client: Any, run_id: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [c for c in leftovers(client, run_id).get("containers", []) if c.get("State") == "running"]
        if running:
            return
        time.sleep(0.1)
    raise AssertionError(f"no running container of run {run_id} after {timeout}s")


def test_sigint_cancels_the_run(cli_exe: Path, subprocess_env: dict[str, str], engine_config: Path,
                                run_ids: Any, tmp_path: Path, docker_client: Any, base_image: str,
                                registry: str) -> None:
    run_id = run_ids("cancel")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: first
            cmd: '{{ .Values.base }} sleep 60'
            when: ["-"]
          - id: second
            cmd: '{{ .Values.base }} sleep 60'
            when: ["-"]
          - id: later
            cmd: '{{ .Values.base }} echo never'
            when: ["first"]
    """)
    argv = [str(cli_exe), "run", "--config", str(engine_config), "-f", str(task), "--id", run_id,
            "--set", f"base={base_image}", "--registry", registry, "-o", "json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env, cwd=tmp_path)
    try:
        _wait_for_container(docker_client, run_id, timeout=20)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert time.monotonic() - started < 15, "cancel did not stop the run promptly"
    assert proc.returncode == 1, f"rc={proc.returncode}\n{out}\n{err}"
    assert "Traceback" not in err
    record = json.loads(out)
    assert record["status"] == "Canceled"
    statuses = {s["id"]: s["status"] for s in record["steps"]}
    assert statuses["later"] == "skipped"
    assert statuses["first"] != "successful"
    final = [ln for ln in err.splitlines() if ln.startswith("Run ID: ")]
    assert final and final[-1].startswith(f"Run ID: {run_id} failed after "), err
    assert_clean(docker_client, run_id)


def test_same_run_id_twice_at_once_is_refused(cli_exe: Path, subprocess_env: dict[str, str],
                                              engine_config: Path, run_ids: Any, tmp_path: Path,
                                              docker_client: Any, base_image: str) -> None:
    """A second run with the id of a run in progress must not start: its teardown would remove the first
    run's containers (they share the run-id label)."""
    run_id = run_ids("dup")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - cmd: '{{ .Values.base }} sleep 3'
    """)
    argv = [str(cli_exe), "run", "--config", str(engine_config), "-f", str(task), "--id", run_id,
            "--set", f"base={base_image}", "-o", "json"]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=subprocess_env, cwd=tmp_path)
    try:
        _wait_for_container(docker_client, run_id, timeout=20)
        second = subprocess.run(argv, capture_output=True, text=True, env=subprocess_env, cwd=tmp_path,
                                timeout=30)
        out, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert second.returncode == 2, second
    assert run_id in second.stderr and "Traceback" not in second.stderr
    assert first.returncode == 0, err
    assert json.loads(out)["status"] == "Succeeded"
    assert_clean(docker_client, run_id)
