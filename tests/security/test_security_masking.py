"""Secrets never reach the terminal: error lines of every command, reprs, and malformed input.

Each test names a path that leaked before its fix: ``main`` printed DefinitionError problems and usage
errors unmasked (``render``/``plan``/``run`` with ``{{ fail .Values.s }}`` or a schema error quoting a rendered
secret), and reprs carried secret values and URL tokens.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tasks_engine.cli.main import main
from tasks_engine.cli.redact import secrets_of_args, url_secrets
from tasks_engine.compiler import CompileInputs
from tasks_engine.plan.model import VolumeSpec
from tasks_engine.source import parse_context
from tasks_engine.source.materialize import download_tarball
from tasks_engine.templating.rundata import RunInfo

SECRET = "hunter2xyz"
FAIL_TASK = "version: v1.1.0\nsteps:\n  - cmd: busybox {{ fail .Values.s }}\n"
SCHEMA_TASK = 'version: v1.1.0\nsteps:\n  - cmd: busybox\n    timeout: "{{.Values.s}}"\n'


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "acr-task.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"stateRoot: {tmp_path / 'state'}\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("task", [FAIL_TASK, SCHEMA_TASK])
@pytest.mark.parametrize("command", ["validate", "render", "plan", "run"])
def test_definition_errors_are_masked_on_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str, command: str
) -> None:
    argv = [command, "-f", write(tmp_path, task), "--set-secret", f"s={SECRET}", "--config", config(tmp_path)]
    if command == "run":
        argv.append("/dev/null")
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc != 0 or command == "render"
    assert SECRET not in out + err
    assert "***" in out + err


def test_malformed_set_secret_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", "-f", write(tmp_path, "steps:\n  - cmd: busybox\n"), "--set-secret", SECRET])
    err = capsys.readouterr().err
    assert rc == 2
    assert "no = assignment" in err
    assert SECRET not in err


def test_credential_password_is_masked_in_error_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The password also appears in a --set value that breaks the file: the error must still mask it.
    rc = main(["run", "-f", write(tmp_path, SCHEMA_TASK), "--set", f"s={SECRET}", "--config", config(tmp_path),
               "--credential", f"127.0.0.1:5000=u:{SECRET}", "/dev/null"])
    err = capsys.readouterr().err
    assert rc == 1
    assert SECRET not in err


def test_secrets_of_args_knows_every_source() -> None:
    import argparse

    args = argparse.Namespace(
        set_secrets=["a=one111", "bare222"],
        secret_build_args=["B=two222"],
        credentials=['{"registry":"r","username":"u","password":"three333"}', "r=u:four444", "garbage555"],
        context="https://user:five555@example.com/r.git",
    )
    found = secrets_of_args(args)
    for value in ("one111", "bare222", "two222", "three333", "four444", "garbage555", "five555"):
        assert value in found
    assert url_secrets("https://tok3n@github.com/o/r.git") == ["tok3n", "tok3n"]
    assert url_secrets("https://example.com/x.tgz") == []
    assert url_secrets("http://u:p@[::1") == []


def test_context_spec_repr_masks_url_credentials() -> None:
    spec = parse_context("https://user:tok3nSECRET@example.com/r.git#main:sub")
    assert "tok3nSECRET" not in repr(spec)
    assert "tok3nSECRET" not in str(spec)
    assert spec.location.endswith("example.com/r.git")  # the value itself is unchanged


def test_volume_spec_repr_hides_contents() -> None:
    content = base64.b64encode(SECRET.encode()).decode()
    volume = VolumeSpec("sv", {"key": content})
    assert content not in repr(volume)
    assert "key" in repr(volume)
    assert volume.secret == {"key": content}


def test_compile_inputs_repr_hides_values_secrets_and_environment() -> None:
    from datetime import UTC, datetime

    run = RunInfo(id="r1", date=datetime(2026, 1, 1, tzinfo=UTC))
    inputs = CompileInputs(text="", filename="x", run=run, values={"s": SECRET}, secrets={"s": SECRET},
                           environ={"TOKEN": SECRET})
    assert SECRET not in repr(inputs)


@pytest.mark.parametrize(
    "url",
    ["http://user:tok3nSECRET@[::1", "http://user:tok3nSECRET@host:99999/x.tgz", "http://user:tok3nSECRET@/x.tgz"],
)
def test_malformed_tarball_urls_give_a_clear_masked_error(tmp_path: Path, url: str) -> None:
    from tasks_engine.source.errors import ContextError

    with pytest.raises(ContextError) as info:
        download_tarball(url, tmp_path / "out", timeout=1.0, retries=1)
    assert "tok3nSECRET" not in str(info.value)
    assert "tok3nSECRET" not in repr(info.value.location)


def test_malformed_tarball_url_on_the_cli_is_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["run", "--cmd", "busybox true", "--config", config(tmp_path), "http://user:tok3nSECRET@[::1"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "internal error" not in err
    assert "tok3nSECRET" not in err


def test_render_masks_secret_volume_contents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = base64.b64encode(b"volume-s3cret").decode()
    task = f"version: v1.1.0\nvolumes:\n  - name: sv\n    secret:\n      k: {content}\nsteps:\n  - cmd: busybox\n"
    assert main(["render", "-f", write(tmp_path, task)]) == 0
    out = capsys.readouterr().out
    assert content not in out
    assert "k: ***" in out


def test_render_of_a_file_that_is_not_yaml_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-f", write(tmp_path, "steps: [\n")]) == 0
    assert "steps: [" in capsys.readouterr().out


def test_internal_errors_and_debug_tracebacks_are_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_engine.cli import inspect_cmds

    def boom(_args: object) -> int:
        raise RuntimeError(f"bug while handling {SECRET}")

    monkeypatch.setattr(inspect_cmds, "cmd_plan", boom)
    monkeypatch.setenv("TASKS_ENGINE_DEBUG", "1")
    rc = main(["plan", "-f", write(tmp_path, "steps: []\n"), "--set-secret", f"s={SECRET}"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "internal error: RuntimeError" in err and "Traceback" in err
    assert SECRET not in err


def test_mask_data_masks_strings_before_json_escapes_them() -> None:
    from tasks_engine.runtime.masking import SecretMasker

    secret = 'tag"sé\\cret'
    data = {"outputImages": [{"tag": secret, f"repo:{secret}": 1}], "n": 3, "none": None}
    masked = SecretMasker([secret]).mask_data(data)
    assert masked == {"outputImages": [{"tag": "***", "repo:***": 1}], "n": 3, "none": None}


def test_run_record_json_masks_image_tags_built_from_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the fix ``outputImages``/``dependencies`` of ``-o json`` showed a tag made of a secret in clear."""
    import json
    from datetime import UTC, datetime

    from tasks_engine.runtime.results import RunResult, RunStatus
    from tasks_engine.service import runner as run_cmds

    def fake_execute(plan: object, backend: object, **_: object) -> RunResult:
        now = datetime.now(UTC)
        return RunResult(run_id="r1", status=RunStatus.SUCCEEDED, start_time=now, finish_time=now, steps=[],
                         dependencies=[{"image": {"registry": "r", "repository": "app", "tag": SECRET}}])

    monkeypatch.setattr(run_cmds, "execute_plan", fake_execute)
    rc = main(["run", "--cmd", "busybox true", "--set-secret", f"t={SECRET}", "--config", config(tmp_path),
               "-o", "json", "/dev/null"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert SECRET not in out + err
    assert json.loads(out)["dependencies"][0]["image"]["tag"] == "***"
