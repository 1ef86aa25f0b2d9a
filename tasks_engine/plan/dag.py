"""The step graph, built exactly like acr-builder's ``NewDagFromTask`` (spec §4.1).

Steps are added in YAML order and a ``when`` may only name a step added before, so the result is acyclic by
construction and YAML order is a topological order. The root vertex is implicit: a step with no
dependencies hangs off it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: ``when: ["-"]``: start with the run.
IMMEDIATE = "-"
ROOT_ID = "acb_root"
_MIXED_IMMEDIATE = "step cannot contain other IDs in when if the immediate execution token is specified"


@dataclass(frozen=True)
class DagIssue:
    """One reason the graph cannot be built; ``index`` is the step's YAML position, ``field`` its key."""

    index: int
    field: str
    message: str


def build_dependencies(
    ids: Sequence[str], whens: Sequence[Sequence[str] | None]
) -> tuple[list[list[str]], list[DagIssue]]:
    """For each step, the ids it waits for; plus every issue found (ACR stops at the first one)."""
    seen: set[str] = set()
    deps: list[list[str]] = []
    issues: list[DagIssue] = []
    for index, (step_id, when) in enumerate(zip(ids, whens, strict=True)):
        if step_id == ROOT_ID:
            issues.append(DagIssue(index, "id", f"{ROOT_ID} is a reserved ID, it can't be used"))
        elif step_id in seen:
            issues.append(DagIssue(index, "id", f"{step_id} already exists as a vertex"))
        entries = list(when or [])
        if not entries:
            deps.append([ids[index - 1]] if index > 0 else [])
        elif entries == [IMMEDIATE]:
            deps.append([])
        else:
            mine: list[str] = []
            for dep in entries:
                if dep == IMMEDIATE:
                    issues.append(DagIssue(index, "when", _MIXED_IMMEDIATE))
                elif dep == step_id:
                    issues.append(DagIssue(index, "when", f"Step ID: {step_id} is self-referenced"))
                elif dep not in seen:
                    message = f"{dep} does not exist as a vertex [from: {dep}, to: {step_id}]"
                    issues.append(DagIssue(index, "when", message))
                elif dep not in mine:
                    # ACR would count a repeated dependency twice and never start the step; once is meant.
                    mine.append(dep)
            deps.append(mine)
        seen.add(step_id)
    return deps, issues
