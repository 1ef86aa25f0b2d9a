"""ignoreErrors, fail-fast, run timeout, cancel, backend exceptions, teardown guarantees."""

from __future__ import annotations

import threading
import time

from tasks_engine.backends.fake import AttemptScript, FakeBackend, crash, fail, hang, ok
from tasks_engine.errors import InfrastructureError, TransientError
from tasks_engine.runtime.events import StepFinished
from tasks_engine.runtime.results import RunStatus, StepStatus


def test_ignore_errors_marks_successful_and_dependants_run(kit) -> None:
    backend = FakeBackend({"a": fail(2)})
    out = kit.run(kit.plan(kit.step("a", ignore_errors=True), kit.step("b", "a")), backend)
    assert out.result.status is RunStatus.SUCCEEDED
    assert out.step("a").status is StepStatus.SUCCESSFUL and out.step("a").error == "exit status 2"
    assert out.step("b").status is StepStatus.SUCCESSFUL
    assert (
        "Step ID: a encountered an error: exit status 2, but is set to ignore errors. Continuing..."
        in out.engine
    )
    assert "Step ID: a marked as successful" in " ".join(out.engine)


def test_fail_fast_skips_dependants_and_stops_parallel_steps(kit) -> None:
    backend = FakeBackend({"a": fail(1, 0.05), "b": hang(), "c": ok()})
    plan = kit.plan(kit.step("a"), kit.step("b"), kit.step("c", "a"), kit.step("d", "b"))
    t0 = time.monotonic()
    out = kit.run(plan, backend)
    assert time.monotonic() - t0 < 1.0
    assert out.result.status is RunStatus.FAILED
    assert out.result.error is not None
    assert (out.result.error.step_id, out.result.error.message) == (
        "a",
        "failed to run step ID: a: exit status 1",
    )
    assert out.step("a").status is StepStatus.FAILED
    assert out.step("b").status is StepStatus.FAILED
    assert out.step("b").error == "stopped after step ID: a failed"
    assert out.step("c").status is StepStatus.SKIPPED and out.step("d").status is StepStatus.SKIPPED
    assert backend.stopped_steps() == ["b"]
    assert backend.started_steps() == ["a", "b"]
    assert backend.teardown_calls == 1
    # every step gets a terminal StepFinished event
    assert sorted(e.result.id for e in out.sink.of_type(StepFinished)) == ["a", "b", "c", "d"]


def test_run_timeout_stops_everything(kit) -> None:
    backend = FakeBackend({"a": hang(), "b": hang()})
    out = kit.run(
        kit.plan(kit.step("a"), kit.step("b"), kit.step("c", "a")), backend, total_timeout=2, time_scale=0.1
    )
    assert out.result.status is RunStatus.TIMEOUT
    assert out.result.error is not None and out.result.error.message == "timed out"
    assert {out.step("a").status, out.step("b").status} == {StepStatus.FAILED}
    assert out.step("a").error == "timed out (run timeout)"
    assert out.step("c").status is StepStatus.SKIPPED
    assert sorted(backend.stopped_steps()) == ["a", "b"]
    assert backend.teardown_calls == 1


def test_run_timeout_from_plan(kit) -> None:
    backend = FakeBackend({"a": hang()})
    out = kit.run(kit.plan(kit.step("a"), total_timeout=1), backend, time_scale=0.2)
    assert out.result.status is RunStatus.TIMEOUT


def test_step_timeout_beyond_run_timeout_still_dies_at_run_limit(kit) -> None:
    backend = FakeBackend({"a": hang()})
    out = kit.run(kit.plan(kit.step("a", timeout=4200), total_timeout=3), backend, time_scale=0.05)
    assert out.result.status is RunStatus.TIMEOUT


def test_cancel_from_another_thread(kit) -> None:
    cancel = threading.Event()
    backend = FakeBackend({"a": hang(), "b": ok()})
    threading.Timer(0.1, cancel.set).start()
    t0 = time.monotonic()
    out = kit.run(kit.plan(kit.step("a"), kit.step("b", "a")), backend, cancel=cancel)
    assert time.monotonic() - t0 < 1.0
    assert out.result.status is RunStatus.CANCELED
    assert out.result.error is not None and out.result.error.message == "canceled"
    assert out.step("a").status is StepStatus.FAILED and out.step("a").error == "canceled"
    assert out.step("b").status is StepStatus.SKIPPED
    assert backend.teardown_calls == 1


def test_cancel_before_start_runs_nothing(kit) -> None:
    cancel = threading.Event()
    cancel.set()
    backend = FakeBackend()
    out = kit.run(kit.plan(kit.step("a")), backend, cancel=cancel)
    assert out.result.status is RunStatus.CANCELED
    assert backend.attempts == [] and backend.teardown_calls == 1
    assert out.step("a").status is StepStatus.SKIPPED


def test_cancel_during_start_delay_leaves_step_skipped(kit) -> None:
    cancel = threading.Event()
    threading.Timer(0.05, cancel.set).start()
    backend = FakeBackend()
    out = kit.run(kit.plan(kit.step("a", start_delay=10)), backend, cancel=cancel)
    assert out.result.status is RunStatus.CANCELED
    assert backend.attempts == []
    assert out.step("a").status is StepStatus.SKIPPED


def test_backend_exception_is_error_and_stops_others(kit) -> None:
    backend = FakeBackend({"a": crash(TransientError("docker daemon gone")), "b": hang()})
    out = kit.run(kit.plan(kit.step("a"), kit.step("b"), kit.step("c", "a")), backend)
    assert out.result.status is RunStatus.ERROR
    assert out.result.error is not None
    assert out.result.error.message == "failed to run step ID: a: docker daemon gone"
    assert out.step("b").status is StepStatus.FAILED
    assert out.step("c").status is StepStatus.SKIPPED
    assert backend.teardown_calls == 1


def test_unexpected_exception_is_error_too(kit) -> None:
    backend = FakeBackend({"a": crash(RuntimeError("boom"))})
    out = kit.run(kit.plan(kit.step("a", ignore_errors=True)), backend)
    assert out.result.status is RunStatus.ERROR  # ignoreErrors covers step failures, not a broken backend
    assert backend.teardown_calls == 1


def test_setup_exception_is_error_and_teardown_still_runs(kit) -> None:
    backend = FakeBackend(setup_error=InfrastructureError("cannot create network acb_default_network"))
    out = kit.run(kit.plan(kit.step("a"), kit.step("b", "a")), backend)
    assert out.result.status is RunStatus.ERROR
    assert out.result.error is not None
    assert out.result.error.message == "failed to set up the run: cannot create network acb_default_network"
    assert backend.attempts == []
    assert backend.calls == [("setup", None), ("teardown", None)]
    assert [s.status for s in out.result.steps] == [StepStatus.SKIPPED, StepStatus.SKIPPED]


def test_teardown_failure_is_a_warning_and_keeps_the_status(kit) -> None:
    backend = FakeBackend(teardown_error=InfrastructureError("network in use"))
    out = kit.run(kit.plan(kit.step("a")), backend)
    assert out.result.status is RunStatus.SUCCEEDED
    assert "WARNING: failed to clean up the run: network in use" in out.engine


def test_digest_lookup_failure_is_error(kit) -> None:
    deps = [
        {
            "image": {
                "registry": "r.io",
                "repository": "a",
                "tag": "1",
                "digest": "",
                "reference": "r.io/a:1",
            },
            "runtime-dependency": None,
            "buildtime-dependency": [],
            "git": {"git-head-revision": ""},
        }
    ]
    backend = FakeBackend(
        {"a": AttemptScript(dependencies=deps)}, digest_error=TransientError("registry down")
    )
    out = kit.run(kit.plan(kit.step("a")), backend)
    assert out.result.status is RunStatus.ERROR
    assert out.result.error is not None and "registry down" in out.result.error.message
    assert backend.teardown_calls == 1


def test_start_failure_is_a_step_failure_not_an_error(kit) -> None:
    backend = FakeBackend({"a": AttemptScript(start_error="image not found: nope:latest")})
    out = kit.run(kit.plan(kit.step("a")), backend)
    assert out.result.status is RunStatus.FAILED
    assert out.step("a").error == "image not found: nope:latest" and out.step("a").exit_code is None


def test_invalid_plan_is_error_without_touching_the_backend(kit) -> None:
    backend = FakeBackend()
    out = kit.run(kit.plan(kit.step("a", "ghost")), backend)
    assert out.result.status is RunStatus.ERROR
    assert out.result.error is not None and "ghost" in out.result.error.message
    assert backend.calls == []


def test_first_failure_wins_when_two_fail(kit) -> None:
    backend = FakeBackend({"a": fail(1, 0.02), "b": fail(2, 0.2)})
    out = kit.run(kit.plan(kit.step("a"), kit.step("b")), backend)
    assert out.result.error is not None and out.result.error.step_id == "a"
    assert out.step("b").error == "stopped after step ID: a failed"


def test_keyboard_interrupt_still_tears_down(kit) -> None:
    class Exploding(FakeBackend):
        def setup(self, plan, *, log=None):  # type: ignore[no-untyped-def]
            super().setup(plan, log=log)
            raise KeyboardInterrupt

    backend = Exploding()
    try:
        kit.run(kit.plan(kit.step("a")), backend)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("KeyboardInterrupt swallowed")
    assert backend.teardown_calls == 1


def test_step_that_ignores_stop_is_abandoned_after_grace(kit) -> None:
    class Stubborn(FakeBackend):
        def run_attempt(self, step, *, attempt, log, stop):  # type: ignore[no-untyped-def]
            if step.id == "slow":
                time.sleep(0.4)
            return super().run_attempt(step, attempt=attempt, log=log, stop=stop)

    backend = Stubborn({"a": fail(1, 0.02)})
    out = kit.run(kit.plan(kit.step("a"), kit.step("slow")), backend, stop_grace=0.1)
    assert out.result.status is RunStatus.FAILED
    assert out.step("slow").error == "did not stop"
    assert any("did not stop within" in line for line in out.engine)
    assert backend.teardown_calls == 1
