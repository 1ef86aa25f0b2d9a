"""DAG walking, parallelism, log lines and the success path of execute_plan."""

from __future__ import annotations

import re
import time

from tasks_engine.backends.fake import FakeBackend, hang, ok
from tasks_engine.runtime.events import RunFinished, StepFinished, StepStarted
from tasks_engine.runtime.results import RunStatus, StepStatus


def test_empty_plan_succeeds_and_still_sets_up_and_tears_down(kit) -> None:
    backend = FakeBackend()
    out = kit.run(kit.plan(), backend)
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.result.error is None
    assert backend.calls == [("setup", None), ("teardown", None)]
    assert isinstance(out.sink.events[-1], RunFinished)


def test_chain_runs_in_dependency_order(kit) -> None:
    backend = FakeBackend({"a": ok(0.05), "b": ok(0.05), "c": ok(0.0)})
    plan = kit.plan(kit.step("a"), kit.step("b", "a"), kit.step("c", "b"))
    out = kit.run(plan, backend)
    assert out.result.status is RunStatus.SUCCEEDED
    a, b, c = (backend.attempts_of(x)[0] for x in "abc")
    assert a.finished is not None and b.finished is not None
    assert a.finished <= b.started and b.finished <= c.started
    assert [s.status for s in out.result.steps] == [StepStatus.SUCCESSFUL] * 3
    assert all(s.attempts == 1 and s.exit_code == 0 for s in out.result.steps)


def test_independent_steps_run_in_parallel(kit) -> None:
    backend = FakeBackend({"a": ok(0.3), "b": ok(0.3)})
    t0 = time.monotonic()
    out = kit.run(kit.plan(kit.step("a"), kit.step("b")), backend)
    took = time.monotonic() - t0
    assert out.result.status is RunStatus.SUCCEEDED
    assert took < 0.5, took
    assert backend.max_concurrent == 2


def test_max_parallel_caps_running_steps(kit) -> None:
    backend = FakeBackend(default=ok(0.1))
    plan = kit.plan(*(kit.step(x) for x in "abc"))
    t0 = time.monotonic()
    out = kit.run(plan, backend, max_parallel=1)
    assert out.result.status is RunStatus.SUCCEEDED
    assert backend.max_concurrent == 1
    assert time.monotonic() - t0 >= 0.3
    # YAML order is kept when the cap serialises ready steps.
    assert backend.started_steps() == ["a", "b", "c"]


def test_join_waits_for_all_parents(kit) -> None:
    backend = FakeBackend({"a": ok(0.05), "b": ok(0.2), "c": ok()})
    out = kit.run(kit.plan(kit.step("a"), kit.step("b"), kit.step("c", "a", "b")), backend)
    assert out.result.status is RunStatus.SUCCEEDED
    b_end = backend.attempts_of("b")[0].finished
    assert b_end is not None and backend.attempts_of("c")[0].started >= b_end


def test_engine_log_lines_and_summary(kit) -> None:
    backend = FakeBackend({"a": ok(0.0, "hello\n")})
    plan = kit.plan(
        kit.step("a", timeout=42, network="net1"),
        kit.step("b", "a", working_directory=None),
        default_network="acb_default_network",
    )
    out = kit.run(plan, backend)
    engine = out.engine
    assert (
        "Executing step ID: a. Timeout(sec): 42, Working directory: '/workspace', Network: 'net1'" in engine
    )
    assert (
        "Executing step ID: b. Timeout(sec): 600, Working directory: '', Network: 'acb_default_network'"
        in engine
    )
    assert "Launching container with name: a" in engine
    assert "Successfully executed container: a" in engine
    summary = [line for line in engine if line.startswith("Step ID:")]
    assert len(summary) == 2
    assert re.fullmatch(
        r"Step ID: a marked as successful \(elapsed time in seconds: \d+\.\d{6}\)", summary[0]
    )
    assert summary[1].startswith("Step ID: b marked as successful")
    assert out.sink.texts(step_id="a", engine=False) == ["hello"]


def test_events_started_and_finished_for_every_step(kit) -> None:
    backend = FakeBackend()
    out = kit.run(kit.plan(kit.step("a"), kit.step("b", "a")), backend)
    started = [e.step_id for e in out.sink.of_type(StepStarted)]
    finished = [e.result.id for e in out.sink.of_type(StepFinished)]
    assert started == ["a", "b"] and finished == ["a", "b"]
    steps = out.result.to_dict()["steps"]
    assert steps[0]["startTime"] and steps[0]["finishTime"] and steps[0]["status"] == "successful"


def test_start_delay_is_logged_and_not_counted_in_timeout(kit) -> None:
    # time_scale 0.1: startDelay 3 -> 0.3 s, timeout 2 -> 0.2 s, the attempt takes 0.1 s.
    backend = FakeBackend({"a": ok(0.1)})
    t0 = time.monotonic()
    out = kit.run(kit.plan(kit.step("a", start_delay=3, timeout=2)), backend, time_scale=0.1)
    assert out.result.status is RunStatus.SUCCEEDED
    assert "Waiting 3 seconds before executing step ID: a" in out.engine
    assert backend.attempts_of("a")[0].started - t0 >= 0.28


def test_detach_step_succeeds_while_container_keeps_running(kit) -> None:
    backend = FakeBackend({"server": hang(), "client": ok()})
    plan = kit.plan(kit.step("server", detach=True), kit.step("client", "server"))
    t0 = time.monotonic()
    out = kit.run(plan, backend)
    assert time.monotonic() - t0 < 1.0
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.step("server").status is StepStatus.SUCCESSFUL
    assert backend.teardown_calls == 1 and backend.detached == []  # teardown removed it


def test_time_and_ids_are_injected(kit) -> None:
    from datetime import UTC, datetime

    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    out = kit.run(kit.plan(kit.step("a")), FakeBackend(), clock=lambda: fixed)
    assert out.result.start_time == fixed and out.result.finish_time == fixed
    assert out.result.run_id == "run1"
    assert all(line.time == fixed for line in out.sink.lines())
