"""The CLI contract of validate/render/plan: exact names, exit codes, JSON shapes, one-line usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks_engine.cli.main import main

TASK = """\
version: v1.1.0
alias:
  values:
    repo: web
env: ["A=1"]
steps:
  - id: build
    build: -t $Registry/$repo:$ID -f Dockerfile .
  - id: test
    cmd: $Registry/$repo:$ID
    env: ["A=2", "B=3"]
    detach: true
  - cmd: bash echo "$$HOME {{.Run.RegistryName}}"
    when: ["build"]
  - push: ["$Registry/$repo:$ID"]
"""


def write(tmp_path: Path, text: str, name: str = "acr-task.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_validate_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-f", write(tmp_path, TASK)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_json_shape_for_invalid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "steps:\n  - id: a\n    cmd: x\n  - id: b\n    cmd: y\n    when: [later]\n    entrypoint: sh\n"
    rc = main(["validate", "-f", write(tmp_path, text), "-o", "json"])
    assert rc == 1
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False
    assert {"severity", "message", "line", "column", "path"} <= set(out["problems"][0])
    errors = [p for p in out["problems"] if p["severity"] == "error"]
    warnings = [p for p in out["problems"] if p["severity"] == "warning"]
    assert any("later does not exist as a vertex" in p["message"] and p["line"] == 6 for p in errors)
    assert any("entryPoint" in p["message"] for p in warnings)


def test_validate_reports_positions_in_the_users_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # comment lines and an alias block above the error: the position is still the user's line 9
    text = (
        "# a comment\nversion: v1.1.0\nalias:\n  values:\n    img: busybox\n"
        "steps:\n  - id: a\n    cmd: $img true\n    retries: -1\n"
    )
    path = write(tmp_path, text)
    assert main(["validate", "-f", path]) == 1
    err = capsys.readouterr().err
    assert f"{path}:9:" in err
    assert "retries >= 0" in err
    assert "Traceback" not in err


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "steps:\n  - cmd: x\n    entrypoint: sh\n")
    assert main(["validate", "-f", path]) == 0
    assert main(["validate", "-f", path, "--strict"]) == 1


def test_render_spec_worked_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["render", "-f", write(tmp_path, TASK), "--id", "ab1", "--registry", "myreg.azurecr.io"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "build: -t myreg.azurecr.io/web:ab1 -f Dockerfile ." in out
    assert 'cmd: bash echo "$HOME myreg"' in out
    assert "alias:" not in out


def test_plan_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", "-f", write(tmp_path, TASK), "--id", "ab1", "--registry", "myreg.azurecr.io", "-o", "json"])
    assert rc == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["version"]
    steps = {s["id"]: s for s in plan["steps"]}
    common = {"id", "type", "dependsOn", "timeout", "retries", "retryDelay", "repeat", "startDelay",
              "ignoreErrors", "detach", "keep", "privileged", "env", "network", "workingDirectory"}
    for step in plan["steps"]:
        assert common <= set(step)
    assert {"tags", "dockerfile", "context", "buildArgs", "target"} <= set(steps["build"])
    assert {"image", "args", "entryPoint"} <= set(steps["test"])
    assert steps["build"]["dependsOn"] == []
    assert steps["test"]["dependsOn"] == ["build"]
    assert steps["acb_step_2"]["dependsOn"] == ["build"]
    assert steps["acb_step_3"]["dependsOn"] == ["acb_step_2"]
    assert steps["acb_step_2"]["image"] == "mcr.microsoft.com/acr/bash:2ff604c"
    assert steps["acb_step_2"]["args"] == ["echo", "$HOME myreg"]
    assert steps["test"]["env"] == ["A=2", "B=3"]
    assert steps["acb_step_2"]["env"] == ["A=1"]
    assert steps["acb_step_3"]["images"] == ["myreg.azurecr.io/web:ab1"]
    assert steps["build"]["tags"] == ["myreg.azurecr.io/web:ab1"]


def test_plan_table_has_critical_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "-f", write(tmp_path, TASK)]) == 0
    assert "critical path:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["plan", "-f"],
        ["bogus"],
        ["validate", "-f", "x.yaml", "--set", "novalue"],
        ["validate", "-f", "x.yaml", "--set", "=v"],
        ["run", "-f", "a.yaml", "--cmd", "x"],
        ["gc", "--older-than", "soon"],
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.yaml").write_text("steps: []\n")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("tasks-engine: error:")


def test_missing_task_file_is_a_clear_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-f", "/nonexistent/acr-task.yaml"]) == 2
    assert "task file not found: /nonexistent/acr-task.yaml" in capsys.readouterr().err


def test_set_values_reach_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("img: from-file\nother: kept\n")
    task = write(tmp_path, "steps:\n  - cmd: {{.Values.img}} {{.Values.other}}\n")
    assert main(["render", "-f", task, "--values", str(values), "--set", "img=from-set"]) == 0
    assert "cmd: from-set kept" in capsys.readouterr().out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_task_text_gives_a_clear_answer(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, text)
    rc = main(["validate", "-f", path])
    err = capsys.readouterr().err
    assert rc in (0, 1, 2)
    assert "Traceback" not in err
    assert "internal error" not in err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.text(max_size=12), max_size=4))
def test_any_set_arguments_give_a_clear_answer(pairs: list[str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "steps:\n  - cmd: x {{ .Values }}\n")
    argv = ["render", "-f", path]
    for p in pairs:
        argv += ["--set", p]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc in (0, 1, 2)
    assert "internal error" not in err


def test_secrets_never_printed_by_render_plan_or_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = write(tmp_path, "steps:\n  - cmd: img echo {{.Secrets.token}}\n    env: [\"T={{.Values.token}}\"]\n"
                           "    entrypoint: {{.Secrets.token}}\n")
    secret = ["--set-secret", "token=hunter2-very-secret"]
    for argv in (["render", "-f", task], ["plan", "-f", task, "-o", "json"], ["plan", "-f", task],
                 ["validate", "-f", task], ["validate", "-f", task, "-o", "json"]):
        main([*argv, *secret])
        captured = capsys.readouterr()
        assert "hunter2-very-secret" not in captured.out + captured.err, argv
    main(["render", "-f", task, *secret])
    assert "img echo ***" in capsys.readouterr().out
