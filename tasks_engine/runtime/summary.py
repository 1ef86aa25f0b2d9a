"""What the executor reports after every step has finished (spec §4.2 steps 7-8, §5.3).

Why the digests come last: ACR fills them after all steps, from what the run pushed, so that the dependency
report and ``outputImages`` describe the images as they ended up in the registry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tasks_engine.plan.model import RunPlan
from tasks_engine.runtime.backend import Backend
from tasks_engine.runtime.results import OutputImage, StepResult
from tasks_engine.runtime.runlog import RunLog

DOCKER_HUB = "registry.hub.docker.com"
SCRATCH = "scratch:latest"
_DEP_SINGLE_KEYS = ("image", "runtime-dependency")
_DEP_LIST_KEY = "buildtime-dependency"


def go_json(value: Any) -> str:
    """JSON as Go's ``json.Marshal`` writes it: compact, UTF-8, with ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def split_image_ref(ref: str) -> tuple[str, str, str, str]:
    """``ref`` -> (registry, repository, tag, digest).

    Docker's rule decides the registry (first component with ``.`` or ``:``, or ``localhost``), not ACR's
    "contains a dot" quirk, so a self-hosted ``localhost:5000/app`` output image keeps its registry.
    """
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, ref if "/" in ref else f"library/{ref}"
    if not tag and not digest:
        tag = "latest"
    return registry, repository, tag, digest


def summary_lines(
    plan: RunPlan, results: Mapping[str, StepResult], elapsed: Mapping[str, float]
) -> list[str]:
    return [
        f"Step ID: {s.id} marked as {results[s.id].status.value} "
        f"(elapsed time in seconds: {elapsed.get(s.id, 0.0):.6f})"
        for s in plan.steps
    ]


def _fill_digest(entry: Any, backend: Backend) -> None:
    if not isinstance(entry, dict):
        return
    reference = entry.get("reference")
    if not isinstance(reference, str) or not reference or reference == SCRATCH or entry.get("digest"):
        return
    entry["digest"] = backend.digest_of(reference) or ""


def populate_dependencies(
    plan: RunPlan,
    dependencies: Mapping[str, list[dict[str, Any]]],
    backend: Backend,
    log: RunLog,
) -> list[dict[str, Any]]:
    """Fills every reference's digest through ``backend.digest_of``; returns the report in YAML step order."""
    report: list[dict[str, Any]] = []
    for step in plan.steps:
        entries = dependencies.get(step.id)
        if not entries:
            continue
        log.engine(f"Populating digests for step ID: {step.id}...")
        for entry in entries:
            for key in _DEP_SINGLE_KEYS:
                _fill_digest(entry.get(key), backend)
            for item in entry.get(_DEP_LIST_KEY) or []:
                _fill_digest(item, backend)
        log.engine(f"Successfully populated digests for step ID: {step.id}")
        report.extend(entries)
    return report


def collect_output_images(
    plan: RunPlan,
    results: Mapping[str, StepResult],
    *,
    backend: Backend | None,
    dependencies: Sequence[dict[str, Any]] = (),
) -> list[OutputImage]:
    """Every image a push step pushed (plan order, first occurrence wins); missing digests asked of the
    backend (only when ``backend`` is given, i.e. after a successful run) or taken from the dependency
    report."""
    known: dict[str, str] = {}
    for entry in dependencies:
        image = entry.get("image") if isinstance(entry, dict) else None
        if isinstance(image, dict) and image.get("reference") and image.get("digest"):
            known[str(image["reference"])] = str(image["digest"])
    out: list[OutputImage] = []
    seen: set[str] = set()
    for step in plan.steps:
        for ref, digest in results[step.id].pushed.items():
            if ref in seen:
                continue
            seen.add(ref)
            registry, repository, tag, ref_digest = split_image_ref(ref)
            digest = digest or ref_digest or known.get(ref, "")
            if not digest and backend is not None:
                digest = backend.digest_of(ref) or ""
            out.append(OutputImage(registry=registry, repository=repository, tag=tag, digest=digest))
    return out
