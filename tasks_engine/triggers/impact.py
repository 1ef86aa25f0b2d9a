"""Static cascade analysis: which tasks rebuild when an image changes, in which generation, and cycles.

``tasks-engine deps impact IMAGE`` prints :func:`impact` before anything runs. The graph: an edge
``image → task`` when the task (enabled, trigger on) follows the image as a base under its trigger type,
and ``task → task'`` when one of ``task``'s outputs is such a base of ``task'``.

* **Generation** = the length of the *longest* path from the image (1 = built directly on it), following
  only edges out of generations below the limit. A task
  reachable by several paths rebuilds once, after everything upstream of it — base → mid → app with app also
  on base puts app in generation 2, not 1 and again 2. The runtime (:mod:`.cascade`) defers such a task so
  that it really runs once, after mid.
* **Cycles** (A's output is B's base and B's output is A's, or a task built on its own output) are strongly
  connected components; they are reported, and their members get one generation (the cascade's cycle rule
  stops the loop at runtime).
* Tasks reachable only through more than ``max_generations`` (default 5, the runtime limit) are listed in
  ``beyond_limit``; a task that is also reachable by a shorter path still rebuilds, in that generation.
* Dependants whose trigger or task is disabled are listed in ``disabled`` and not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks_engine.triggers.index import BaseImageTriggerType, DependencyIndex, TaskNode, image_key

__all__ = [
    "DEFAULT_MAX_GENERATIONS",
    "Cycle",
    "Generation",
    "Impact",
    "ImpactedTask",
    "cycles_through",
    "find_cycles",
    "impact",
]

DEFAULT_MAX_GENERATIONS = 5


@dataclass(frozen=True)
class ImpactedTask:
    task: str
    generation: int
    via: tuple[str, ...]
    """The changed images (the root or upstream outputs) this task is built on."""


@dataclass(frozen=True)
class Generation:
    number: int
    tasks: tuple[ImpactedTask, ...]


@dataclass(frozen=True)
class Cycle:
    tasks: tuple[str, ...]

    def describe(self) -> str:
        return " → ".join((*self.tasks, self.tasks[0]))


@dataclass(frozen=True)
class Impact:
    image: str
    generations: tuple[Generation, ...]
    cycles: tuple[Cycle, ...] = ()
    beyond_limit: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()

    def generation_of(self, task: str) -> int | None:
        for generation in self.generations:
            if any(t.task == task for t in generation.tasks):
                return generation.number
        return None

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(t.task for g in self.generations for t in g.tasks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "generations": [
                {"generation": g.number, "tasks": [{"task": t.task, "via": list(t.via)} for t in g.tasks]}
                for g in self.generations
            ],
            "cycles": [list(c.tasks) for c in self.cycles],
            "beyondLimit": list(self.beyond_limit),
            "disabled": list(self.disabled),
        }


def _strongly_connected(nodes: list[str], succ: dict[str, frozenset[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a long chain must not hit Python's recursion limit)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index_of:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(succ.get(start, ())))]
        index_of[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index_of:
                    index_of[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(succ.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index_of[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _cycles(components: list[list[str]], succ: dict[str, frozenset[str]]) -> list[Cycle]:
    out = [Cycle(tuple(c)) for c in components if len(c) > 1 or c[0] in succ.get(c[0], frozenset())]
    return sorted(out, key=lambda c: c.tasks)


def find_cycles(index: DependencyIndex, *, trigger_type: BaseImageTriggerType | None = None) -> tuple[Cycle, ...]:
    """Every cycle in the whole index (for ``task create``/``update`` checks and a health report)."""
    nodes = sorted(index.tasks)
    succ = {n: index.successors(n, trigger_type=trigger_type) for n in nodes}
    return tuple(_cycles(_strongly_connected(nodes, succ), succ))


def cycles_through(index: DependencyIndex, node: TaskNode) -> tuple[Cycle, ...]:
    """The cycles ``node`` would close if it replaced its entry (``task create``/``update``, or after a build):
    a self-trigger (its outputs include one of its bases) is the one-task cycle ``(task,)``."""
    return tuple(c for c in find_cycles(index.with_task(node)) if node.task in c.tasks)


def impact(
    index: DependencyIndex,
    image: str,
    *,
    max_generations: int = DEFAULT_MAX_GENERATIONS,
    trigger_type: BaseImageTriggerType | None = None,
) -> Impact:
    """The rebuild plan for a change of ``image`` (a key or any reference; see the module docstring)."""
    if max_generations < 1:
        raise ValueError("max_generations must be at least 1")
    key = image_key(image) or image
    direct = index.dependants(key, trigger_type=trigger_type, include_disabled=True)
    disabled = {d.task for d in direct if not index.tasks[d.task].triggerable}
    roots = sorted(d.task for d in direct if d.task not in disabled)
    succ: dict[str, frozenset[str]] = {}
    via: dict[str, set[str]] = {t: {key} for t in roots}
    frontier, seen = list(roots), set(roots)
    while frontier:
        task = frontier.pop()
        node = index.tasks[task]
        nexts: set[str] = set()
        for out in node.outputs:
            for dep in index.dependants(out, trigger_type=trigger_type, include_disabled=True):
                if not index.tasks[dep.task].triggerable:
                    disabled.add(dep.task)
                    continue
                nexts.add(dep.task)
                via.setdefault(dep.task, set()).add(out)
        succ[task] = frozenset(nexts)
        for nxt in sorted(nexts - seen):
            seen.add(nxt)
            frontier.append(nxt)
    nodes = sorted(seen)
    components = _strongly_connected(nodes, succ)
    component_of = {member: i for i, comp in enumerate(components) for member in comp}
    # Tarjan emits components in reverse topological order: walk them backwards for longest paths. An edge
    # is followed only from a generation below the limit (the runtime's depth rule); a task none of whose
    # incoming edges is followed is beyond the limit and does not rebuild.
    level: dict[int, int | None] = {
        i: 1 if any(m in roots for m in comp) else None for i, comp in enumerate(components)
    }
    for i in reversed(range(len(components))):
        current = level[i]
        if current is None or current >= max_generations:
            continue
        for member in components[i]:
            for nxt in succ.get(member, frozenset()):
                j = component_of[nxt]
                if j != i:
                    level[j] = max(level[j] or 0, current + 1)
    by_generation: dict[int, list[ImpactedTask]] = {}
    beyond: list[str] = []
    for task in nodes:
        generation = level[component_of[task]]
        if generation is None:
            beyond.append(task)
            continue
        by_generation.setdefault(generation, []).append(ImpactedTask(task, generation, tuple(sorted(via[task]))))
    generations = tuple(Generation(n, tuple(by_generation[n])) for n in sorted(by_generation))
    return Impact(
        key,
        generations,
        tuple(_cycles(components, succ)),
        tuple(beyond),
        tuple(sorted(disabled - seen)),
    )
