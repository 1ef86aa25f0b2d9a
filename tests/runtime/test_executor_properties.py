"""Random small DAGs with random scripted outcomes: invariants that must hold for every run."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks_engine.backends.fake import AttemptScript, FakeBackend, crash, fail, hang, ok
from tasks_engine.errors import TransientError
from tasks_engine.runtime.results import RunStatus, StepStatus

OUTCOMES = ["ok", "ok", "ok", "fail", "fail-ignored", "flaky", "hang-timeout", "crash"]


def script_for(kind: str, delay: float) -> list[AttemptScript]:
    return {
        "ok": [ok(delay)],
        "fail": [fail(1, delay)],
        "fail-ignored": [fail(2, delay)],
        "flaky": [fail(1, delay), ok(delay)],
        "hang-timeout": [hang()],
        "crash": [crash(TransientError("daemon gone"))],
    }[kind]


@st.composite
def dags(draw: st.DrawFn) -> list[tuple[str, list[str], str, float]]:
    n = draw(st.integers(min_value=1, max_value=6))
    steps = []
    for i in range(n):
        earlier = [f"s{j}" for j in range(i)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        kind = draw(st.sampled_from(OUTCOMES))
        delay = draw(st.sampled_from([0.0, 0.005, 0.02]))
        steps.append((f"s{i}", deps, kind, delay))
    return steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=dags(), max_parallel=st.sampled_from([None, 1, 2]))
def test_invariants(kit, spec: list[tuple[str, list[str], str, float]], max_parallel: int | None) -> None:
    backend = FakeBackend({sid: script_for(kind, delay) for sid, _, kind, delay in spec})
    steps = [
        kit.step(
            sid,
            *deps,
            ignore_errors=kind == "fail-ignored",
            retries=1 if kind == "flaky" else 0,
            timeout=1 if kind == "hang-timeout" else 600,
        )
        for sid, deps, kind, _ in spec
    ]
    out = kit.run(kit.plan(*steps), backend, max_parallel=max_parallel, time_scale=0.03)
    result = out.result
    by_id = {s.id: s for s in result.steps}

    assert backend.setup_calls == 1 and backend.teardown_calls == 1
    assert [s.id for s in result.steps] == [sid for sid, *_ in spec]
    assert all(
        s.status in {StepStatus.SUCCESSFUL, StepStatus.FAILED, StepStatus.SKIPPED} for s in result.steps
    )
    assert (result.status is RunStatus.SUCCEEDED) == all(
        s.status is StepStatus.SUCCESSFUL for s in result.steps
    )
    assert (result.error is None) == (result.status is RunStatus.SUCCEEDED)

    for sid, deps, _, _ in spec:
        attempts = backend.attempts_of(sid)
        if by_id[sid].status is StepStatus.SKIPPED:
            assert attempts == []
            continue
        first_start = attempts[0].started
        for dep in deps:
            assert by_id[dep].status is StepStatus.SUCCESSFUL
            dep_end = backend.attempts_of(dep)[-1].finished
            assert dep_end is not None and dep_end <= first_start

    if max_parallel is not None:
        assert backend.max_concurrent <= max_parallel

    kinds = {sid: kind for sid, _, kind, _ in spec}
    if result.status is RunStatus.FAILED:
        assert result.error is not None and result.error.step_id is not None
        assert kinds[result.error.step_id] in {"fail", "hang-timeout"}
    if result.status is RunStatus.ERROR:
        assert "crash" in kinds.values()
    if all(k in {"ok", "fail-ignored", "flaky"} for k in kinds.values()):
        assert result.status is RunStatus.SUCCEEDED
