"""DAG bookkeeping for the executor: which steps may start now.

Why separate from the thread handling: the rule ("a step starts when every ``dependsOn`` finished
successfully, or failed with ignoreErrors") is pure and easy to test on its own; the executor only asks
``ready()``. The plan compiler already turned ACR's ``when`` (including the implicit "previous YAML step")
into ``dependsOn``; this module just follows it.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasks_engine.plan.model import StepSpec


class PlanShapeError(ValueError):
    """The plan's step graph is unusable (duplicate id, unknown dependency, cycle): a compiler bug or a
    hand-made plan, never user input that reached us through the compiler."""


def check_graph(steps: Sequence[StepSpec]) -> None:
    ids: set[str] = set()
    for step in steps:
        if step.id in ids:
            raise PlanShapeError(f"duplicate step ID in plan: {step.id}")
        ids.add(step.id)
    for step in steps:
        for dep in step.depends_on:
            if dep not in ids:
                raise PlanShapeError(f"step ID: {step.id} depends on unknown step ID: {dep}")
            if dep == step.id:
                raise PlanShapeError(f"Step ID: {step.id} is self-referenced")
    remaining = {s.id: set(s.depends_on) for s in steps}
    while remaining:
        free = [sid for sid, deps in remaining.items() if not deps]
        if not free:
            raise PlanShapeError(f"dependency cycle among steps: {', '.join(sorted(remaining))}")
        for sid in free:
            del remaining[sid]
        for deps in remaining.values():
            deps.difference_update(free)


class DagState:
    """Tracks started/succeeded steps; ``ready()`` lists startable steps in plan (YAML) order."""

    def __init__(self, steps: Sequence[StepSpec]) -> None:
        check_graph(steps)
        self._steps = list(steps)
        self._started: set[str] = set()
        self._succeeded: set[str] = set()

    def ready(self) -> list[str]:
        return [
            s.id
            for s in self._steps
            if s.id not in self._started and all(d in self._succeeded for d in s.depends_on)
        ]

    def mark_started(self, step_id: str) -> None:
        self._started.add(step_id)

    def mark_succeeded(self, step_id: str) -> None:
        """Successful, or failed with ignoreErrors: either way dependants may run."""
        self._succeeded.add(step_id)

    def never_started(self) -> list[str]:
        return [s.id for s in self._steps if s.id not in self._started]
