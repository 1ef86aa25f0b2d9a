"""Worst-case duration of a plan and the readable table ``tasks-engine plan`` prints.

The critical path weighs each step with ``startDelay + timeout``: the longest a step may take before the
executor gives up on it. Compared with ``totalTimeout`` it tells a user, before running anything, whether
the run timeout can cut a run short even when every step stays inside its own timeout (acr-builder#678).
"""

from __future__ import annotations

from tasks_engine.errors import DefinitionError, Problem, Severity
from tasks_engine.plan.model import RunPlan, StepSpec, StepType
from tasks_engine.plan.runflags import flag_name

_SUMMARY_WIDTH = 60


def _topological(plan: RunPlan) -> list[StepSpec]:
    """Steps with every dependency first; YAML order among the ready ones, so the result is stable."""
    by_id = {s.id: s for s in plan.steps}
    for s in plan.steps:
        for dep in s.depends_on:
            if dep not in by_id:
                raise DefinitionError(
                    [Problem(Severity.ERROR, f"step {s.id} depends on unknown step {dep}", path="steps")]
                )
    done: set[str] = set()
    order: list[StepSpec] = []
    pending = list(plan.steps)
    while pending:
        ready = [s for s in pending if all(d in done for d in s.depends_on)]
        if not ready:
            ids = ", ".join(s.id for s in pending)
            raise DefinitionError([Problem(Severity.ERROR, f"steps form a cycle: {ids}", path="steps")])
        for s in ready:
            done.add(s.id)
            order.append(s)
        pending = [s for s in pending if s.id not in done]
    return order


def step_weight(step: StepSpec) -> int:
    return step.start_delay + step.timeout


def critical_path(plan: RunPlan) -> tuple[list[str], int]:
    """The chain of step ids with the largest summed weight, and that sum in seconds (``([], 0)`` if empty).

    Ties go to the step that comes first in the file, so the answer is deterministic.
    """
    finish: dict[str, int] = {}
    via: dict[str, str | None] = {}
    for step in _topological(plan):
        best: str | None = None
        for dep in step.depends_on:
            if best is None or finish[dep] > finish[best]:
                best = dep
        finish[step.id] = (finish[best] if best else 0) + step_weight(step)
        via[step.id] = best
    if not finish:
        return [], 0
    end = plan.steps[0].id
    for step in plan.steps:
        if finish[step.id] > finish[end]:
            end = step.id
    path: list[str] = []
    cursor: str | None = end
    while cursor is not None:
        path.append(cursor)
        cursor = via[cursor]
    path.reverse()
    return path, finish[end]


def _summary(step: StepSpec) -> str:
    if step.type is StepType.CMD:
        options = [flag_name(key) for key in step.run_options]
        text = " ".join([*options, step.image or "", *step.args])
    elif step.type is StepType.BUILD and step.build is not None:
        tags = ", ".join(step.build.tags) or "(no tag)"
        text = f"{tags} <- {step.build.context}"
        if step.build.dockerfile:
            text += f" ({step.build.dockerfile})"
    else:
        text = ", ".join(step.images)
    text = " ".join(text.split())  # newlines and runs of spaces would break the table
    if len(text) > _SUMMARY_WIDTH:
        text = text[: _SUMMARY_WIDTH - 1] + "…"
    return text


def format_plan_table(plan: RunPlan, *, with_critical_path: bool = True) -> str:
    """A fixed-width table of the steps; below it the critical path against the run's total timeout."""
    header = ("ID", "TYPE", "DEPENDS ON", "WHAT", "TIMEOUT", "NETWORK")
    rows = [
        (
            s.id,
            s.type.value,
            ", ".join(s.depends_on) or "-",
            _summary(s),
            f"{s.timeout}s" + (f" (+{s.start_delay}s delay)" if s.start_delay else ""),
            s.network or "-",
        )
        for s in plan.steps
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    if with_critical_path:
        path, seconds = critical_path(plan)
        if path:
            verdict = "exceeds" if seconds > plan.total_timeout else "within"
            lines.append("")
            lines.append(
                f"critical path: {' -> '.join(path)} ({seconds}s worst case, {verdict} total timeout "
                f"{plan.total_timeout}s)"
            )
    return "\n".join(lines)
