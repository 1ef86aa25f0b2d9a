"""Quick runs a README reader tries first: ``run --cmd`` and the demo task in examples/demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import REPO_ROOT, Cli, assert_clean, remove_images, write_task

pytestmark = pytest.mark.integration


def test_run_cmd(cli: Cli, run_ids: Any, docker_client: Any) -> None:
    run_id = run_ids("cmd")
    result = cli("run", "--cmd", f"{cli.base} echo hi-from-cmd", "--id", run_id, "-o", "json", "/dev/null")
    result.assert_succeeded(run_id)
    assert "hi-from-cmd" in result.err
    steps = result.record["steps"]
    assert len(steps) == 1
    assert steps[0]["status"] == "successful"
    assert steps[0]["exitCode"] == 0
    assert steps[0]["attempts"] == 1
    assert_clean(docker_client, run_id)


def test_run_cmd_text_output_and_failure(cli: Cli, run_ids: Any, docker_client: Any) -> None:
    run_id = run_ids("cmdf")
    result = cli("run", "--cmd", f"{cli.base} sh -c 'echo about-to-fail; exit 5'", "--id", run_id)
    reason = result.assert_failed(run_id)
    assert "about-to-fail" in result.out
    assert reason
    assert result.final_line == result.out.strip().splitlines()[-1]
    assert_clean(docker_client, run_id)


def test_readme_demo(cli: Cli, run_ids: Any, docker_client: Any, registry: str,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = run_ids("demo")
    demo = REPO_ROOT / "examples" / "demo"
    monkeypatch.chdir(demo)  # as scripts/demo.sh runs it
    before = sorted(str(p.relative_to(demo)) for p in demo.rglob("*"))
    try:
        result = cli("run", "-f", "acr-task.yaml", "--values", "values.yaml", "--registry", registry,
                     "--id", run_id, "-o", "json", ".")
        result.assert_succeeded(run_id)
        statuses = {s["id"]: s["status"] for s in result.record["steps"]}
        assert statuses == {k: "successful" for k in ("build", "hello", "web", "probe", "push")}
        assert "Hello from Tasks Engine" in result.err  # the built image ran
        assert "It works: served by a detached step" in result.err  # the probe reached the web step
        tags = {(o["repository"], o["tag"]) for o in result.record["outputImages"]}
        assert ("demo/hello", run_id) in tags
        assert sorted(str(p.relative_to(demo)) for p in demo.rglob("*")) == before
        assert_clean(docker_client, run_id)
    finally:
        remove_images(docker_client, run_id, [f"{registry}/demo/hello:{run_id}"])


def test_repeated_run_id_is_refused_or_clean(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    """The same id twice in a row (a user re-running with --id): the second run must not trip over the
    first one's objects."""
    run_id = run_ids("again")
    for _ in range(2):
        result = cli("run", "--cmd", f"{cli.base} echo again", "--id", run_id, "-o", "json")
        result.assert_succeeded(run_id)
        assert_clean(docker_client, run_id)


def test_log_output_fidelity(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    """Every line of a chatty step reaches the log, in order; stderr, a missing final newline and UTF-8 too."""
    run_id = run_ids("logs")
    task = write_task(tmp_path, """
        version: v1.0.0
        steps:
          - id: many
            cmd: '{{ .Values.base }} seq 1 5000'
          - id: tail
            cmd: '{{ .Values.base }} printf no-newline-at-end'
          - id: mixed
            cmd: '{{ .Values.base }} sh -c "echo to-stderr >&2; echo héllo ✓"'
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    numbers = [int(line) for line in result.err.splitlines() if line.isdigit()]
    assert numbers == list(range(1, 5001))
    lines = result.err.splitlines()
    assert "no-newline-at-end" in lines
    assert "to-stderr" in lines
    assert "héllo ✓" in lines


def test_run_log_has_acr_setup_lines(cli: Cli, run_ids: Any, docker_client: Any) -> None:
    """The run log starts like ACR's: alias note, network creation, then the step lines, all timestamped."""
    run_id = run_ids("logs")
    result = cli("run", "--cmd", f"{cli.base} true", "--id", run_id)
    result.assert_succeeded(run_id)
    lines = result.out.splitlines()
    network = f"tasks-engine-{run_id}"
    assert any(line.endswith(f"Creating Docker network: {network}, driver: 'bridge'") for line in lines)
    assert any(line.endswith(f"Successfully set up Docker network: {network}") for line in lines)
    created = next(i for i, line in enumerate(lines) if "Creating Docker network" in line)
    executing = next(i for i, line in enumerate(lines) if "Executing step ID: acb_step_0" in line)
    assert created < executing
    assert all(line[:4].isdigit() and line[4] == "/" for line in lines[:executing])
    assert_clean(docker_client, run_id)
