"""The base-image graph: which task is built on which image, what it pushes, and what an image change
rebuilds; laid out as columns for an SVG drawing.

Where the index comes from: ``dependency_index`` takes the service's own index when the process has one
(``ApiDeps.triggers``, issue #7's "base image → tasks" index that every successful build updates); otherwise
it builds the same ``DependencyIndex`` from what the store has, each task's last successful run's dependency
report (``RunRecord.dependencies``) and its base-image trigger setting. The rebuild plan is the trigger
layer's own ``impact``, so the page shows what a cascade would do.

Layout: a layered drawing (longest path from the images no task pushes), one column per layer, nodes in a
column ordered by the mean row of what feeds them (one barycentre pass keeps most edges from crossing).
Cycles cannot make a layer grow past the number of nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.api.deps import ApiDeps
from tasks_engine.service.usecases import RunService
from tasks_engine.store import TaskRecord
from tasks_engine.triggers import (
    BaseImageTrigger,
    BaseImageTriggerType,
    DependencyIndex,
    Impact,
    TaskNode,
    TriggerConfigError,
    node_from_reports,
)

COLUMN = 250
ROW = 46
BOX_W = 222
BOX_H = 30
PAD = 16
LABEL_CHARS = 27  # of 12.5 px monospace in a box of BOX_W
NOTE_CHARS = 7  # room the generation note takes at the right of a box


def base_image_trigger(task: TaskRecord) -> BaseImageTrigger:
    """The task's ``triggers.baseImageTrigger`` (ACR's shape), defaulting as ACR does: on, Runtime."""
    data = task.triggers.get("baseImageTrigger") if isinstance(task.triggers, Mapping) else None
    if not isinstance(data, Mapping):
        return BaseImageTrigger()
    kind = str(data.get("baseImageTriggerType") or "Runtime")
    return BaseImageTrigger(enabled=str(data.get("status", "Enabled")).lower() != "disabled",
                            trigger_type=BaseImageTriggerType.ALL if kind == "All" else BaseImageTriggerType.RUNTIME,
                            name=str(data.get("name") or BaseImageTrigger().name))


def task_node(runs: RunService, task: TaskRecord) -> TaskNode | None:
    """The task's entry from its last successful run with a dependency report; None before the first one."""
    page = runs.list(task=task.name, status="Succeeded", top=5)
    for run in page.runs:
        if run.dependencies:
            try:
                return node_from_reports(task.name, run.dependencies, trigger=base_image_trigger(task),
                                         task_enabled=task.status == "Enabled")
            except (TriggerConfigError, KeyError, TypeError, ValueError):
                return None
    return None


def dependency_index(deps: ApiDeps, tasks: Iterable[TaskRecord]) -> DependencyIndex:
    """The service's index if this process keeps one, else the same index rebuilt from the run history."""
    reader = getattr(getattr(deps, "triggers", None), "index", None)
    if reader is not None:
        found = reader.index()
        if isinstance(found, DependencyIndex):
            return found
    nodes = [node for node in (task_node(deps.runs, t) for t in tasks) if node is not None]
    return DependencyIndex({n.task: n for n in nodes})


@dataclass
class Node:
    key: str
    kind: str  # "image" | "task"
    layer: int = 0
    row: int = 0
    classes: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def x(self) -> int:
        return PAD + self.layer * COLUMN

    @property
    def y(self) -> int:
        return PAD + self.row * ROW

    @property
    def label(self) -> str:
        """The key, without its registry when that is too long, then cut from the left (the full key is the
        node's tooltip)."""
        room = LABEL_CHARS - (NOTE_CHARS if self.note else 0)
        text = self.key
        if len(text) > room and self.kind == "image" and "/" in text:
            text = text.split("/", 1)[1]
        return text if len(text) <= room else "…" + text[-(room - 1):]


@dataclass
class Edge:
    source: Node
    target: Node
    classes: list[str]

    @property
    def path(self) -> str:
        x1, y1 = self.source.x + BOX_W, self.source.y + BOX_H // 2
        x2, y2 = self.target.x, self.target.y + BOX_H // 2
        middle = (x1 + x2) // 2
        return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"


@dataclass
class Drawing:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    box_w: int = BOX_W
    box_h: int = BOX_H


def layout(index: DependencyIndex, chosen: Impact | None = None) -> Drawing:
    nodes: dict[tuple[str, str], Node] = {}
    raw: list[tuple[tuple[str, str], tuple[str, str], list[str]]] = []

    def node(key: str, kind: str) -> tuple[str, str]:
        nodes.setdefault((kind, key), Node(key, kind))
        return (kind, key)

    for name in sorted(index.tasks):
        task = index.tasks[name]
        t = node(name, "task")
        if not task.triggerable:
            nodes[t].classes.append("off")
        for image, base in sorted(task.bases.items()):
            followed = task.edge(image) is not None
            raw.append((node(image, "image"), t, [base.kind.value] + ([] if followed else ["unfollowed"])))
        for image in sorted(task.outputs):
            raw.append((t, node(image, "image"), ["output"]))
    # Longest-path layers, bounded so that a cycle stops growing.
    limit = len(nodes)
    layer = dict.fromkeys(nodes, 0)
    for _ in range(limit):
        changed = False
        for source, target, _classes in raw:
            if layer[target] < layer[source] + 1 <= limit:
                layer[target] = layer[source] + 1
                changed = True
        if not changed:
            break
    columns: dict[int, list[tuple[str, str]]] = {}
    for key in sorted(nodes, key=lambda k: (k[1], k[0])):
        nodes[key].layer = layer[key]
        columns.setdefault(layer[key], []).append(key)
    feeders: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for source, target, _classes in raw:
        feeders.setdefault(target, []).append(source)
    def centre(key: tuple[str, str], number: int) -> float:
        rows = [nodes[f].row for f in feeders.get(key, []) if nodes[f].layer < number]
        return sum(rows) / len(rows) if rows else 1e9

    for number in sorted(columns):
        column = columns[number]
        if number:
            column.sort(key=lambda k, n=number: (centre(k, n), k[1]))  # type: ignore[misc]
        for row, key in enumerate(column):
            nodes[key].row = row
    edges = [Edge(nodes[s], nodes[t], list(c)) for s, t, c in raw]
    if chosen is not None:
        _highlight(nodes, edges, chosen)
    height = PAD * 2 + max((len(c) for c in columns.values()), default=1) * ROW
    width = PAD * 2 + (max(columns, default=0)) * COLUMN + BOX_W
    return Drawing(list(nodes.values()), edges, width, height)


def _highlight(nodes: dict[tuple[str, str], Node], edges: list[Edge], chosen: Impact) -> None:
    """The changed image, the tasks that rebuild (with their generation), what they push, and the edges
    the change travels along."""
    hit: set[tuple[str, str]] = {("image", chosen.image)}
    root = nodes.get(("image", chosen.image))
    if root is not None:
        root.classes.append("root")
    for generation in chosen.generations:
        for item in generation.tasks:
            task = nodes.get(("task", item.task))
            if task is not None:
                task.classes.append("hit")
                task.note = f"generation {generation.number}"
                hit.add(("task", item.task))
    for edge in edges:
        if edge.source.kind == "task" and ("task", edge.source.key) in hit:
            hit.add(("image", edge.target.key))
            if "hit" not in edge.target.classes and edge.target is not root:
                edge.target.classes.append("hit")
    for edge in edges:
        if (edge.source.kind, edge.source.key) in hit and (edge.target.kind, edge.target.key) in hit \
                and "unfollowed" not in edge.classes:
            edge.classes.append("hit")


def tracked_images(index: DependencyIndex) -> list[dict[str, Any]]:
    """Every base image some task is built on, with its dependants (for the list beside the drawing)."""
    images: dict[str, list[str]] = {}
    for name, task in sorted(index.tasks.items()):
        for image in task.bases:
            images.setdefault(image, []).append(name)
    return [{"image": image, "tasks": names, "producers": list(index.producers(image))}
            for image, names in sorted(images.items())]
