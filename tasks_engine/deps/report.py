"""The dependency report ACR prints after a run (``pkg/image/dependencies.go``, spec §5.3).

One entry per pushed tag, or one with ``image: null`` when the build has no tag. The base-image trigger index
is fed from these entries, so the keys and their spelling are ACR's exactly:
``image``, ``runtime-dependency``, ``buildtime-dependency``, ``git`` → ``git-head-revision``.

Deviation: ACR prints ``"buildtime-dependency": null`` when there are none (a nil Go slice); we print ``[]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tasks_engine.deps.imageref import ImageRef, normalize_image_tag, parse_image_reference
from tasks_engine.deps.scan import DockerfileDeps


@dataclass(frozen=True)
class DependencyReport:
    image: ImageRef | None
    runtime: ImageRef
    buildtime: tuple[ImageRef, ...] = field(default_factory=tuple)
    git_head_revision: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "image": self.image.to_dict() if self.image is not None else None,
            "runtime-dependency": self.runtime.to_dict(),
            "buildtime-dependency": [ref.to_dict() for ref in self.buildtime],
            "git": {"git-head-revision": self.git_head_revision},
        }


def _with_digest(ref: ImageRef, digests: Mapping[str, str]) -> ImageRef:
    """Fill the digest from ``digests`` keyed by the reference as written or by its canonical spelling.

    A reference pinned by digest keeps its own; ``scratch`` never has one (acr-builder skips it).
    """
    if ref.digest or ref.is_scratch:
        return ref
    for key in (ref.reference, ref.canonical):
        digest = digests.get(key)
        if digest:
            return ref.with_digest(digest)
    return ref


def build_dependency_reports(
    tags: Iterable[str],
    deps: DockerfileDeps,
    git_head: str,
    digests: Mapping[str, str] | None = None,
) -> list[DependencyReport]:
    digests = digests or {}
    runtime = _with_digest(deps.runtime, digests)
    buildtime = tuple(_with_digest(ref, digests) for ref in deps.buildtime)
    images: list[ImageRef | None] = [
        _with_digest(parse_image_reference(normalize_image_tag(tag)), digests) for tag in tags
    ]
    if not images:
        images = [None]
    return [DependencyReport(image, runtime, buildtime, git_head) for image in images]


def build_dependency_report(
    tags: Iterable[str],
    deps: DockerfileDeps,
    git_head: str,
    digests: Mapping[str, str] | None = None,
) -> list[dict[str, object]]:
    """The JSON-ready list ACR prints after ``The following dependencies were found:``."""
    return [report.to_dict() for report in build_dependency_reports(tags, deps, git_head, digests)]
