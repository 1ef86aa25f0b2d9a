"""The dependency index "base image → tasks" as the service keeps it, and the other trigger indexes.

One store entry per task (``{"node": TaskNode, "runId", "builtAt"}``): a build rewrites only its own task's
entry (``record_run_build``, after every successful run with a dependency report), and readers that need the
whole index (a registry event, a run's end) reuse a parsed copy while the index version has not moved, so a
thousand-task index is parsed once per change, not once per event.

``index_task`` keeps the indexes in step with a task's definition: the repository its source trigger
watches, its base-image trigger settings and status in its index entry, its timers' last ticks.

Sightings (``P:images:seen``): the digest a registry event, a poll or a build last reported for an image,
and when — what ``task show`` lists beside the digest each base was built on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tasks_engine.service.triggerdefs import base_image_trigger, repository_key, timers_of
from tasks_engine.store import RedisStore, TaskRecord
from tasks_engine.triggers import DependencyIndex, Impact, TaskNode, impact, record_build


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry(node: TaskNode, *, run_id: str = "", built_at: str = "") -> str:
    return json.dumps({"node": node.to_dict(), "runId": run_id, "builtAt": built_at}, separators=(",", ":"),
                      sort_keys=True)


def _node(raw: str) -> tuple[TaskNode, dict[str, Any]]:
    data = json.loads(raw)
    return TaskNode.from_dict(data["node"]), data


class IndexReader:
    """The whole index, parsed again only when its version moved (thread-safe; one per process)."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._version = -1
        self._index = DependencyIndex()

    def index(self) -> DependencyIndex:
        version = self.store.dependency_version()
        with self._lock:
            if version == self._version:
                return self._index
        version, raw = self.store.dependency_entries()
        index = DependencyIndex({task: _node(entry)[0] for task, entry in raw.items()})
        with self._lock:
            self._version, self._index = version, index
        return index


def task_node(store: RedisStore, task: str) -> tuple[TaskNode | None, dict[str, Any]]:
    raw = store.dependency_entry(task)
    if raw is None:
        return None, {}
    return _node(raw)


def record_run_build(store: RedisStore, record: TaskRecord | None, task: str, run_id: str,
                     reports: Sequence[Mapping[str, Any]]) -> TaskNode | None:
    """Replace ``task``'s entry with what this successful run was built on and pushed (None: nothing to
    record — the run had no build, so what the task is built on is unknown, and the entry stays)."""
    if not reports:
        return None
    previous, _ = task_node(store, task)
    index = DependencyIndex({task: previous} if previous is not None else {})
    trigger = base_image_trigger(record.triggers) if record is not None else None
    enabled = (record.status == "Enabled") if record is not None else None
    try:
        node = record_build(index, task, reports, trigger=trigger, task_enabled=enabled).tasks[task]
    except Exception:  # a report the index cannot read (a malformed reference) must not fail the run's end
        return None
    now = _now_iso()
    store.put_dependency_entry(task, _entry(node, run_id=run_id, built_at=now))
    seen = {b.image: json.dumps({"digest": b.digest, "at": now, "source": f"build {run_id}"})
            for b in node.bases.values() if b.digest}
    seen.update({image: json.dumps({"digest": digest, "at": now, "source": f"push {run_id}"})
                 for image, digest in node.outputs.items() if digest})
    store.record_sightings(seen)
    return node


def record_sightings(store: RedisStore, sightings: Iterable[tuple[str, str, str]]) -> None:
    """``(image, digest, source)`` seen now (a registry push, a poll answer)."""
    now = _now_iso()
    store.record_sightings({image: json.dumps({"digest": digest, "at": now, "source": source})
                            for image, digest, source in sightings})


def index_task(store: RedisStore, record: TaskRecord | None, previous: TaskRecord | None) -> None:
    """Keep the indexes in step with a saved (or, ``record`` None, deleted) task."""
    current = record or previous
    if current is None:
        return
    name = current.name
    old_repo = repository_key(previous.triggers) if previous is not None else None
    new_repo = repository_key(record.triggers) if record is not None else None
    if old_repo or new_repo:
        store.set_source_repository(name, old_repo, new_repo)
    old_timers = {t.name for t in timers_of(previous.triggers)} if previous is not None else set()
    new_timers = {t.name for t in timers_of(record.triggers)} if record is not None else set()
    store.forget_timers([f"{name}/{t}" for t in sorted(old_timers - new_timers)])
    if record is None:
        store.put_dependency_entry(name, None)
        return
    node, data = task_node(store, name)
    if node is None:
        return
    updated = replace(node, trigger=base_image_trigger(record.triggers), task_enabled=record.status == "Enabled")
    if updated != node:
        store.put_dependency_entry(name, _entry(updated, run_id=str(data.get("runId") or ""),
                                                built_at=str(data.get("builtAt") or "")))


def tracked_bases(store: RedisStore, task: str) -> dict[str, Any]:
    """``task show``'s view: each tracked base (kind, digest built on, latest sighting) and what it pushes."""
    node, data = task_node(store, task)
    if node is None:
        return {"baseImages": [], "outputImages": [], "lastBuild": None}
    images = sorted(set(node.bases) | set(node.outputs))
    seen = {image: json.loads(raw) for image, raw in store.sightings(images).items()}
    bases = []
    for image in sorted(node.bases):
        base = node.bases[image]
        sighting = seen.get(image) or {}
        bases.append({"image": image, "kind": base.kind.value, "digest": base.digest or None,
                      "tracked": node.edge(image) is not None and node.triggerable,
                      "lastSeenDigest": sighting.get("digest"), "lastSeen": sighting.get("at"),
                      "lastSeenBy": sighting.get("source")})
    outputs = [{"image": image, "digest": digest or None} for image, digest in sorted(node.outputs.items())]
    return {"baseImages": bases, "outputImages": outputs,
            "lastBuild": {"runId": data.get("runId") or None, "time": data.get("builtAt") or None}}


def impact_of(index: DependencyIndex, image: str, *, max_generations: int) -> dict[str, Any]:
    """``tasks-engine deps impact IMAGE -o json``: which tasks would rebuild, in which generation."""
    found: Impact = impact(index, image, max_generations=max_generations)
    return {
        "image": found.image,
        "generations": [{"generation": g.number,
                         "tasks": [{"task": t.task, "via": list(t.via)} for t in g.tasks]}
                        for g in found.generations],
        "cycles": [{"tasks": list(c.tasks), "description": c.describe()} for c in found.cycles],
        "beyondLimit": list(found.beyond_limit),
        "disabled": list(found.disabled),
        "maxGenerations": max_generations,
    }
