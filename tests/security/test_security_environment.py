"""Templates see only the host environment variables the operator listed (``templateEnv``).

Before the fix the CLI handed Sprig's ``env``/``expandenv`` the whole ``os.environ``: any task file (one from
a stranger's repository, say) could print the worker's cloud keys or CI tokens with ``{{ env "X" }}``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks_engine.cli.main import main

TASK = (
    'steps:\n  - cmd: busybox echo [{{ env "TE_TEST_TOKEN" }}] [{{ expandenv "$TE_TEST_TOKEN" }}]'
    ' [{{ env "TE_OK" }}]\n'
)


def run_render(tmp_path: Path, config: str, capsys: pytest.CaptureFixture[str]) -> str:
    task = tmp_path / "acr-task.yaml"
    task.write_text(TASK, encoding="utf-8")
    conf = tmp_path / "config.yaml"
    conf.write_text(config, encoding="utf-8")
    assert main(["render", "-f", str(task), "--config", str(conf)]) == 0
    return capsys.readouterr().out


def test_host_environment_is_hidden_from_templates_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TE_TEST_TOKEN", "ghp_topsecret")
    out = run_render(tmp_path, "{}\n", capsys)
    assert "ghp_topsecret" not in out
    assert "[] [] []" in out


def test_operator_can_pass_named_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TE_TEST_TOKEN", "ghp_topsecret")
    monkeypatch.setenv("TE_OK", "build-42")
    out = run_render(tmp_path, "templateEnv: [TE_OK, TE_MISSING]\n", capsys)
    assert "ghp_topsecret" not in out
    assert "[] [] [build-42]" in out


def test_template_env_must_be_a_list_of_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = tmp_path / "acr-task.yaml"
    task.write_text(TASK, encoding="utf-8")
    conf = tmp_path / "config.yaml"
    conf.write_text("templateEnv: [1, '']\n", encoding="utf-8")
    assert main(["render", "-f", str(task), "--config", str(conf)]) == 2
    assert "templateEnv must be a list" in capsys.readouterr().err
