"""Remote ``build`` and ``run`` as az prints them, against the in-memory API (the real one: tests/integration/
service/test_cli_remote.py): console lines on stderr in az's order and words, the log on stdout, exit codes,
the bodies sent, resuming a dropped stream, ``--no-logs``/``--no-wait``, Ctrl-C, masking."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest
from fakeapi import FakeApi, ScriptedRun

from tasks_engine.cli.main import main
from tasks_engine.cli.remote import follow
from tasks_engine.service.quick import SKIP_PUSH_WARNING

SERVER = "http://tasks.example:8080"


def context(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: main\n")
    (root / ".gitignore").write_text("*.o\n")
    (root / "Dockerfile").write_text("FROM busybox\n")
    (root / "secret.env").write_text("x\n")
    (root / ".dockerignore").write_text("secret.env\n")
    (root / "acb.yaml").write_text("version: v1.1.0\nsteps:\n  - cmd: busybox echo hi\n")
    return root


def uploaded_names(api: FakeApi) -> list[str]:
    (data,) = api.uploads.values()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return sorted(tar.getnames())


def test_build_prints_azs_lines_then_the_log(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["build", "-t", "app:{{.Run.ID}}", "--build-arg", "A=1", str(context(tmp_path))])
    out, err = capsys.readouterr()
    assert rc == 0
    lines = err.splitlines()
    assert lines[:3] == ["Packing source code into tar to upload...",
                         "Excluding '.git' based on default ignore rules",
                         "Excluding '.gitignore' based on default ignore rules"]
    archive = re.fullmatch(r"Uploading archived source code from '(.+/build_archive_[0-9a-f]{32}\.tar\.gz)'\.\.\.",
                           lines[3])
    assert archive and not Path(archive[1]).exists()  # removed after the upload
    assert re.fullmatch(rf"Sending context \(\d+\.\d{{3}} Bytes\) to registry: {SERVER}\.\.\.", lines[4])
    assert lines[5:] == ["Queued a build with ID: ca1", "Waiting for an agent..."]
    assert out == "hello from ca1\nRun ID: ca1 was successful after 1s\n"
    body = api.bodies[0]
    assert body["kind"] == "build" and body["context"] == f"upload:{next(iter(api.uploads))}"
    assert body["build"]["tags"] == ["app:{{.Run.ID}}"] and body["build"]["buildArgs"] == ["A=1"]
    assert uploaded_names(api) == [".dockerignore", "Dockerfile", "acb.yaml"]
    upload = api.requests[0]
    assert upload.headers["X-Content-SHA256"] == next(iter(api.uploads))


def test_build_without_a_tag_warns_like_az(api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(context(tmp_path))]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err.index(SKIP_PUSH_WARNING) == err.index("Queued a build with ID: ca1") - 1


def test_a_failed_run_exits_1(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.next_script = ScriptedRun(["boom\n", "Run ID: ca1 failed after 2s. Error: exit status 1\n"], "Failed")
    assert main(["run", "--cmd", "busybox false", "/dev/null"]) == 1
    out, err = capsys.readouterr()
    assert out.endswith("Run ID: ca1 failed after 2s. Error: exit status 1\n")
    assert err.splitlines() == ["Queued a run with ID: ca1", "Waiting for an agent..."]  # no packing: no context
    assert api.bodies[0] == {"kind": "cmd", "cmd": "busybox false", "context": None}


def test_run_file_with_a_local_context_is_sent_encoded(api: FakeApi, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = context(tmp_path)
    (root / "values.yaml").write_text("a: 1\n")
    rc = main(["run", "-f", "acb.yaml", "--values", "values.yaml", "--set", "k=v", "--set", "k=w",
               "--timeout", "60", str(root)])
    assert rc == 0
    body = api.bodies[0]
    assert body["kind"] == "encoded" and body["context"].startswith("upload:sha256:")
    assert base64.b64decode(body["encodedTask"]).decode() == (root / "acb.yaml").read_text()
    assert base64.b64decode(body["encodedValues"]).decode() == "a: 1\n"
    assert body["values"] == {"k": "w"} and body["timeout"] == 60
    assert re.search(r"Uploading archived source code from '.+/run_archive_[0-9a-f]{32}\.tar\.gz'",
                     capsys.readouterr().err)


def test_run_file_with_a_git_context_names_a_file_in_it(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://git.example/org/app.git#main:sub"
    assert main(["run", "-f", "ci/acb.yaml", "--values", "v.yaml", url]) == 0
    assert api.bodies[0] == {"kind": "file", "taskFile": "ci/acb.yaml", "valuesFile": "v.yaml", "context": url}
    assert capsys.readouterr().err.splitlines()[0] == f"Sending context to registry: {SERVER}..."


def test_an_invalid_task_file_fails_like_validate(api: FakeApi, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    task = tmp_path / "bad.yaml"
    task.write_text("invalid")
    assert main(["run", "-f", str(task), "/dev/null"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{task}:1:1: error: steps is required", f"{task}: invalid: 1 error(s), 0 warning(s)"]
    assert api.runs == {}


def test_a_missing_local_path_is_a_usage_error(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cmd", "x", "./no-such-folder"]) == 2
    assert capsys.readouterr().err == "tasks-engine: error: './no-such-folder' doesn't exist.\n"
    assert main(["run", "-f", "missing.yaml", "/dev/null"]) == 2
    assert api.requests == []


def test_no_wait_prints_the_id_and_returns(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cmd", "x", "--no-wait"]) == 0
    out, err = capsys.readouterr()
    assert out == "ca1\n" and err == "Queued a run with ID: ca1\n"
    assert main(["run", "--cmd", "x", "--no-wait", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["runId"] == "ca2"
    assert not any(r.url.path.endswith("/logs") for r in api.requests)


def test_no_logs_polls_then_prints_the_run(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.next_script = ScriptedRun([], "Succeeded", polls_before_done=3)
    assert main(["run", "--cmd", "x", "--no-logs"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0].split() == ["RUN", "ID", "TASK", "PLATFORM", "STATUS", "TRIGGER", "STARTED",
                                           "DURATION"]
    assert "Succeeded" in out and "00:01:01" in out
    assert sum(r.url.path == "/v1/runs/ca1" for r in api.requests) == 4


def test_no_logs_failure_prints_azs_message(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.next_script = ScriptedRun([], "Failed")
    assert main(["build", "--no-logs", "https://git.example/app.git"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "The run with ID 'ca1' finished with unsuccessful status 'Failed'. Show run details by "
        "'tasks-engine task show-run --run-id ca1'. Show run logs by 'tasks-engine task logs --run-id ca1'.")


def test_json_output_puts_the_log_on_stderr(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cmd", "x", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "Succeeded"
    assert "hello from ca1\n" in err


def test_a_dropped_stream_resumes_at_its_offset(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.next_script = ScriptedRun(["one\n", "two\n", "three\n", "Run ID: ca1 was successful after 1s\n"])
    api.drop_after_events = 2
    assert main(["run", "--cmd", "x"]) == 0
    assert capsys.readouterr().out == "one\ntwo\nthree\nRun ID: ca1 was successful after 1s\n"
    follows = [r for r in api.requests if r.url.path.endswith("/logs")]
    assert len(follows) == 2
    assert follows[1].url.params["offset"] == "8" and follows[1].headers["Last-Event-ID"] == "8"
    assert follows[0].url.params["follow"] == "1" and follows[0].headers["Accept"] == "text/event-stream"


def test_bytes_that_are_not_utf8_reach_stdout_unchanged(api: FakeApi,
                                                       capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    api.next_script = ScriptedRun([b"caf\xe9 \xff\n".decode("utf-8", "surrogateescape")])
    assert main(["run", "--cmd", "x"]) == 0
    assert capfdbinary.readouterr().out == b"caf\xe9 \xff\n"


def test_secrets_and_the_token_are_masked(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.next_script = ScriptedRun([f"s3cr3t-value and {api.token}\n"])
    assert main(["run", "--cmd", "x", "--set-secret", "pw=s3cr3t-value"]) == 0
    out, err = capsys.readouterr()
    assert "s3cr3t-value" not in out + err and api.token not in out + err and "***" in out
    assert api.bodies[0]["secretValues"] == {"pw": "s3cr3t-value"}


def test_no_worker_on_the_queue_is_said(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.queue_info = {"queue": "runs.pool.gpu", "position": 1, "length": 1, "workersListening": 0, "workers": [],
                      "reason": "no worker listens on queue 'runs.pool.gpu'"}
    assert main(["run", "--cmd", "x", "--agent-pool", "gpu"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err.count("tasks-engine: no worker listens on queue 'runs.pool.gpu'") == 1
    assert api.bodies[0]["agentPool"] == "gpu"


class _Interrupting(FakeApi):
    """The user presses Ctrl-C while the first log line is on the screen."""

    def _follow(self, run_id: str, request: httpx.Request) -> httpx.Response:
        if self.scripts[run_id].status == "Canceled":
            return super()._follow(run_id, request)

        def stream():  # type: ignore[no-untyped-def]
            yield b'id: 4\nevent: log\ndata: "one\\n"\n\n'
            raise KeyboardInterrupt

        return httpx.Response(200, content=stream())


@pytest.fixture
def interrupting(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> _Interrupting:
    fake = _Interrupting()
    from tasks_engine.cli.remote.client import ApiClient

    monkeypatch.setattr(ApiClient, "transport", fake.transport())
    monkeypatch.setenv("TASKS_ENGINE_TOKEN", fake.token)
    return fake


def test_ctrl_c_without_a_terminal_stops_following(interrupting: _Interrupting, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(follow, "stdin_is_tty", lambda: False)
    assert main(["run", "--cmd", "x"]) == 130
    out, err = capsys.readouterr()
    assert out == "one\n"
    assert err.splitlines()[-1] == ("Stopped following run ca1; it keeps running on the server. "
                                    "Resume with: tasks-engine task logs --run-id ca1")
    assert not any(r.url.path.endswith("/cancel") for r in interrupting.requests)


def test_ctrl_c_at_a_terminal_asks_and_cancels(interrupting: _Interrupting, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[str] = []
    monkeypatch.setattr(follow, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(follow, "ask", lambda prompt: asked.append(prompt) or "y\n")
    interrupting.next_script = ScriptedRun(["one\n", "Run ID: ca1 failed after 1s. Error: canceled\n"])
    assert main(["run", "--cmd", "x"]) == 130
    out, err = capsys.readouterr()
    assert asked == ["Cancel the run ca1 as well? [y/N] "]
    assert any(r.url.path == "/v1/runs/ca1/cancel" for r in interrupting.requests)
    assert out == "one\nRun ID: ca1 failed after 1s. Error: canceled\n"  # resumed after "one", not repeated
    assert err.splitlines()[-2:] == ["Canceling run ca1...", "Run ca1 ended with status 'Canceled'."]


def test_ctrl_c_at_a_terminal_answered_no_leaves_it_running(interrupting: _Interrupting,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(follow, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(follow, "ask", lambda prompt: "\n")
    assert main(["run", "--cmd", "x"]) == 130
    assert "Resume with: tasks-engine task logs --run-id ca1" in capsys.readouterr().err
    assert not any(r.url.path.endswith("/cancel") for r in interrupting.requests)


@pytest.mark.parametrize(("flags", "message"), [
    (["--id", "r1"], "--id cannot be used with a server (the server assigns run ids); pass --local"),
    (["--strict"], "--strict cannot be used with a server"),
])
def test_local_only_flags_are_refused_remotely(api: FakeApi, flags: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cmd", "x", *flags]) == 2
    assert message in capsys.readouterr().err
    assert api.requests == []


def test_local_forces_local_mode(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--local", "--no-wait", "--cmd", "x"]) == 2
    assert "--no-wait needs a server" in capsys.readouterr().err
    assert api.requests == []


def test_remote_only_flags_need_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--no-logs", "."]) == 2
    assert capsys.readouterr().err == ("tasks-engine: error: --no-logs needs a server: set TASKS_ENGINE_SERVER and "
                                       "TASKS_ENGINE_TOKEN (or pass --server/--token)\n")


def test_a_server_without_a_token_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TASKS_ENGINE_SERVER", SERVER)
    assert main(["run", "--cmd", "x"]) == 2
    assert "but no token: set TASKS_ENGINE_TOKEN" in capsys.readouterr().err


def test_flags_win_over_the_environment(api: FakeApi, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TASKS_ENGINE_TOKEN", "te_wrong")
    assert main(["run", "--cmd", "x", "--no-wait", "--token", api.token, "--server", SERVER + "/"]) == 0
    assert api.requests[0].url.host == "tasks.example"
    monkeypatch.setenv("TASKS_ENGINE_TOKEN", api.token)
    assert main(["run", "--cmd", "x", "--server", "ftp://x"]) == 2
    assert "invalid server URL 'ftp://x'" in capsys.readouterr().err


def test_a_refused_token_is_one_line(api: FakeApi, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TASKS_ENGINE_TOKEN", "te_revoked-token")
    assert main(["run", "--cmd", "x"]) == 1
    err = capsys.readouterr().err
    assert err == (f"tasks-engine: error: the server at {SERVER} refused the token (HTTP 401: unknown token); "
                   "check TASKS_ENGINE_TOKEN\n")


def test_the_remote_path_does_not_load_docker() -> None:
    code = ("import sys, tasks_engine.cli.main, tasks_engine.cli.remote.run_cmds, tasks_engine.cli.task_cmds, "
            "tasks_engine.cli.token_cmds; assert 'docker' not in sys.modules, 'docker loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_upload_prefix_matches_the_runners() -> None:
    from tasks_engine.cli.remote.upload import UPLOAD_PREFIX
    from tasks_engine.service.runner import UPLOAD_PREFIX as RUNNER_PREFIX

    assert UPLOAD_PREFIX == RUNNER_PREFIX
