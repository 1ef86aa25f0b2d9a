"""``tasks-engine task ...`` against the in-memory API: az's flag names and --file rule, the bodies sent, the
tables printed, confirmation on delete, ``logs`` of the last run, ``show-run`` of a queued run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fakeapi import FakeApi

from tasks_engine.cli.main import main

GIT = "https://git.example/org/app.git#main"


def test_create_a_file_task(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["task", "create", "-n", "myapp", "-c", GIT, "-f", "acb.yaml", "--values", "v.yaml", "--set", "a=1",
               "--set-secret", "pw=hunter22", "--agent-pool", "gpu", "--credential", "r.example=u:p4ssw0rd"])
    assert rc == 0
    assert api.bodies[0] == {
        "name": "myapp", "kind": "file", "taskFile": "acb.yaml", "valuesFile": "v.yaml", "context": GIT,
        "values": {"a": "1"}, "secretValues": {"pw": "hunter22"}, "timeout": 3600, "status": "Enabled",
        "agentPool": "gpu", "credentials": [{"registry": "r.example", "username": "u", "password": "p4ssw0rd"}]}
    assert capsys.readouterr().out.splitlines() == [
        "NAME   PLATFORM  STATUS   SOURCE REPOSITORY                     TRIGGERS",
        "-----  --------  -------  ------------------------------------  --------",
        f"myapp  linux     Enabled  {GIT}",
    ]


def test_any_other_file_name_is_a_dockerfile(api: FakeApi) -> None:
    assert main(["task", "create", "-n", "build1", "-c", GIT, "-f", "docker/Dockerfile.prod", "-t", "app:{{.Run.ID}}",
                 "--arg", "A=1", "--secret-arg", "B=2", "--no-push", "--target", "final", "-o", "json"]) == 0
    body = api.bodies[0]
    assert body["kind"] == "build"
    assert body["build"] == {"tags": ["app:{{.Run.ID}}"], "dockerfile": "docker/Dockerfile.prod", "buildArgs": ["A=1"],
                             "secretBuildArgs": ["B=2"], "target": "final", "noCache": False, "noPush": True}


def test_without_a_context_the_file_is_read_here(api: FakeApi, tmp_path: Path) -> None:
    task = tmp_path / "t.yml"
    task.write_text("steps:\n  - cmd: busybox echo hi\n")
    assert main(["task", "create", "-n", "local", "-f", str(task), "-c", "/dev/null"]) == 0
    assert base64.b64decode(api.bodies[0]["encodedTask"]).decode() == task.read_text()
    assert api.bodies[0]["context"] is None
    assert main(["task", "create", "-n", "cmdtask", "--cmd", "busybox echo hi"]) == 0
    assert api.bodies[1]["kind"] == "cmd" and api.bodies[1]["cmd"] == "busybox echo hi"


@pytest.mark.parametrize(("argv", "message"), [
    (["-f", "Dockerfile"], "a build task needs a git or tarball --context"),
    (["-f", "a.yaml", "--cmd", "x"], "Task can be created with either --cmd myCommand -c /dev/null or -f myFile"),
    (["-c", GIT], "missing --file/-f argument"),
    ([], "one of -f/--file or --cmd is required"),
    (["-c", GIT, "-f", "a.yaml", "-t", "img"], "-t/--image applies to build tasks only"),
    (["-c", GIT, "-f", "Dockerfile", "--values", "v.yaml"], "--values applies to task files and --cmd"),
    (["-c", ".", "--cmd", "x"], "a task's context must be a git URL, a tarball URL or /dev/null"),
    (["-c", "no/such/thing", "--cmd", "x"], "'no/such/thing' doesn't exist."),
])
def test_bad_definitions_are_usage_errors(api: FakeApi, argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["task", "create", "-n", "myapp", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1
    assert api.requests == []


def test_an_invalid_task_file_is_reported_like_validate(api: FakeApi, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    task = tmp_path / "bad.yaml"
    task.write_text("invalid")
    assert main(["task", "create", "-n", "broken", "-f", str(task)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"{task}:1:1: error: steps is required",
                                                     f"{task}: invalid: 1 error(s), 0 warning(s)"]


def test_update_sends_only_what_changes(api: FakeApi) -> None:
    assert main(["task", "create", "-n", "myapp", "-c", GIT, "-f", "acb.yaml"]) == 0
    assert main(["task", "update", "-n", "myapp", "--status", "Disabled", "--timeout", "600"]) == 0
    assert api.bodies[-1] == {"status": "Disabled", "timeout": 600}
    assert not any(r.method == "GET" for r in api.requests)
    # A new file without a context: the stored context decides (a URL: the file is inside it).
    assert main(["task", "update", "-n", "myapp", "-f", "ci.yml"]) == 0
    assert api.bodies[-1] == {"kind": "file", "taskFile": "ci.yml"}
    assert [r.method for r in api.requests][-2:] == ["GET", "PATCH"]


def test_update_with_build_flags_needs_a_build_task(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["task", "create", "-n", "myapp", "-c", GIT, "-f", "acb.yaml"]) == 0
    assert main(["task", "update", "-n", "myapp", "-t", "x"]) == 2
    assert "task 'myapp' is not one" in capsys.readouterr().err
    assert main(["task", "create", "-n", "build1", "-c", GIT, "-f", "Dockerfile", "-t", "a"]) == 0
    assert main(["task", "update", "-n", "build1", "-t", "b", "--no-cache"]) == 0
    assert api.bodies[-1]["build"]["tags"] == ["b"] and api.bodies[-1]["build"]["noCache"] is True
    assert api.bodies[-1]["build"]["dockerfile"] == "Dockerfile"
    assert main(["task", "update", "-n", "build1"]) == 2


def test_list_and_show(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    main(["task", "create", "-n", "first", "--cmd", "x"])
    main(["task", "create", "-n", "second", "-c", GIT, "-f", "a.yaml"])
    capsys.readouterr()
    assert main(["task", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "PLATFORM", "STATUS", "SOURCE", "REPOSITORY", "TRIGGERS"]
    assert [line.split()[0] for line in lines[2:]] == ["first", "second"]
    assert main(["task", "show", "-n", "second", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"]["taskFile"] == "a.yaml"
    assert main(["task", "show", "-n", "nosuchtask"]) == 1
    assert capsys.readouterr().err == "tasks-engine: error: no task nosuchtask\n"


def test_delete_asks_first(api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tasks_engine.cli import task_cmds

    main(["task", "create", "-n", "doomed", "--cmd", "x"])
    monkeypatch.setattr(task_cmds, "stdin_is_tty", lambda: False)
    assert main(["task", "delete", "-n", "doomed"]) == 2
    assert "refusing to delete task 'doomed' without confirmation: pass --yes" in capsys.readouterr().err
    monkeypatch.setattr(task_cmds, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(task_cmds, "ask", lambda prompt: "n\n")
    assert main(["task", "delete", "-n", "doomed"]) == 1
    assert "Operation cancelled." in capsys.readouterr().err
    assert "doomed" in api.tasks
    monkeypatch.setattr(task_cmds, "ask", lambda prompt: "y\n")
    assert main(["task", "delete", "-n", "doomed"]) == 0
    assert "doomed" not in api.tasks
    main(["task", "create", "-n", "doomed", "--cmd", "x"])
    assert main(["task", "delete", "-n", "doomed", "--yes"]) == 0


def test_task_run_follows_like_run(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    main(["task", "create", "-n", "myapp", "--cmd", "x"])
    capsys.readouterr()
    assert main(["task", "run", "-n", "myapp", "--set", "a=2", "--set-secret", "s=zzz-secret"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == ["Queued a run with ID: ca1", "Waiting for an agent..."]
    assert out.endswith("Run ID: ca1 was successful after 1s\n")
    assert api.bodies[-1] == {"values": {"a": "2"}, "secretValues": {"s": "zzz-secret"}}
    assert main(["task", "run", "-n", "missing"]) == 1


def test_list_runs_filters_and_table(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    main(["task", "create", "-n", "myapp", "--cmd", "x"])
    main(["task", "run", "-n", "myapp"])
    main(["run", "--cmd", "x", "--no-wait"])
    capsys.readouterr()
    assert main(["task", "list-runs", "--name", "myapp", "--run-status", "Succeeded", "--top", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "RUN ID  TASK   PLATFORM  STATUS     TRIGGER  STARTED               DURATION"
    assert lines[2] == "ca1     myapp  linux     Succeeded  Manual   2026-01-02T03:04:06Z  00:01:01"
    assert len(lines) == 3
    params = api.requests[-1].url.params
    assert (params["task"], params["status"], params["top"]) == ("myapp", "Succeeded", "5")
    assert main(["task", "list-runs", "--top", "0"]) == 2


def test_show_run_of_a_queued_run_says_why(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.queue_info = {"queue": "runs", "position": 2, "length": 3, "workersListening": 1, "workers": ["w1@host"],
                      "reason": "1 run(s) ahead of it on queue 'runs'"}
    main(["run", "--cmd", "x", "--no-wait"])
    capsys.readouterr()
    api.scripts["ca1"].polls_before_done = 5
    assert main(["task", "show-run", "--run-id", "ca1"]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "Waiting on queue 'runs': position 2 of 3", "Workers listening on it: 1 (w1@host)",
        "Reason: 1 run(s) ahead of it on queue 'runs'"]


def test_logs_of_the_last_run_of_a_task(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["task", "logs", "--name", "myapp"]) == 1
    assert capsys.readouterr().err == "tasks-engine: error: Could not find the last created run for task 'myapp'.\n"
    main(["task", "create", "-n", "myapp", "--cmd", "x"])
    main(["task", "run", "-n", "myapp", "--no-wait"])
    capsys.readouterr()
    assert main(["task", "logs", "--name", "myapp"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == ["Showing logs of the last created run for task 'myapp'.", "Run ID: ca1"]
    assert out == "hello from ca1\nRun ID: ca1 was successful after 1s\n"
    assert main(["task", "logs", "--run-id", "ca1"]) == 0


def test_cancel_run(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", "--cmd", "x", "--no-wait"])
    capsys.readouterr()
    assert main(["task", "cancel-run", "--run-id", "ca1", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "Canceled"


def test_task_commands_need_a_server(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["task", "list"]) == 2
    assert capsys.readouterr().err == ("tasks-engine: error: this command needs a Tasks Engine server: set "
                                       "TASKS_ENGINE_SERVER and TASKS_ENGINE_TOKEN (or pass --server/--token)\n")
    assert main(["task"]) == 2


def test_remote_token_commands(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--name", "ci", "--role", "runner"]) == 0
    assert capsys.readouterr().out == "te_new-ci\n"
    assert main(["token", "create", "--name", "ci2", "--role", "reader", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "ci2", "role": "reader",
                                                   "created": "2026-01-02T03:04:05+00:00", "token": "te_new-ci2"}
    assert main(["token", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "CREATED", "LAST", "USED"]
    assert lines[2].split() == ["ci", "runner", "2026-01-02T03:04:05Z"]
    assert main(["token", "delete", "--name", "ci"]) == 0
    assert main(["token", "delete", "--name", "ci"]) == 1
    assert main(["token", "create", "--name", "x", "--role", "root"]) == 2


def test_every_secret_flag_of_the_service_commands_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks_engine.cli.args import build_parser
    from tasks_engine.cli.redact import secrets_of_args

    monkeypatch.setenv("TASKS_ENGINE_TOKEN", "te_from-the-environment")
    args = build_parser().parse_args([
        "task", "create", "-n", "myapp", "-c", "https://user:gh-token-1@git.example/a.git", "-f", "Dockerfile",
        "--set-secret", "a=secret-one", "--secret-arg", "B=secret-two", "--credential", "r.example=u:secret-three"])
    assert set(secrets_of_args(args)) >= {"te_from-the-environment", "gh-token-1", "secret-one", "secret-two",
                                          "secret-three"}
    args = build_parser().parse_args(["token", "list", "--token", "te_on-the-command-line"])
    assert "te_on-the-command-line" in secrets_of_args(args)
