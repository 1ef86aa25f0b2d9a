"""The pure DAG bookkeeping: readiness, and plans the executor refuses."""

from __future__ import annotations

import pytest

from tasks_engine.runtime.scheduler import DagState, PlanShapeError, check_graph


def test_ready_follows_depends_on_in_plan_order(kit) -> None:
    dag = DagState([kit.step("a"), kit.step("b"), kit.step("c", "a", "b"), kit.step("d", "b")])
    assert dag.ready() == ["a", "b"]
    dag.mark_started("a")
    dag.mark_started("b")
    assert dag.ready() == []
    dag.mark_succeeded("b")
    assert dag.ready() == ["d"]
    dag.mark_succeeded("a")
    assert dag.ready() == ["c", "d"]
    assert dag.never_started() == ["c", "d"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("a", []), ("a", [])], "duplicate step ID in plan: a"),
        ([("a", ["x"])], "step ID: a depends on unknown step ID: x"),
        ([("a", ["a"])], "Step ID: a is self-referenced"),
        ([("a", ["b"]), ("b", ["a"])], "dependency cycle among steps: a, b"),
    ],
)
def test_bad_graphs_are_refused(kit, steps, message) -> None:
    with pytest.raises(PlanShapeError, match=message):
        check_graph([kit.step(sid, *deps) for sid, deps in steps])
