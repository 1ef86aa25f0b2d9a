"""``tasks-engine task ...`` against the real API and a real worker: create, list, show, update, run (and
follow), list-runs, logs of the last run, cancel-run, delete with and without confirmation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import FINAL_OK, api, cli, queued_id, served, wait_for_log, wait_for_status
from harness import ServiceStack

pytestmark = pytest.mark.integration
__all__ = ["served"]  # the fixture, imported


def test_a_task_from_create_to_delete(served: ServiceStack, tmp_path: Path, base_image: str) -> None:
    task_file = tmp_path / "hello.yaml"
    task_file.write_text(f"version: v1.1.0\nsteps:\n  - cmd: {base_image} echo hello {{{{.Values.who}}}} "
                         "{{.Values.pw}}\n")
    created = cli(served, "task", "create", "-n", "hello-task", "-f", str(task_file), "--set", "who=world",
                  "--set-secret", "pw=pa55w0rd-xyz", "--timeout", "600")
    assert created.rc == 0, created.describe()
    lines = created.out.splitlines()
    assert lines[0].split() == ["NAME", "PLATFORM", "STATUS", "SOURCE", "REPOSITORY", "TRIGGERS"]
    assert lines[2].split() == ["hello-task", "linux", "Enabled", "BASE_IMAGE"]  # on by default, as in ACR
    shown = json.loads(cli(served, "task", "show", "-n", "hello-task", "-o", "json").out)
    assert shown["timeout"] == 600 and "pa55w0rd-xyz" not in json.dumps(shown)

    ran = cli(served, "task", "run", "-n", "hello-task", "--set", "who=there")
    assert ran.rc == 0, ran.describe()
    run_id = queued_id(ran.err)
    assert ran.err.splitlines() == [f"Queued a run with ID: {run_id}", "Waiting for an agent..."]
    assert "hello there ***" in ran.out and "pa55w0rd-xyz" not in ran.out
    assert FINAL_OK in ran.out.splitlines()[-1]

    runs = cli(served, "task", "list-runs", "--name", "hello-task")
    assert runs.rc == 0
    row = runs.out.splitlines()[2].split()
    assert row[:5] == [run_id, "hello-task", "linux", "Succeeded", "Manual"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[5]) and re.fullmatch(r"\d\d:\d\d:\d\d", row[6])

    logs = cli(served, "task", "logs", "--name", "hello-task")
    assert logs.rc == 0
    assert logs.err.splitlines() == ["Showing logs of the last created run for task 'hello-task'.",
                                     f"Run ID: {run_id}"]
    assert logs.out == ran.out

    updated = cli(served, "task", "update", "-n", "hello-task", "--status", "Disabled")
    assert updated.rc == 0 and updated.out.splitlines()[2].split()[2] == "Disabled"
    refused = cli(served, "task", "run", "-n", "hello-task")
    assert refused.rc == 1 and len(refused.err.splitlines()) == 1, refused.describe()

    assert cli(served, "task", "delete", "-n", "hello-task", stdin="").rc == 2  # no terminal, no --yes
    assert cli(served, "task", "delete", "-n", "hello-task", "--yes").rc == 0
    gone = cli(served, "task", "show", "-n", "hello-task")
    assert gone.rc == 1 and gone.err.startswith("tasks-engine: error: ")
    assert "hello-task" not in cli(served, "task", "list").out


def test_cancel_run_of_a_running_task(served: ServiceStack, base_image: str) -> None:
    assert cli(served, "task", "create", "-n", "sleeper", "--cmd", f"{base_image} sh -c 'echo up; sleep 60'").rc == 0
    queued = cli(served, "task", "run", "-n", "sleeper", "--no-wait")
    run_id = queued.out.strip()
    wait_for_log(served, run_id, "up")
    canceled = cli(served, "task", "cancel-run", "--run-id", run_id, "-o", "json")
    assert canceled.rc == 0, canceled.describe()
    assert wait_for_status(served, run_id, {"Canceled", "Failed", "Succeeded"}, timeout=30)["status"] == "Canceled"


def test_invalid_definitions_are_refused_before_anything_is_stored(served: ServiceStack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v1.1.0\nsteps: 3\n")
    result = cli(served, "task", "create", "-n", "broken", "-f", str(bad))
    assert result.rc == 1, result.describe()
    assert result.err.splitlines()[-1] == f"{bad}: invalid: 1 error(s), 0 warning(s)"
    assert result.err.startswith(f"{bad}:2:")
    short = cli(served, "task", "create", "-n", "abc", "--cmd", "x true")
    assert short.rc == 2 and "rejected the request" in short.err, short.describe()
    assert api(served, "GET", "/v1/tasks")["tasks"] == []
