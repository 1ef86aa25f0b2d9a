"""The dependency index: which task was built on which base image (and digest), and what it pushes.

Every successful build's dependency report (:mod:`tasks_engine.deps.report`) replaces its task's entry via
:func:`record_build`. An entry holds

* ``bases`` — each base image key (``registry/repository:tag``, normalised like the report) with its kind
  (``runtime`` = the final ``FROM``, ``buildtime`` = the others) and the digest the task was last built on;
* ``outputs`` — the images the task pushes, with the digest it pushed: those are bases of the next
  generation of a cascade;
* the task's base-image trigger (``enabled``, ``Runtime|All``; ACR's defaults: on, Runtime) and whether the
  task itself is enabled.

Bases pinned by digest (``node:20@sha256:…`` or ``node@sha256:…``) and ``scratch`` are not tracked: a pinned
base never moves, so no update can concern it.

The index is an immutable value; ``with_task``/``without_task`` return new ones, so the lead can load it from
Redis, compute, and write it back atomically (or keep one key per task — ``TaskNode.to_dict`` is per task).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tasks_engine.deps.imageref import ImageRef, ImageReferenceError, parse_image_reference
from tasks_engine.deps.report import DependencyReport
from tasks_engine.triggers.errors import TriggerConfigError

__all__ = [
    "DEFAULT_BASE_IMAGE_TRIGGER_NAME",
    "BaseImage",
    "BaseImageTrigger",
    "BaseImageTriggerType",
    "Dependant",
    "DependencyIndex",
    "DependencyKind",
    "TaskNode",
    "dependants",
    "image_key",
    "node_from_reports",
    "record_build",
    "self_triggering_images",
]

DEFAULT_BASE_IMAGE_TRIGGER_NAME = "defaultBaseimageTriggerName"


class DependencyKind(StrEnum):
    RUNTIME = "runtime"
    BUILDTIME = "buildtime"


class BaseImageTriggerType(StrEnum):
    """ACR's ``baseImageTriggerType``: ``Runtime`` follows only the final ``FROM``; ``All`` every base."""

    RUNTIME = "Runtime"
    ALL = "All"

    def follows(self, kind: DependencyKind) -> bool:
        return self is BaseImageTriggerType.ALL or kind is DependencyKind.RUNTIME


def image_key(ref: str | ImageRef) -> str | None:
    """``registry/repository:tag`` of a trackable image; None for digest-pinned, untagged or ``scratch``.

    Raises ``TriggerConfigError`` for a string that is not an image reference.
    """
    if isinstance(ref, str):
        try:
            ref = parse_image_reference(ref)
        except ImageReferenceError as exc:
            raise TriggerConfigError("image", exc.reason + f": {ref!r}") from exc
    if ref.digest or not ref.tag or ref.is_scratch:
        return None
    return f"{ref.registry}/{ref.repository}:{ref.tag}"


def _output_key(ref: str | ImageRef) -> str | None:
    """An output is keyed by its tag even when the report also knows the pushed digest."""
    if isinstance(ref, str):
        ref = parse_image_reference(ref)
    if not ref.tag or ref.is_scratch:
        return None
    return f"{ref.registry}/{ref.repository}:{ref.tag}"


@dataclass(frozen=True)
class BaseImage:
    image: str
    kind: DependencyKind
    digest: str = ""


@dataclass(frozen=True)
class BaseImageTrigger:
    enabled: bool = True
    trigger_type: BaseImageTriggerType = BaseImageTriggerType.RUNTIME
    name: str = DEFAULT_BASE_IMAGE_TRIGGER_NAME


@dataclass(frozen=True)
class TaskNode:
    """One task's entry. ``bases``/``outputs`` are keyed by image key."""

    task: str
    bases: Mapping[str, BaseImage] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    trigger: BaseImageTrigger = BaseImageTrigger()
    task_enabled: bool = True

    @property
    def triggerable(self) -> bool:
        return self.task_enabled and self.trigger.enabled

    def edge(self, image: str, trigger_type: BaseImageTriggerType | None = None) -> BaseImage | None:
        """The base edge ``image`` if this task's trigger type (or the override) follows it."""
        base = self.bases.get(image)
        if base is None or not (trigger_type or self.trigger.trigger_type).follows(base.kind):
            return None
        return base

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "bases": [{"image": b.image, "kind": b.kind.value, "digest": b.digest} for b in self.bases.values()],
            "outputs": [{"image": image, "digest": digest} for image, digest in self.outputs.items()],
            "baseImageTrigger": {
                "enabled": self.trigger.enabled,
                "baseImageTriggerType": self.trigger.trigger_type.value,
                "name": self.trigger.name,
            },
            "taskEnabled": self.task_enabled,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskNode:
        trig = data.get("baseImageTrigger") or {}
        return cls(
            task=str(data["task"]),
            bases={
                str(b["image"]): BaseImage(str(b["image"]), DependencyKind(b["kind"]), str(b.get("digest", "")))
                for b in data.get("bases", [])
            },
            outputs={str(o["image"]): str(o.get("digest", "")) for o in data.get("outputs", [])},
            trigger=BaseImageTrigger(
                bool(trig.get("enabled", True)),
                BaseImageTriggerType(trig.get("baseImageTriggerType", "Runtime")),
                str(trig.get("name", DEFAULT_BASE_IMAGE_TRIGGER_NAME)),
            ),
            task_enabled=bool(data.get("taskEnabled", True)),
        )


@dataclass(frozen=True)
class Dependant:
    task: str
    base: BaseImage


@dataclass(frozen=True)
class DependencyIndex:
    """All tasks' entries, by task name."""

    tasks: Mapping[str, TaskNode] = field(default_factory=dict)
    _by_base: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_base: dict[str, list[str]] = {}
        for name in sorted(self.tasks):
            for image in self.tasks[name].bases:
                by_base.setdefault(image, []).append(name)
        object.__setattr__(self, "_by_base", {image: tuple(names) for image, names in by_base.items()})

    def node(self, task: str) -> TaskNode | None:
        return self.tasks.get(task)

    def with_task(self, node: TaskNode) -> DependencyIndex:
        return DependencyIndex({**self.tasks, node.task: node})

    def without_task(self, task: str) -> DependencyIndex:
        return DependencyIndex({name: n for name, n in self.tasks.items() if name != task})

    def dependants(
        self, image: str, *, trigger_type: BaseImageTriggerType | None = None, include_disabled: bool = False
    ) -> tuple[Dependant, ...]:
        """Tasks that rebuild when ``image`` changes, sorted by name (see :func:`dependants`)."""
        out: list[Dependant] = []
        for name in self._by_base.get(image, ()):
            node = self.tasks[name]
            edge = node.edge(image, trigger_type)
            if edge is not None and (include_disabled or node.triggerable):
                out.append(Dependant(name, edge))
        return tuple(out)

    def producers(self, image: str) -> tuple[str, ...]:
        return tuple(sorted(name for name, node in self.tasks.items() if image in node.outputs))

    def successors(self, task: str, *, trigger_type: BaseImageTriggerType | None = None) -> frozenset[str]:
        """Enabled tasks that have one of ``task``'s outputs as a followed base."""
        node = self.tasks.get(task)
        if node is None:
            return frozenset()
        return frozenset(d.task for image in node.outputs for d in self.dependants(image, trigger_type=trigger_type))

    def reach(self, task: str, *, trigger_type: BaseImageTriggerType | None = None) -> frozenset[str]:
        """Every task downstream of ``task`` (transitively; ``task`` itself only through a cycle)."""
        seen: set[str] = set()
        stack = list(self.successors(task, trigger_type=trigger_type))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.successors(current, trigger_type=trigger_type) - seen)
        return frozenset(seen)

    def base_images(self) -> dict[str, frozenset[str]]:
        """``{task: tracked base images}`` of triggerable tasks, honouring each one's trigger type (polling)."""
        return {
            name: frozenset(i for i in node.bases if node.edge(i) is not None)
            for name, node in sorted(self.tasks.items())
            if node.triggerable
        }

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": [self.tasks[name].to_dict() for name in sorted(self.tasks)]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DependencyIndex:
        nodes = [TaskNode.from_dict(item) for item in data.get("tasks", [])]
        return cls({n.task: n for n in nodes})


def dependants(
    index: DependencyIndex, image: str, *, trigger_type: BaseImageTriggerType | None = None
) -> tuple[Dependant, ...]:
    """Triggerable tasks built on ``image`` (a key or any image reference).

    ``trigger_type`` overrides every task's own setting: ``Runtime`` follows runtime edges only, ``All``
    both kinds; None (the default) uses each task's ``--base-image-trigger-type`` (ACR default Runtime).
    """
    key = image_key(image)
    return () if key is None else index.dependants(key, trigger_type=trigger_type)


def _ref_from(value: ImageRef | Mapping[str, Any]) -> ImageRef:
    if isinstance(value, ImageRef):
        return value
    return ImageRef(
        str(value.get("registry", "")),
        str(value.get("repository", "")),
        str(value.get("tag", "") or ""),
        str(value.get("digest", "") or ""),
        str(value.get("reference", "") or ""),
    )


def _report_parts(report: DependencyReport | Mapping[str, Any]) -> tuple[ImageRef | None, ImageRef, list[ImageRef]]:
    if isinstance(report, DependencyReport):
        return report.image, report.runtime, list(report.buildtime)
    image = report.get("image")
    runtime = report.get("runtime-dependency")
    if not isinstance(runtime, Mapping):
        raise TriggerConfigError("dependencies", "a dependency report has no runtime-dependency")
    build = report.get("buildtime-dependency") or []
    return (_ref_from(image) if isinstance(image, Mapping) else None, _ref_from(runtime), [_ref_from(b) for b in build])


def _tracked_key(ref: ImageRef) -> str | None:
    """Key of a base as the report spells it: its digest is the *built-on* digest, not a pin."""
    if not ref.tag or ref.is_scratch:
        return None
    pinned = "@" in ref.reference
    return None if pinned else f"{ref.registry}/{ref.repository}:{ref.tag}"


def node_from_reports(
    task: str,
    reports: Sequence[DependencyReport | Mapping[str, Any]],
    *,
    trigger: BaseImageTrigger = BaseImageTrigger(),
    task_enabled: bool = True,
) -> TaskNode:
    """A task's entry from its last successful build's reports (objects or their ACR JSON)."""
    bases: dict[str, BaseImage] = {}
    outputs: dict[str, str] = {}
    for report in reports:
        image, runtime, buildtime = _report_parts(report)
        for ref, kind in [(runtime, DependencyKind.RUNTIME), *((b, DependencyKind.BUILDTIME) for b in buildtime)]:
            key = _tracked_key(ref)
            if key is None:
                continue
            known = bases.get(key)
            if known is None or (kind is DependencyKind.RUNTIME and known.kind is DependencyKind.BUILDTIME):
                bases[key] = BaseImage(key, kind, ref.digest or (known.digest if known else ""))
        if image is not None:
            out = _output_key(image)
            if out is not None:
                outputs[out] = image.digest
    return TaskNode(task, bases, outputs, trigger, task_enabled)


def record_build(
    index: DependencyIndex,
    task: str,
    reports: Sequence[DependencyReport | Mapping[str, Any]],
    *,
    trigger: BaseImageTrigger | None = None,
    task_enabled: bool | None = None,
) -> DependencyIndex:
    """Replace ``task``'s entry after a successful build; trigger settings are kept unless given."""
    previous = index.node(task)
    node = node_from_reports(
        task,
        reports,
        trigger=trigger or (previous.trigger if previous else BaseImageTrigger()),
        task_enabled=task_enabled if task_enabled is not None else (previous.task_enabled if previous else True),
    )
    return index.with_task(node)


def self_triggering_images(outputs: Iterable[str], bases: Iterable[str]) -> tuple[str, ...]:
    """Images a task would push *and* build on: each push would re-trigger the task (refuse at creation,
    or disable its base-image trigger). Templated outputs that are not valid references are skipped."""
    out_keys: set[str] = set()
    for image in outputs:
        try:
            key = _output_key(image)
        except ImageReferenceError:
            continue
        if key is not None:
            out_keys.add(key)
    base_keys = {key for key in (_safe_key(b) for b in bases) if key is not None}
    return tuple(sorted(out_keys & base_keys))


def _safe_key(image: str) -> str | None:
    try:
        return image_key(image)
    except TriggerConfigError:
        return None
