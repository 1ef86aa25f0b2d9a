"""What a user sees when things go wrong: a failed build, a missing image, an unreachable registry, an invalid
task file, bad command-line usage. Always a reason, never a traceback, and nothing left on the Docker host."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from e2e_support import TRACEBACK, Cli, assert_clean, write_task

pytestmark = pytest.mark.integration


def test_bad_dockerfile_fails_with_the_build_error(cli: Cli, run_ids: Any, tmp_path: Path,
                                                    docker_client: Any) -> None:
    run_id = run_ids("baddf")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {cli.base}\nRUN echo building && exit 3\n")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: build
            build: -t e2e-local/bad:$ID .
          - id: after
            cmd: e2e-local/bad:$ID
    """)
    result = cli.run_task(task, run_id, context=context)
    reason = result.assert_failed(run_id)
    build = result.step("build")
    assert build["status"] == "failed"
    assert "non-zero code: 3" in build.get("error", ""), build
    assert "build" in reason
    assert result.step("after")["status"] == "skipped"
    assert_clean(docker_client, run_id)


def test_missing_image_fails_with_not_found(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                            registry: str) -> None:
    run_id = run_ids("noimg")
    task = write_task(tmp_path, f"""
        version: v1.1.0
        steps:
          - id: ghost
            cmd: {registry}/e2e/does-not-exist:{run_id} echo hi
    """)
    result = cli.run_task(task, run_id)
    reason = result.assert_failed(run_id)
    assert re.search(r"not found|not exist|unknown", reason, re.IGNORECASE), reason
    assert "does-not-exist" in reason or "does-not-exist" in result.step("ghost").get("error", "")
    assert result.step("ghost")["status"] == "failed"
    assert_clean(docker_client, run_id)


def test_unreachable_registry_push_fails_with_reason(cli: Cli, run_ids: Any, tmp_path: Path,
                                                     docker_client: Any) -> None:
    run_id = run_ids("noreg")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {cli.base}\n")
    # Port 1 on loopback: nothing listens there, so the daemon's connection is refused at once.
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: build
            build: -t 127.0.0.1:1/e2e/x:$ID .
          - id: push
            push: ["127.0.0.1:1/e2e/x:$ID"]
    """)
    result = cli.run_task(task, run_id, context=context)
    reason = result.assert_failed(run_id)
    push = result.step("push")
    assert push["status"] == "failed"
    detail = reason + " " + push.get("error", "")
    assert "127.0.0.1:1" in detail, detail
    assert re.search(r"refused|connect|unreachable|push", detail, re.IGNORECASE), detail
    assert result.record["outputImages"] == []
    assert_clean(docker_client, run_id)


INVALID_FILES = {
    "yaml-syntax": ("version: v1.1.0\nsteps:\n  - cmd: x echo\n    when: [a\n", 4),
    "unknown-dependency": ("version: v1.1.0\nsteps:\n  - id: a\n    cmd: x echo\n    when: [\"nope\"]\n", 5),
    "template": ("version: v1.1.0\nsteps:\n  - cmd: x echo {{ .Values.base \n", 3),
    "two-step-types": ("version: v1.1.0\nsteps:\n  - id: a\n    cmd: x echo\n  - id: b\n    cmd: x\n"
                       "    push: [\"r/x:1\"]\n", 5),
}


@pytest.mark.parametrize("case", sorted(INVALID_FILES))
def test_invalid_task_file_reports_file_line_col(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                                 case: str) -> None:
    text, line = INVALID_FILES[case]
    task = tmp_path / f"{case}.yaml"
    task.write_text(text)
    run_id = run_ids("inv")
    result = cli.run_task(task, run_id)
    assert result.rc == 1, result.describe()
    assert TRACEBACK not in result.text
    assert "internal error" not in result.err, result.describe()
    pattern = re.compile(rf"^{re.escape(str(task))}:(\d+):(\d+): error: ", re.MULTILINE)
    found = [int(m.group(1)) for m in pattern.finditer(result.err)]
    assert found, result.describe()
    assert line in found or found[0] in (line - 1, line, line + 1), result.describe()
    assert "Run ID:" not in result.text  # nothing ran
    assert_clean(docker_client, run_id)


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["run", "--bogus-flag"],
        ["run", "-f", "x.yaml", "--cmd", "img echo"],
        ["run", "-f", "no/such/task.yaml"],
        ["run", "--cmd", "img echo", "--timeout", "soon"],
        ["build"],
        ["frobnicate"],
    ],
    ids=["no-task", "unknown-flag", "file-and-cmd", "missing-file", "bad-timeout", "build-no-context",
         "unknown-command"],
)
def test_bad_usage_exits_2_with_one_line(cli: Cli, argv: list[str]) -> None:
    result = cli(*argv, config=False)
    assert result.rc == 2, result.describe()
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    assert len(lines) == 1, result.describe()
    assert lines[0].startswith("tasks-engine: error: "), result.describe()
    assert result.out == ""


def test_build_timeout_stops_the_build(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    """A build step that times out leaves no intermediate build container running ``RUN`` behind."""
    run_id = run_ids("btmo")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {cli.base}\nRUN echo {run_id} && sleep 30\n")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: build
            build: -t e2e-local/slow:$ID .
            timeout: 2
    """)
    result = cli.run_task(task, run_id, context=context)
    reason = result.assert_failed(run_id)
    assert "timed out" in reason
    deadline = time.monotonic() + 5
    while True:
        building = [c for c in docker_client.api.containers(all=True) if run_id in (c.get("Command") or "")]
        if not building or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not building, f"the timed-out build left containers: {building}"
    assert_clean(docker_client, run_id)


def test_privileged_step_refused_by_default(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    """A task file cannot grant itself --privileged: only the engine configuration can."""
    run_id = run_ids("priv")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: root
            cmd: '{{ .Values.base }} echo must-not-run'
            privileged: true
    """)
    result = cli.run_task(task, run_id)
    reason = result.assert_failed(run_id)
    assert "privileged" in reason and "allowPrivileged" in reason
    assert "must-not-run" not in result.text
    assert_clean(docker_client, run_id)
