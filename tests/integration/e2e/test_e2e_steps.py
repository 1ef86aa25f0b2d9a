"""Run semantics on real Docker, end to end through ``tasks-engine run``: parallel steps, detached services,
the shared workspace, retries, repeat, step and run timeouts, ignoreErrors and fail-fast."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cli, assert_clean, write_task

pytestmark = pytest.mark.integration


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_parallel_steps_overlap(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("par")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: a
            cmd: '{{ .Values.base }} sleep 2'
            when: ["-"]
          - id: b
            cmd: '{{ .Values.base }} sleep 2'
            when: ["-"]
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    assert [s["status"] for s in result.record["steps"]] == ["successful", "successful"]
    a, b = result.step("a"), result.step("b")
    assert a["startTime"] < b["finishTime"] and b["startTime"] < a["finishTime"], (a, b)
    span = max(_stamp(a["finishTime"]), _stamp(b["finishTime"])) - min(_stamp(a["startTime"]),
                                                                       _stamp(b["startTime"]))
    assert span < 3.5, f"two parallel 'sleep 2' steps took {span:.1f}s: they did not overlap"
    assert_clean(docker_client, run_id)


def test_detached_service_reached_by_step_id(cli: Cli, run_ids: Any, tmp_path: Path,
                                             docker_client: Any) -> None:
    run_id = run_ids("svc")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: prep
            cmd: '{{ .Values.base }} sh -c "mkdir -p www && echo served-by-httpd > www/index.html"'
          - id: web
            cmd: '{{ .Values.base }} httpd -f -p 8080 -h /workspace/www'
            detach: true
          - id: probe
            cmd: '{{ .Values.base }} wget -qO- http://web:8080/index.html'
            retries: 3
            retryDelay: 1
    """)
    result = cli.run_task(task, run_id, context=tmp_path)
    result.assert_succeeded(run_id)
    assert "served-by-httpd" in result.err
    assert result.step("web")["status"] == "successful"
    assert result.step("probe")["status"] == "successful"
    assert_clean(docker_client, run_id)  # the detached httpd was removed at teardown


def test_workspace_shared_between_steps_context_untouched(cli: Cli, run_ids: Any, tmp_path: Path,
                                                          docker_client: Any) -> None:
    run_id = run_ids("ws")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "input.txt").write_text("from-the-context\n")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: write
            cmd: '{{ .Values.base }} sh -c "cat input.txt > copy.txt && echo written-by-step-1 >> copy.txt"'
          - id: read
            cmd: '{{ .Values.base }} cat /workspace/copy.txt'
          - id: sub
            cmd: '{{ .Values.base }} pwd'
            workingDirectory: /workspace
    """)
    before = sorted(p.name for p in context.iterdir())
    result = cli.run_task(task, run_id, context=context)
    result.assert_succeeded(run_id)
    assert "from-the-context" in result.err
    assert "written-by-step-1" in result.err
    assert sorted(p.name for p in context.iterdir()) == before == ["input.txt"]
    assert (context / "input.txt").read_text() == "from-the-context\n"
    assert_clean(docker_client, run_id)


def test_retries_until_marker_exists(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("retry")
    # v1.0.0: no alias preprocessing, so the shell's $(...) reaches the container untouched.
    task = write_task(tmp_path, """
        version: v1.0.0
        steps:
          - id: flaky
            cmd: >-
              {{ .Values.base }} sh -c 'echo try >> tries; test $(wc -l < tries) -ge 3 && touch marker;
              test -f marker'
            retries: 2
            retryDelay: 1
          - id: after
            cmd: '{{ .Values.base }} sh -c "echo TRIES=$(wc -l < tries)"'
    """)
    started = time.monotonic()
    result = cli.run_task(task, run_id)
    elapsed = time.monotonic() - started
    result.assert_succeeded(run_id)
    flaky = result.step("flaky")
    assert flaky["status"] == "successful"
    assert flaky["attempts"] == 3
    assert flaky["exitCode"] == 0
    assert "TRIES=3" in result.err
    assert elapsed >= 2, "two retry delays of 1s each"
    assert_clean(docker_client, run_id)


def test_retries_exhausted_fails(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("retryx")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: never
            cmd: '{{ .Values.base }} sh -c "exit 3"'
            retries: 1
            retryDelay: 1
    """)
    result = cli.run_task(task, run_id)
    reason = result.assert_failed(run_id)
    step = result.step("never")
    assert step["status"] == "failed"
    assert step["attempts"] == 2
    assert step["exitCode"] == 3
    assert "never" in reason
    assert result.record["error"]["stepId"] == "never"


def test_repeat_runs_repeat_plus_one_times(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("repeat")
    task = write_task(tmp_path, """
        version: v1.0.0
        steps:
          - id: count
            cmd: '{{ .Values.base }} sh -c "echo x >> counter"'
            repeat: 2
          - id: show
            cmd: '{{ .Values.base }} sh -c "echo COUNT=$(wc -l < counter)"'
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    assert "COUNT=3" in result.err
    assert result.step("count")["status"] == "successful"


def test_step_timeout_kills_the_container(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("tmo")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: slow
            cmd: '{{ .Values.base }} sleep 30'
            timeout: 2
          - id: never
            cmd: '{{ .Values.base }} echo unreachable'
    """)
    started = time.monotonic()
    result = cli.run_task(task, run_id)
    elapsed = time.monotonic() - started
    reason = result.assert_failed(run_id)
    assert "timed out" in reason
    slow = result.step("slow")
    assert slow["status"] == "failed"
    assert "timed out" in slow.get("error", "")
    assert result.step("never")["status"] == "skipped"
    assert elapsed < 15, f"a 2s step timeout took {elapsed:.1f}s"
    assert_clean(docker_client, run_id)


def test_timed_out_container_is_gone_while_the_run_goes_on(cli: Cli, run_ids: Any, tmp_path: Path,
                                                           docker_client: Any) -> None:
    """The timed-out container is stopped at the timeout, not left running until teardown."""
    run_id = run_ids("tmo2")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: slow
            cmd: '{{ .Values.base }} sleep 30'
            timeout: 1
            ignoreErrors: true
          - id: after
            cmd: '{{ .Values.base }} sleep 2'
    """)
    seen: list[tuple[float, set[str]]] = []
    done = threading.Event()

    def watch() -> None:
        filters = {"label": f"tasks-engine.run-id={run_id}", "status": "running"}
        while not done.is_set():
            running = docker_client.api.containers(filters=filters)
            seen.append((time.time(), {c["Labels"].get("tasks-engine.step-id", "") for c in running}))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = cli.run_task(task, run_id)
    finally:
        done.set()
        watcher.join(5)
    result.assert_succeeded(run_id)
    slow, after = result.step("slow"), result.step("after")
    assert "timed out" in (slow.get("error") or ""), slow
    assert any("slow" in steps for _, steps in seen), "the watcher never saw the slow step running"
    window = (_stamp(slow["finishTime"]) + 1.0, _stamp(after["finishTime"]) - 0.5)
    during = [steps for t, steps in seen if window[0] <= t <= window[1]]
    assert during, "no sample while the next step ran"
    assert all("slow" not in steps for steps in during), "the timed-out container kept running"
    assert_clean(docker_client, run_id)


def test_ignore_errors_lets_dependants_run(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("ign")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: broken
            cmd: '{{ .Values.base }} sh -c "exit 7"'
            ignoreErrors: true
          - id: next
            cmd: '{{ .Values.base }} echo dependant-ran'
            when: ["broken"]
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    assert result.record["status"] == "Succeeded"
    assert result.step("broken")["status"] == "successful"
    assert result.step("broken")["exitCode"] == 7
    assert result.step("next")["status"] == "successful"
    assert "dependant-ran" in result.err


def test_fail_fast_skips_dependants(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("ff")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: ok
            cmd: '{{ .Values.base }} echo fine'
          - id: boom
            cmd: '{{ .Values.base }} sh -c "echo failing; exit 4"'
          - id: child
            cmd: '{{ .Values.base }} echo must-not-run'
            when: ["boom"]
          - id: grandchild
            cmd: '{{ .Values.base }} echo must-not-run-either'
            when: ["child"]
          - id: sibling
            cmd: '{{ .Values.base }} sleep 30'
            when: ["-"]
    """)
    started = time.monotonic()
    result = cli.run_task(task, run_id)
    assert time.monotonic() - started < 10, "fail-fast waited for the parallel 'sleep 30' step"
    reason = result.assert_failed(run_id)
    assert result.step("sibling")["status"] != "successful"
    assert "boom" in reason
    record = result.record
    assert record["error"]["stepId"] == "boom"
    assert "boom" in record["error"]["message"]
    assert result.step("ok")["status"] == "successful"
    assert result.step("boom")["status"] == "failed"
    assert result.step("boom")["exitCode"] == 4
    assert result.step("child")["status"] == "skipped"
    assert result.step("grandchild")["status"] == "skipped"
    assert "must-not-run" not in result.text
    assert_clean(docker_client, run_id)


def test_total_timeout_in_file_ends_the_run_with_timeout(cli: Cli, run_ids: Any, tmp_path: Path,
                                                         docker_client: Any) -> None:
    run_id = run_ids("ttf")
    task = write_task(tmp_path, """
        version: v1.1.0
        totalTimeout: 1
        steps:
          - id: long
            cmd: '{{ .Values.base }} sleep 30'
    """)
    started = time.monotonic()
    result = cli.run_task(task, run_id)
    assert time.monotonic() - started < 15
    result.assert_failed(run_id, status="Timeout")
    assert result.record["status"] == "Timeout"
    assert result.step("long")["status"] != "successful"
    assert_clean(docker_client, run_id)


def test_timeout_flag_ends_the_run_with_timeout(cli: Cli, run_ids: Any, tmp_path: Path,
                                                docker_client: Any) -> None:
    run_id = run_ids("ttc")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: long
            cmd: '{{ .Values.base }} sleep 30'
          - id: after
            cmd: '{{ .Values.base }} echo never'
    """)
    started = time.monotonic()
    result = cli.run_task(task, run_id, "--timeout", "1")
    assert time.monotonic() - started < 15
    result.assert_failed(run_id, status="Timeout")
    assert result.step("after")["status"] == "skipped"
    assert_clean(docker_client, run_id)
