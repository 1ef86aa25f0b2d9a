"""Cascade decisions: causation, unchanged/duplicate/coalesced/cycle/depth/disabled, debounce, diamonds.

The last tests simulate whole cascades on random dependency graphs and check the promises end to end: every
impacted task rebuilds exactly once, after everything upstream of it, and nothing else runs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.triggers import (
    BaseImage,
    BaseImageTrigger,
    CascadePolicy,
    CascadeState,
    Cause,
    Decisions,
    DependencyIndex,
    DependencyKind,
    ImageUpdate,
    RunRequest,
    SuppressReason,
    TaskNode,
    decide,
    due_runs,
    finish_run,
    impact,
    output_updates,
    run_started,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IMMEDIATE = CascadePolicy(debounce=timedelta(0))
OLD, NEW, NEWER = ("sha256:" + c * 64 for c in "abc")


def img(name: str) -> str:
    return f"reg.example.com/{name}:1"


def node(
    task: str,
    bases: list[str],
    outputs: list[str],
    *,
    digest: str = OLD,
    enabled: bool = True,
    kind: DependencyKind = DependencyKind.RUNTIME,
) -> TaskNode:
    return TaskNode(
        task,
        {b: BaseImage(b, kind, digest) for b in bases},
        {o: OLD for o in outputs},
        BaseImageTrigger(enabled=enabled),
    )


def idx(*nodes: TaskNode) -> DependencyIndex:
    return DependencyIndex({n.task: n for n in nodes})


def external(image: str, digest: str = NEW, event: str = "evt-1") -> ImageUpdate:
    return ImageUpdate.external(image, digest, event)


def reasons(decisions: Decisions) -> dict[str, SuppressReason]:
    return {s.task: s.reason for s in decisions.suppressed}


def test_external_update_queues_dependants_with_causation() -> None:
    index = idx(node("app", [img("base")], [img("app")]), node("other", [img("else")], []))
    d = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert [r.task for r in d.queued] == ["app"]
    request = d.queued[0]
    assert request.cause == Cause("evt-1", 1, ())
    assert request.request_id == f"app:evt-1:{img('base')}@{NEW}"
    trigger = request.image_update_trigger(NOW)
    assert trigger["images"] == [{"registry": "reg.example.com", "repository": "base", "tag": "1", "digest": NEW}]
    assert trigger["causation"]["rootEventId"] == "evt-1" and trigger["causation"]["generation"] == 1
    assert d.state.pending["app"].submitted and d.state.version == 1


def test_identical_digest_triggers_nothing() -> None:
    index = idx(node("app", [img("base")], [], digest=NEW))
    d = decide(external(img("base"), NEW), index, CascadeState(), NOW, IMMEDIATE)
    assert d.queued == () and reasons(d) == {"app": SuppressReason.UNCHANGED}


def test_duplicate_sightings_of_one_digest_queue_once() -> None:
    index = idx(node("app", [img("base")], []))
    first = decide(external(img("base"), event="registry-evt"), index, CascadeState(), NOW, IMMEDIATE)
    state = run_started(first.state, "app", NOW)
    poll = ImageUpdate.external(img("base"), NEW, "poll-77", source="poll")
    second = decide(poll, index, state, NOW + timedelta(minutes=5), IMMEDIATE)
    assert second.queued == () and reasons(second) == {"app": SuppressReason.DUPLICATE}
    later = decide(poll, index, state, NOW + timedelta(days=2), IMMEDIATE)
    assert [r.task for r in later.queued] == ["app"]


def test_updates_within_the_debounce_window_coalesce_into_one_run() -> None:
    policy = CascadePolicy(debounce=timedelta(seconds=60))
    index = idx(node("app", [img("base")], []))
    d1 = decide(external(img("base"), NEW, "e1"), index, CascadeState(), NOW, policy)
    assert d1.queued == () and [p.request.task for p in d1.scheduled] == ["app"]
    d2 = decide(external(img("base"), NEWER, "e2"), index, d1.state, NOW + timedelta(seconds=20), policy)
    assert reasons(d2) == {"app": SuppressReason.COALESCED}
    assert due_runs(d2.state, NOW + timedelta(seconds=59), policy).queued == ()
    due = due_runs(d2.state, NOW + timedelta(seconds=60), policy)
    assert len(due.queued) == 1
    run = due.queued[0]
    assert run.update.event_id == "e1" and [u.event_id for u in run.coalesced] == ["e2"]
    assert run.image_update_trigger(NOW)["images"][0]["digest"] == NEWER
    assert due_runs(due.state, NOW + timedelta(minutes=5), policy).queued == ()
    # still one run while it waits for a worker; a new run only once it started
    d3 = decide(
        external(img("base"), "sha256:" + "d" * 64, "e3"), index, due.state, NOW + timedelta(seconds=90), policy
    )
    assert reasons(d3) == {"app": SuppressReason.COALESCED}
    started = run_started(d3.state, "app", NOW + timedelta(seconds=95))
    d4 = decide(external(img("base"), "sha256:" + "e" * 64, "e4"), index, started, NOW + timedelta(seconds=99), policy)
    assert [p.request.task for p in d4.scheduled] == ["app"]


def test_disabled_dependants_are_suppressed() -> None:
    index = idx(node("off", [img("base")], [], enabled=False))
    d = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert reasons(d) == {"off": SuppressReason.DISABLED}


def test_buildtime_bases_only_with_trigger_type_all() -> None:
    runtime_only = node("app", [img("builder")], [], kind=DependencyKind.BUILDTIME)
    d = decide(external(img("builder")), idx(runtime_only), CascadeState(), NOW, IMMEDIATE)
    assert d.queued == () and d.suppressed == ()


def test_cascade_base_mid_app_in_order_with_generations() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("mid")], []))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert [r.task for r in d1.queued] == ["mid"]
    state = run_started(d1.state, "mid", NOW)
    d2 = finish_run(
        state,
        index,
        task="mid",
        run_id="run-mid",
        cause=d1.queued[0].cause,
        pushed={img("mid"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d2.queued] == ["app"]
    app = d2.queued[0]
    assert app.cause == Cause("evt-1", 2, ("mid",))
    assert app.update.event_id == "run-mid" and app.update.source == "run"


def test_cycles_are_stopped_and_reported() -> None:
    index = idx(node("a", [img("base"), img("b")], [img("a")]), node("b", [img("a")], [img("b")]))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert [r.task for r in d1.queued] == ["a"]
    d2 = finish_run(
        run_started(d1.state, "a", NOW),
        index,
        task="a",
        run_id="ra",
        cause=d1.queued[0].cause,
        pushed={img("a"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d2.queued] == ["b"]
    d3 = finish_run(
        run_started(d2.state, "b", NOW),
        index,
        task="b",
        run_id="rb",
        cause=d2.queued[0].cause,
        pushed={img("b"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert d3.queued == ()
    [suppressed] = d3.suppressed
    assert suppressed.reason is SuppressReason.CYCLE and suppressed.detail == "cycle: a → b → a"


def test_self_trigger_is_a_cycle_at_runtime() -> None:
    index = idx(node("self", [img("self")], [img("self")]))
    d = finish_run(
        CascadeState(),
        index,
        task="self",
        run_id="manual-1",
        cause=Cause("manual-1"),
        pushed={img("self"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert reasons(d) == {"self": SuppressReason.CYCLE}


def test_generation_limit_stops_runaway_chains() -> None:
    chain = [node("t1", [img("base")], [img("o1")])]
    chain += [node(f"t{i}", [img(f"o{i - 1}")], [img(f"o{i}")]) for i in range(2, 9)]
    index = idx(*chain)
    d = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    ran: list[str] = []
    while d.queued:
        [request] = d.queued
        ran.append(request.task)
        state = run_started(d.state, request.task, NOW)
        d = finish_run(
            state,
            index,
            task=request.task,
            run_id=f"r-{request.task}",
            cause=request.cause,
            pushed={img(f"o{request.task[1:]}"): NEW},
            now=NOW,
            policy=IMMEDIATE,
        )
    assert ran == ["t1", "t2", "t3", "t4", "t5"]
    assert reasons(d) == {"t6": SuppressReason.DEPTH_LIMIT}


def test_diamond_runs_the_lower_task_once_after_the_upper_one() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert [r.task for r in d1.queued] == ["mid"]
    assert [(x.task, sorted(x.waiting_on)) for x in d1.deferred] == [("app", ["mid"])]
    d2 = finish_run(
        run_started(d1.state, "mid", NOW),
        index,
        task="mid",
        run_id="rm",
        cause=d1.queued[0].cause,
        pushed={img("mid"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d2.queued] == ["app"]
    app = d2.queued[0]
    assert app.cause.generation == 2 and app.cause.path == ("mid",)
    assert [u.event_id for u in (app.update, *app.coalesced)] == ["evt-1", "rm"]
    assert d2.state.deferred == {}


def test_diamond_when_the_upper_task_fails_still_rebuilds_the_lower_one() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    d2 = finish_run(
        run_started(d1.state, "mid", NOW),
        index,
        task="mid",
        run_id="rm",
        cause=d1.queued[0].cause,
        pushed={},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d2.queued] == ["app"] and d2.queued[0].update.event_id == "evt-1"


def test_diamond_when_the_upper_output_is_unchanged() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    d2 = finish_run(
        run_started(d1.state, "mid", NOW),
        index,
        task="mid",
        run_id="rm",
        cause=d1.queued[0].cause,
        pushed={img("mid"): OLD},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert reasons(d2) == {"app": SuppressReason.UNCHANGED}
    assert [r.task for r in d2.queued] == ["app"]


def test_a_deferral_picks_up_new_upstream_runners() -> None:
    index = idx(
        node("a", [img("base")], [img("a")]),
        node("b", [img("a")], [img("b")]),
        node("t", [img("base"), img("b")], []),
    )
    d1 = decide(external(img("base")), index, CascadeState(), NOW, IMMEDIATE)
    assert [r.task for r in d1.queued] == ["a"] and d1.state.deferred["t"].waiting_on == {"a"}
    d2 = finish_run(
        run_started(d1.state, "a", NOW),
        index,
        task="a",
        run_id="ra",
        cause=d1.queued[0].cause,
        pushed={img("a"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d2.queued] == ["b"] and d2.state.deferred["t"].waiting_on == {"b"}
    d3 = finish_run(
        run_started(d2.state, "b", NOW),
        index,
        task="b",
        run_id="rb",
        cause=d2.queued[0].cause,
        pushed={img("b"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in d3.queued] == ["t"] and d3.queued[0].cause.generation == 3


def test_running_upstream_tasks_block_too() -> None:
    index = idx(node("a", [img("x")], [img("a")]), node("t", [img("a"), img("y")], []))
    state = run_started(CascadeState(), "a", NOW)  # e.g. a commit-triggered run of a
    d = decide(external(img("y")), index, state, NOW, IMMEDIATE)
    assert d.queued == () and d.state.deferred["t"].waiting_on == {"a"}
    done = finish_run(
        d.state,
        index,
        task="a",
        run_id="commit-run",
        cause=Cause("commit-run"),
        pushed={img("a"): NEW},
        now=NOW,
        policy=IMMEDIATE,
    )
    assert [r.task for r in done.queued] == ["t"]


def test_deferrals_and_lost_runs_time_out() -> None:
    policy = CascadePolicy(debounce=timedelta(0), defer_timeout=timedelta(hours=1))
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    d1 = decide(external(img("base")), index, CascadeState(), NOW, policy)
    state = run_started(d1.state, "mid", NOW)
    assert due_runs(state, NOW + timedelta(minutes=59), policy).queued == ()
    late = due_runs(state, NOW + timedelta(hours=1), policy)
    assert [r.task for r in late.queued] == ["app"] and late.state.running == {}


def test_output_updates_extend_the_path() -> None:
    [u] = output_updates("mid", "run-9", Cause("root", 2, ("base",)), {img("mid"): NEW, img("skip"): ""})
    assert u.cause == Cause("root", 2, ("base", "mid")) and u.event_id == "run-9" and u.source == "run"


def test_state_round_trips_through_json() -> None:
    policy = CascadePolicy(debounce=timedelta(seconds=30))
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    d = decide(external(img("base")), index, CascadeState(), NOW, policy)
    state = run_started(d.state, "x", NOW)
    again = CascadeState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    req = d.scheduled[0].request
    assert RunRequest.from_dict(json.loads(json.dumps(req.to_dict()))) == req


def test_policy_validation() -> None:
    import pytest

    with pytest.raises(ValueError):
        CascadePolicy(max_generations=0)
    with pytest.raises(ValueError):
        CascadePolicy(debounce=timedelta(seconds=-1))


# ---- simulation over random graphs --------------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> DependencyIndex:
    """Tasks t0..tn; each is built on the root base and/or outputs of earlier tasks (a DAG)."""
    n = draw(st.integers(1, 10))
    nodes = []
    for i in range(n):
        parents = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        on_root = draw(st.booleans()) if parents else True
        bases = [img(f"o{p}") for p in sorted(parents)] + ([img("root")] if on_root else [])
        nodes.append(node(f"t{i}", bases, [img(f"o{i}")]))
    return idx(*nodes)


def simulate(
    index: DependencyIndex,
    *,
    fail: frozenset[str] = frozenset(),
    order: list[int] | None = None,
    policy: CascadePolicy = IMMEDIATE,
) -> list[str]:
    """Run a cascade from a root update to the end; workers take queued runs (in ``order``'s choice).
    With a debounce, the clock moves past it after each step and ``due_runs`` hands the runs over."""
    now = NOW
    d = decide(external(img("root")), index, CascadeState(), now, policy)
    state, queue, ran = d.state, list(d.queued), []
    picks = iter(order or [])
    steps = 0
    while True:
        if policy.debounce:
            now += policy.debounce + timedelta(seconds=1)
            due = due_runs(state, now, policy)
            state = due.state
            queue.extend(due.queued)
        if not queue:
            break
        steps += 1
        assert steps < 200, "the cascade does not end"
        request = queue.pop(next(picks, 0) % len(queue))
        ran.append(request.task)
        state = run_started(state, request.task, now)
        pushed = (
            {}
            if request.task in fail
            else {o: f"sha256:{request.task}-{len(ran)}" for o in index.tasks[request.task].outputs}
        )
        current = index.tasks[request.task]
        index = index.with_task(replace(current, outputs={**current.outputs, **pushed}))
        d = finish_run(
            state,
            index,
            task=request.task,
            run_id=f"run-{len(ran)}",
            cause=request.cause,
            pushed=pushed,
            now=now,
            policy=policy,
        )
        state = d.state
        queue.extend(d.queued)
        assert len({r.task for r in queue}) == len(queue), "a task is queued twice at once"
    assert state.deferred == {} and state.running == {} and state.pending.keys() <= set(ran)
    return ran


def describe(index: DependencyIndex) -> str:
    return "; ".join(
        f"{n.task} <- {','.join(b.split('/')[1].split(':')[0] for b in n.bases)}" for n in index.tasks.values()
    )


def _upstream(index: DependencyIndex, task: str) -> set[str]:
    return {t for t in index.tasks if task in index.reach(t)}


@settings(max_examples=150)
@given(dags(), st.lists(st.integers(0, 7), max_size=20))
def test_every_impacted_task_runs_exactly_once_after_its_upstream(index: DependencyIndex, order: list[int]) -> None:
    ran = simulate(index, order=order)
    expected = impact(index, img("root"), max_generations=IMMEDIATE.max_generations)
    assert sorted(ran) == sorted(expected.tasks), (describe(index), ran)
    assert len(ran) == len(set(ran))
    position = {t: i for i, t in enumerate(ran)}
    for task in ran:
        assert all(position[u] < position[task] for u in _upstream(index, task) if u in position)


@settings(max_examples=100)
@given(dags(), st.data())
def test_failures_never_strand_a_dependant(index: DependencyIndex, data: st.DataObject) -> None:
    fail = frozenset(data.draw(st.sets(st.sampled_from(sorted(index.tasks)))))
    ran = simulate(index, fail=fail)
    direct = {d.task for d in index.dependants(img("root"))}
    assert direct <= set(ran)
    assert len(ran) == len(set(ran))


@st.composite
def graphs_with_cycles(draw: st.DrawFn) -> DependencyIndex:
    n = draw(st.integers(1, 7))
    nodes = []
    for i in range(n):
        parents = draw(st.sets(st.integers(0, n - 1), max_size=3))
        bases = [img(f"o{p}") for p in sorted(parents)] + ([img("root")] if i == 0 or draw(st.booleans()) else [])
        nodes.append(node(f"t{i}", bases, [img(f"o{i}")]))
    return idx(*nodes)


@settings(max_examples=150)
@given(graphs_with_cycles(), st.lists(st.integers(0, 7), max_size=20))
def test_cascades_over_cycles_end_and_never_run_a_task_twice(index: DependencyIndex, order: list[int]) -> None:
    ran = simulate(index, order=order)
    assert len(ran) == len(set(ran)), (describe(index), ran)
    assert set(ran) <= set(impact(index, img("root"), max_generations=20).tasks)


@settings(max_examples=60)
@given(dags(), st.lists(st.integers(0, 7), max_size=20))
def test_with_a_debounce_window_the_promises_hold_too(index: DependencyIndex, order: list[int]) -> None:
    ran = simulate(index, order=order, policy=CascadePolicy(debounce=timedelta(seconds=30)))
    assert sorted(ran) == sorted(impact(index, img("root")).tasks), (describe(index), ran)
