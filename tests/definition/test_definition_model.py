"""The plain model: effective ids and defaults."""

from __future__ import annotations

from tasks_engine.definition import StepDef, StepKind, TaskDefinition


def test_effective_id() -> None:
    assert StepDef(index=3, kind=StepKind.CMD, cmd="x").effective_id == "acb_step_3"
    assert StepDef(index=3, kind=StepKind.CMD, id="named").effective_id == "named"
    assert StepDef(index=0, kind=StepKind.PUSH, id="").effective_id == "acb_step_0"


def test_step_kind_is_a_str_enum() -> None:
    assert str(StepKind.BUILD) == "build"
    assert StepDef(index=0, kind=StepKind.PUSH).kind == "push"


def test_task_defaults_and_positions() -> None:
    task = TaskDefinition(step_timeout=-1, total_timeout=0, positions={"steps[0]": (4, 3)})
    assert (task.effective_version, task.effective_step_timeout, task.effective_total_timeout) == ("v1.0.0", 600, 3600)
    assert task.position("steps[0].when[2]") == (4, 3)
    assert task.position("secrets[0]") == (0, 0)
    assert TaskDefinition(total_timeout=120).effective_total_timeout == 120
