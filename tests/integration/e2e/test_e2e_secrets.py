"""Secrets end to end: secret volumes fed from ``--set-secret`` and masking of secret values in every output
(console log, ``-o json`` record, base64-encoded echoes)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cli, assert_clean, write_task

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-Value-9f2c"


def test_secret_volume_mounted_and_masked(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("vol")
    task = write_task(tmp_path, """
        version: v1.1.0
        volumes:
          - name: creds
            secret:
              token: {{ .Values.s | b64enc }}
              plain.txt: {{ "not-a-secret-file" | b64enc }}
        steps:
          - id: read
            cmd: '{{ .Values.base }} cat /run/creds/token /run/creds/plain.txt'
            volumeMounts:
              - name: creds
                mountPath: /run/creds
          - id: check
            cmd: >-
              {{ .Values.base }} sh -c 'test "$(cat /run/creds/token)" = "{{ .Values.s }}" && echo TOKEN-MATCHES
              && test "$(cat /run/creds/plain.txt)" = "not-a-secret-file" && echo PLAIN-MATCHES'
            volumeMounts:
              - name: creds
                mountPath: /run/creds
    """)
    result = cli.run_task(task, run_id, "--set-secret", f"s={SECRET}")
    result.assert_succeeded(run_id)
    assert "TOKEN-MATCHES" in result.err  # the file really holds the value
    assert "PLAIN-MATCHES" in result.err
    # Every secret-volume file is a secret: its content is masked even when it did not come from a secret.
    # (files hold the decoded bytes exactly, no newline added, so `cat a b` prints one masked line)
    assert "not-a-secret-file" not in result.err
    assert "***" in result.err
    assert SECRET not in result.text
    assert base64.b64encode(SECRET.encode()).decode() not in result.text
    assert_clean(docker_client, run_id)


def test_set_secret_values_masked_everywhere(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("mask")
    encoded = base64.b64encode(SECRET.encode()).decode()
    task = write_task(tmp_path, """
        version: v1.0.0
        steps:
          - id: plain
            cmd: '{{ .Values.base }} echo token={{ .Values.s }}'
          - id: encoded
            cmd: '{{ .Values.base }} echo b64={{ .Values.s | b64enc }}'
          - id: fails
            cmd: '{{ .Values.base }} sh -c "echo failing-with-{{ .Values.s }}; exit 2"'
    """)
    result = cli.run_task(task, run_id, "--set-secret", f"s={SECRET}")
    reason = result.assert_failed(run_id)
    assert "token=***" in result.err
    assert "b64=***" in result.err
    assert SECRET not in result.out, "the -o json record leaks the secret"
    assert SECRET not in result.err, "the log leaks the secret"
    assert SECRET not in reason
    assert encoded not in result.text, "the base64 form of the secret leaks"
    assert result.step("fails")["status"] == "failed"


def test_text_mode_masks_too(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("maskt")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - cmd: '{{ .Values.base }} echo value={{ .Values.s }}'
    """)
    result = cli.run_task(task, run_id, "--set-secret", f"s={SECRET}", json_output=False)
    result.assert_succeeded(run_id)
    assert "value=***" in result.out
    assert SECRET not in result.text


def test_secret_in_an_error_message_is_masked(cli: Cli, run_ids: Any, tmp_path: Path, registry: str) -> None:
    """Engine messages (the failure reason, the record's error) go through the masker too."""
    run_id = run_ids("maske")
    secret = "lowercasesecret7q"  # usable inside an image name, so the daemon's error quotes it
    task = write_task(tmp_path, f"""
        version: v1.1.0
        steps:
          - id: pull
            cmd: {registry}/e2e/{{{{ .Values.s }}}}:missing echo hi
    """)
    result = cli.run_task(task, run_id, "--set-secret", f"s={secret}")
    reason = result.assert_failed(run_id)
    assert secret not in result.text
    assert "***" in reason or "***" in str(result.record["error"]), result.describe()


def test_secret_build_arg_masked(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("sba")
    context = tmp_path / "ctx"
    context.mkdir()
    # The run id in the RUN line defeats the build cache, so the step really prints.
    (context / "Dockerfile").write_text(f"FROM {cli.base}\nARG TOKEN\nRUN echo {run_id} token=$TOKEN\n")
    result = cli("build", "-t", f"e2e-local/sba:{run_id}", "--no-push", "--secret-build-arg", f"TOKEN={SECRET}",
                 "--id", run_id, "-o", "json", str(context))
    result.assert_succeeded(run_id)
    assert "token=***" in result.err
    assert SECRET not in result.text
    assert_clean(docker_client, run_id)


def test_secret_build_arg_mounted_by_the_dockerfile_stays_out_of_history(cli: Cli, run_ids: Any, tmp_path: Path,
                                                                        docker_client: Any) -> None:
    """``az acr build --secret-build-arg`` leaks the value into the image history (acr-builder#644); here a
    Dockerfile that mounts the secret gets it as a BuildKit secret, chosen automatically."""
    run_id = run_ids("sbm")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {cli.base}\nRUN --mount=type=secret,id=NPM_TOKEN echo {run_id} && "
        "test -s /run/secrets/NPM_TOKEN && echo mounted-ok\n"
    )
    tag = f"e2e-local/sbm:{run_id}"
    result = cli("build", "-t", tag, "--no-push", "--secret-build-arg", f"NPM_TOKEN={SECRET}", "--id", run_id,
                 "-o", "json", str(context))
    result.assert_succeeded(run_id)
    assert "Building with BuildKit: /workspace/Dockerfile line 2 uses RUN --mount=type=secret" in result.err
    assert "mounted-ok" in result.err
    assert SECRET not in result.text
    assert SECRET not in str(docker_client.api.history(tag))
    assert_clean(docker_client, run_id)
