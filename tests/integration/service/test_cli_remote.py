"""Remote ``build``/``run`` end to end: the real CLI uploads to the real API, a real worker runs the steps on
Docker, the log streams back live; exit codes, az's lines, --no-logs/--no-wait, Ctrl-C, a restarted API."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cli_support import (
    FINAL_OK,
    api,
    cli,
    cli_env,
    interrupt,
    queued_id,
    run_record,
    served,
    spawn,
    wait_for_line,
    wait_for_log,
    wait_for_status,
)
from harness import ServiceStack

pytestmark = pytest.mark.integration
__all__ = ["served"]  # the fixture, imported


def test_build_uploads_queues_streams_and_pushes(served: ServiceStack, tmp_path: Path, base_image: str,
                                                 docker_client: Any) -> None:
    """The issue's promise: ``tasks-engine build -t app:{{.Run.ID}} .`` behaves like ``az acr build``."""
    app = tmp_path / "app"
    (app / ".git").mkdir(parents=True)
    # No RUN: this host's Docker may lack the default bridge a RUN step needs (the e2e builds avoid it too).
    (app / "Dockerfile").write_text(f"FROM {base_image}\nCOPY . /ctx/\nCMD [\"cat\", \"/ctx/hello.txt\"]\n")
    (app / "hello.txt").write_text("hello from the context\n")
    (app / "ignored.bin").write_text("must not be sent\n")
    (app / ".dockerignore").write_text("ignored.bin\n")
    tag = f"{served.registry}/te-cli/app:{{{{.Run.ID}}}}"
    result = cli(served, "build", "-t", tag, ".", cwd=app)
    assert result.rc == 0, result.describe()
    err = result.err.splitlines()
    assert err[:2] == ["Packing source code into tar to upload...", "Excluding '.git' based on default ignore rules"]
    assert re.fullmatch(r"Uploading archived source code from '.+/build_archive_[0-9a-f]{32}\.tar\.gz'\.\.\.", err[2])
    assert re.fullmatch(rf"Sending context \(\d+\.\d{{3}} (Bytes|KiB)\) to registry: {served.api_url}\.\.\.", err[3])
    run_id = queued_id(result.err)
    assert err[4:6] == [f"Queued a build with ID: {run_id}", "Waiting for an agent..."]
    out = result.out.splitlines()
    assert any(line.endswith(f"Successfully pushed image: {served.registry}/te-cli/app:{run_id}") for line in out)
    assert re.fullmatch(rf"Run ID: {run_id} was successful after \d+s", out[-1]), result.describe()
    with urllib.request.urlopen(urllib.request.Request(
            f"http://{served.registry}/v2/te-cli/app/manifests/{run_id}", method="HEAD",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"}), timeout=10) as reply:
        assert reply.status == 200
    assert run_record(served, run_id)["runType"] == "QuickBuild"
    image = f"{served.registry}/te-cli/app:{run_id}"
    listing = docker_client.containers.run(image, ["ls", "-a", "/ctx"], network_mode="none", remove=True)
    assert sorted(listing.decode().split()) == [".", "..", ".dockerignore", "Dockerfile", "hello.txt"]


def test_run_cmd_failure_exits_1_with_acrs_last_line(served: ServiceStack, base_image: str) -> None:
    result = cli(served, "run", "--cmd", f"{base_image} sh -c 'echo about to fail; exit 3'", "/dev/null")
    assert result.rc == 1, result.describe()
    run_id = queued_id(result.err)
    assert "about to fail" in result.out
    assert re.fullmatch(rf"Run ID: {run_id} failed after \d+s\. Error: .+", result.out.splitlines()[-1])
    assert "Packing" not in result.err  # no context, nothing packed


def test_run_file_reads_the_task_here_and_the_context_there(served: ServiceStack, tmp_path: Path,
                                                           base_image: str) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "data.txt").write_text("data from the uploaded context\n")
    (ctx / "acb.yaml").write_text(f"version: v1.1.0\nsteps:\n  - cmd: {base_image} cat data.txt\n"
                                  "  - cmd: " + base_image + " echo value={{.Values.greeting}}\n")
    result = cli(served, "run", "-f", "acb.yaml", "--set", "greeting=hi-there", str(ctx))
    assert result.rc == 0, result.describe()
    assert "data from the uploaded context" in result.out and "value=hi-there" in result.out
    assert "/run_archive_" in result.err


def test_an_invalid_task_file_fails_at_once_like_validate(served: ServiceStack, tmp_path: Path) -> None:
    task = tmp_path / "bad.yaml"
    task.write_text("version: v1.1.0\nsteps:\n  - id: a\n    cmd: busybox\n    when: [nowhere]\n")
    local = cli(served, "validate", "-f", str(task))
    remote = cli(served, "run", "-f", str(task), "/dev/null")
    assert remote.rc == 1 == local.rc, remote.describe()
    assert remote.err == local.err, remote.describe()  # the same FILE:LINE:COL lines and summary
    assert f"{task}:5:" in remote.err
    assert api(served, "GET", "/v1/runs")["runs"] == []  # nothing was queued


def test_no_wait_then_task_logs_follows_to_the_end(served: ServiceStack, base_image: str) -> None:
    queued = cli(served, "run", "--no-wait", "--cmd", f"{base_image} sh -c 'echo first; sleep 2; echo second'")
    assert queued.rc == 0, queued.describe()
    run_id = queued.out.strip()
    assert queued.err.strip() == f"Queued a run with ID: {run_id}"
    logs = cli(served, "task", "logs", "--run-id", run_id)
    assert logs.rc == 0, logs.describe()
    lines = logs.out.splitlines()
    assert lines.index(next(x for x in lines if x.endswith("first"))) < lines.index(
        next(x for x in lines if x.endswith("second")))
    assert FINAL_OK in lines[-1]
    as_json = cli(served, "run", "--no-wait", "-o", "json", "--cmd", f"{base_image} true")
    assert json.loads(as_json.out)["status"] == "Queued"


def test_no_logs_waits_then_reports(served: ServiceStack, base_image: str) -> None:
    ok = cli(served, "run", "--no-logs", "--cmd", f"{base_image} echo quiet")
    assert ok.rc == 0, ok.describe()
    run_id = queued_id(ok.err)
    assert "quiet" not in ok.out and run_id in ok.out and "Succeeded" in ok.out
    bad = cli(served, "run", "--no-logs", "--cmd", f"{base_image} false")
    assert bad.rc == 1, bad.describe()
    bad_id = queued_id(bad.err)
    assert bad.err.splitlines()[-1] == (
        f"The run with ID '{bad_id}' finished with unsuccessful status 'Failed'. Show run details by "
        f"'tasks-engine task show-run --run-id {bad_id}'. Show run logs by 'tasks-engine task logs --run-id {bad_id}'.")


def test_json_output_is_the_record(served: ServiceStack, base_image: str) -> None:
    result = cli(served, "run", "-o", "json", "--cmd", f"{base_image} echo to-stderr")
    assert result.rc == 0, result.describe()
    record = json.loads(result.out)
    assert record["status"] == "Succeeded" and record["runType"] == "QuickRun"
    assert "to-stderr" in result.err


def test_ctrl_c_without_a_terminal_leaves_the_run_running(served: ServiceStack, tmp_path: Path,
                                                         base_image: str) -> None:
    err_file = tmp_path / "err"
    with err_file.open("w") as err, (tmp_path / "out").open("w") as out:
        proc = spawn(served, "run", "--cmd", f"{base_image} sh -c 'echo started; sleep 4; echo finished'",
                     stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        wait_for_line(err_file, "Waiting for an agent...")
        run_id = queued_id(err_file.read_text())
        wait_for_log(served, run_id, "started")
        rc, _, _ = interrupt(proc)
    assert rc == 130
    assert (f"Stopped following run {run_id}; it keeps running on the server. "
            f"Resume with: tasks-engine task logs --run-id {run_id}") in err_file.read_text()
    assert wait_for_status(served, run_id, {"Succeeded", "Failed", "Canceled"})["status"] == "Succeeded"


def test_ctrl_c_at_a_terminal_offers_to_cancel(served: ServiceStack, tmp_path: Path, base_image: str) -> None:
    master, slave = pty.openpty()
    err_file = tmp_path / "err"
    with err_file.open("w") as err, (tmp_path / "out").open("w") as out:
        proc = spawn(served, "run", "--cmd", f"{base_image} sh -c 'echo started; sleep 60'", stdin=slave,
                     stdout=out, stderr=err)
        wait_for_line(err_file, "Waiting for an agent...")
        run_id = queued_id(err_file.read_text())
        wait_for_log(served, run_id, "started")
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        wait_for_line(err_file, f"Cancel the run {run_id} as well? [y/N] ")
        os.write(master, b"y\n")
        proc.wait(timeout=60)
    os.close(master)
    os.close(slave)
    assert proc.returncode == 130, err_file.read_text()
    assert f"Run {run_id} ended with status 'Canceled'." in err_file.read_text()
    assert run_record(served, run_id)["status"] == "Canceled"
    assert time.monotonic() - started < 30  # canceled, not waited out


def test_a_queued_run_says_why_it_waits(stack: ServiceStack, tmp_path: Path, base_image: str) -> None:
    stack.start_api()  # no worker at all
    queued = cli(stack, "run", "--no-wait", "--cmd", f"{base_image} true")
    run_id = queued.out.strip()
    shown = cli(stack, "task", "show-run", "--run-id", run_id)
    assert shown.rc == 0, shown.describe()
    assert "Queued" in shown.out
    assert "Workers listening on it: 0" in shown.out
    assert "Reason: no worker listens on queue 'runs'" in shown.out
    err_file = tmp_path / "err"
    with err_file.open("w") as err, (tmp_path / "out").open("w") as out:
        proc = spawn(stack, "run", "--cmd", f"{base_image} true", stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        wait_for_line(err_file, "tasks-engine: no worker listens on queue 'runs'")
        assert interrupt(proc)[0] == 130


def test_following_survives_an_api_restart(served: ServiceStack, tmp_path: Path, base_image: str) -> None:
    script = "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 0.5; done"
    out_file, err_file = tmp_path / "out", tmp_path / "err"
    with err_file.open("w") as err, out_file.open("w") as out:
        proc = spawn(served, "run", "--cmd", f"{base_image} sh -c '{script}'", stdout=out, stderr=err,
                     stdin=subprocess.DEVNULL)
        wait_for_line(out_file, "line-2")
        api_process = next(p for p in served.processes if p.name == "api")
        api_process.kill()
        served.processes.remove(api_process)
        time.sleep(1.5)
        served.start_api()
        proc.wait(timeout=120)
    assert proc.returncode == 0, err_file.read_text()
    lines = [line for line in out_file.read_text().splitlines() if "line-" in line]
    assert [line.rsplit("line-", 1)[1] for line in lines] == [str(i) for i in range(1, 9)]  # each once, in order


def test_a_bad_token_and_a_missing_server_are_one_line_errors(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    refused = cli(stack, "run", "--cmd", f"{base_image} true", env=cli_env(stack, token="te_not-a-token"))
    assert refused.rc == 1
    assert refused.err == (f"tasks-engine: error: the server at {stack.api_url} refused the token (HTTP 401: "
                           f"{refused.err.split('HTTP 401: ', 1)[1].split(')')[0]}); check TASKS_ENGINE_TOKEN\n")
    assert "te_not-a-token" not in refused.err
    env = cli_env(stack)
    env["TASKS_ENGINE_SERVER"] = "http://127.0.0.1:9"
    down = cli(stack, "run", "--cmd", f"{base_image} true", env=env)
    assert down.rc == 1
    assert down.err.startswith("tasks-engine: error: cannot reach the Tasks Engine server at http://127.0.0.1:9: ")
    assert len(down.err.splitlines()) == 1
