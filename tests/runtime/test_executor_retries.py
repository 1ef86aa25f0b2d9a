"""retries, retryDelay, retryOnErrors, repeat and step timeouts (spec §4.8, §8 items 19-20)."""

from __future__ import annotations

import time

from tasks_engine.backends.fake import AttemptScript, FakeBackend, exits, fail, hang, ok
from tasks_engine.plan.model import StepType
from tasks_engine.runtime.results import RunStatus, StepStatus


def test_retries_until_success(kit) -> None:
    backend = FakeBackend({"a": exits(1, 1, 0)})
    out = kit.run(kit.plan(kit.step("a", retries=2, retry_delay=1)), backend, time_scale=0.05)
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.step("a").attempts == 3 and out.step("a").exit_code == 0
    engine = out.engine
    assert engine.count("Launching container with name: a") == 3
    assert engine.count("Container failed during run: a, waiting 1 seconds before retrying...") == 2
    assert "Successfully executed container: a" in engine
    assert [r.attempt for r in backend.attempts_of("a")] == [1, 2, 3]


def test_retry_delay_is_waited(kit) -> None:
    backend = FakeBackend({"a": exits(1, 0)})
    kit.run(kit.plan(kit.step("a", retries=1, retry_delay=2)), backend, time_scale=0.1)
    first, second = backend.attempts_of("a")
    assert first.finished is not None and second.started - first.finished >= 0.19


def test_retries_exhausted_fails_the_run(kit) -> None:
    backend = FakeBackend({"a": exits(3)})
    out = kit.run(kit.plan(kit.step("a", retries=1)), backend)
    assert out.result.status is RunStatus.FAILED
    assert out.step("a").status is StepStatus.FAILED and out.step("a").attempts == 2
    assert out.step("a").error == "exit status 3" and out.step("a").exit_code == 3
    assert out.result.error is not None
    assert out.result.error.message == "failed to run step ID: a: exit status 3"
    assert out.result.error.step_id == "a"
    assert out.engine.count("Container failed during run: a. No retries remaining.") == 1
    assert out.engine[-1] == "failed to run step ID: a: exit status 3"
    assert not any(
        line.startswith("Step ID: a marked as") for line in out.engine
    )  # ACR: no summary on failure


def test_retry_on_errors_matching_output_retries(kit) -> None:
    backend = FakeBackend({"a": [fail(1, 0.0, "dial tcp: TLS hand", "shake timeout\n"), ok()]})
    step = kit.step("a", retries=2, retry_on_errors=["TLS handshake timeout"])
    out = kit.run(kit.plan(step), backend)
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.step("a").attempts == 2


def test_retry_on_errors_matches_the_error_text_too(kit) -> None:
    backend = FakeBackend({"a": [AttemptScript(start_error="pull access denied for x"), ok()]})
    out = kit.run(kit.plan(kit.step("a", retries=1, retry_on_errors=["access denied"])), backend)
    assert out.result.status is RunStatus.SUCCEEDED


def test_retry_on_errors_without_match_does_not_retry(kit) -> None:
    backend = FakeBackend({"a": [fail(1, 0.0, "some other error\n"), ok()]})
    step = kit.step("a", retries=3, retry_on_errors=["TLS handshake timeout"])
    out = kit.run(kit.plan(step), backend)
    assert out.result.status is RunStatus.FAILED
    assert out.step("a").attempts == 1
    assert "Container failed during run: a. No retries remaining." in out.engine


def test_repeat_runs_every_iteration_even_after_a_failure(kit) -> None:
    backend = FakeBackend({"a": [ok(), fail(2), ok()]})
    out = kit.run(kit.plan(kit.step("a", repeat=2)), backend)
    assert len(backend.attempts_of("a")) == 3  # the 3rd iteration still ran
    assert out.step("a").status is StepStatus.FAILED
    assert out.step("a").error == "exit status 2"
    assert out.result.status is RunStatus.FAILED


def test_repeat_joins_errors_and_each_iteration_has_its_own_retries(kit) -> None:
    # iteration 1: fail, retry ok; iteration 2: fail 3, fail 4 (retries exhausted); iteration 3: fail 5, ok.
    backend = FakeBackend({"a": [fail(1), ok(), fail(3), fail(4), fail(5), ok()]})
    out = kit.run(kit.plan(kit.step("a", repeat=2, retries=1)), backend)
    assert out.step("a").attempts == 6
    assert out.step("a").error == "exit status 4"
    backend2 = FakeBackend({"a": [fail(1), fail(3)]})
    out2 = kit.run(kit.plan(kit.step("a", repeat=1)), backend2)
    assert out2.step("a").error == "exit status 1, exit status 3"


def test_push_step_ignores_retries_and_repeat(kit) -> None:
    backend = FakeBackend({"p": fail(1, error="failed to push images successfully")})
    step = kit.step("p", type=StepType.PUSH, images=["r.io/a:1"], retries=3, repeat=2)
    out = kit.run(kit.plan(step), backend)
    assert len(backend.attempts_of("p")) == 1
    assert out.result.error is not None
    assert out.result.error.message == "failed to run step ID: p: failed to push images successfully"
    assert "Launching container with name: p" not in out.engine


def test_timeout_spans_retries_and_delays(kit) -> None:
    # Each attempt fails after 0.05 s, retry delay 0.1 s; the 0.3 s timeout ends it mid-way.
    backend = FakeBackend({"a": fail(1, 0.05)})
    step = kit.step("a", retries=50, retry_delay=1, timeout=3)
    t0 = time.monotonic()
    out = kit.run(kit.plan(step, kit.step("b", "a")), backend, time_scale=0.1)
    took = time.monotonic() - t0
    assert 0.25 <= took < 1.0, took
    assert out.step("a").status is StepStatus.FAILED and out.step("a").error == "timed out"
    assert 1 < out.step("a").attempts < 5
    assert out.step("b").status is StepStatus.SKIPPED
    assert out.result.status is RunStatus.FAILED
    assert out.result.error is not None and out.result.error.message == "failed to run step ID: a: timed out"


def test_timeout_stops_a_hanging_attempt(kit) -> None:
    backend = FakeBackend({"a": hang("working...\n")})
    out = kit.run(kit.plan(kit.step("a", timeout=2)), backend, time_scale=0.1)
    assert out.step("a").error == "timed out"
    assert backend.stopped_steps() == ["a"]
    assert out.sink.texts(step_id="a", engine=False) == ["working..."]


def test_timeout_with_ignore_errors_lets_dependants_run(kit) -> None:
    backend = FakeBackend({"a": hang()})
    plan = kit.plan(kit.step("a", timeout=1, ignore_errors=True), kit.step("b", "a"))
    out = kit.run(plan, backend, time_scale=0.1)
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.step("a").status is StepStatus.SUCCESSFUL
    assert out.step("b").status is StepStatus.SUCCESSFUL
    assert (
        "Step ID: a encountered an error: timed out, but is set to ignore errors. Continuing..." in out.engine
    )
