"""The dependency index: built from dependency reports, Runtime vs All, digest-pinned bases, self-triggers."""

from __future__ import annotations

import json

import pytest

from tasks_engine.deps import build_dependency_reports, scan_dockerfile
from tasks_engine.triggers import (
    BaseImageTrigger,
    BaseImageTriggerType,
    DependencyIndex,
    DependencyKind,
    TaskNode,
    TriggerConfigError,
    dependants,
    image_key,
    node_from_reports,
    record_build,
    self_triggering_images,
)

HUB = "registry.hub.docker.com"
D1, D2, D3 = ("sha256:" + c * 64 for c in "123")

DOCKERFILE = """\
FROM golang:1.22 AS build
RUN go build
FROM gcr.io/distroless/static:nonroot
COPY --from=build /app /app
"""


def reports() -> list:  # type: ignore[type-arg]
    deps = scan_dockerfile(DOCKERFILE)
    digests = {"golang:1.22": D1, "gcr.io/distroless/static:nonroot": D2, "myreg.example.com/app:v1": D3}
    return build_dependency_reports(["myreg.example.com/app:v1", "myreg.example.com/app:latest"], deps, "abc", digests)


def test_image_keys() -> None:
    assert image_key("node") == f"{HUB}/library/node:latest"
    assert image_key("docker.io/library/node:20") == f"{HUB}/library/node:20"
    assert image_key("localhost:5000/base/x:1") == "localhost:5000/base/x:1"
    assert image_key("node@sha256:" + "a" * 64) is None
    assert image_key("node:20@sha256:" + "a" * 64) is None
    assert image_key("scratch") is None
    with pytest.raises(TriggerConfigError, match="invalid reference"):
        image_key("UPPER case!")


def test_node_from_dependency_reports() -> None:
    node = node_from_reports("app", reports())
    assert dict(node.bases) == {
        f"{HUB}/library/golang:1.22": node.bases[f"{HUB}/library/golang:1.22"],
        "gcr.io/distroless/static:nonroot": node.bases["gcr.io/distroless/static:nonroot"],
    }
    assert node.bases[f"{HUB}/library/golang:1.22"].kind is DependencyKind.BUILDTIME
    assert node.bases[f"{HUB}/library/golang:1.22"].digest == D1
    assert node.bases["gcr.io/distroless/static:nonroot"].kind is DependencyKind.RUNTIME
    assert dict(node.outputs) == {"myreg.example.com/app:v1": D3, "myreg.example.com/app:latest": ""}


def test_reports_as_json_give_the_same_node() -> None:
    as_json = json.loads(json.dumps([r.to_dict() for r in reports()]))
    assert node_from_reports("app", as_json) == node_from_reports("app", reports())


def test_digest_pinned_bases_are_not_tracked() -> None:
    deps = scan_dockerfile("FROM node:20@sha256:" + "a" * 64 + "\nFROM debian@sha256:" + "b" * 64 + "\n")
    node = node_from_reports("pinned", build_dependency_reports([], deps, ""))
    assert node.bases == {} and node.outputs == {}


def test_runtime_beats_buildtime_for_one_image() -> None:
    a = {
        "image": None,
        "runtime-dependency": {
            "registry": HUB,
            "repository": "library/node",
            "tag": "20",
            "digest": D1,
            "reference": "node:20",
        },
        "buildtime-dependency": [
            {"registry": HUB, "repository": "library/node", "tag": "20", "digest": D1, "reference": "node:20"}
        ],
    }
    node = node_from_reports("x", [a])
    assert node.bases[f"{HUB}/library/node:20"].kind is DependencyKind.RUNTIME


def test_report_without_runtime_is_refused() -> None:
    with pytest.raises(TriggerConfigError, match="runtime-dependency"):
        node_from_reports("x", [{"image": None}])


def test_dependants_runtime_vs_all() -> None:
    index = record_build(DependencyIndex(), "app", reports())
    index = index.with_task(
        TaskNode("all", dict(index.tasks["app"].bases), {}, BaseImageTrigger(trigger_type=BaseImageTriggerType.ALL))
    )
    golang = "golang:1.22"
    assert [d.task for d in dependants(index, golang)] == ["all"]
    assert [d.task for d in dependants(index, golang, trigger_type=BaseImageTriggerType.ALL)] == ["all", "app"]
    assert [d.task for d in dependants(index, golang, trigger_type=BaseImageTriggerType.RUNTIME)] == []
    assert [d.task for d in dependants(index, "gcr.io/distroless/static:nonroot")] == ["all", "app"]
    assert dependants(index, "node@sha256:" + "a" * 64) == ()


def test_disabled_tasks_are_not_dependants() -> None:
    index = record_build(DependencyIndex(), "app", reports(), trigger=BaseImageTrigger(enabled=False))
    assert dependants(index, "gcr.io/distroless/static:nonroot") == ()
    assert [d.task for d in index.dependants("gcr.io/distroless/static:nonroot", include_disabled=True)] == ["app"]
    paused = record_build(DependencyIndex(), "app", reports(), task_enabled=False)
    assert dependants(paused, "gcr.io/distroless/static:nonroot") == ()


def test_record_build_keeps_trigger_settings_and_replaces_bases() -> None:
    index = record_build(
        DependencyIndex(), "app", reports(), trigger=BaseImageTrigger(trigger_type=BaseImageTriggerType.ALL)
    )
    deps = scan_dockerfile("FROM alpine:3.20\n")
    index = record_build(index, "app", build_dependency_reports([], deps, "", {"alpine:3.20": D2}))
    node = index.tasks["app"]
    assert node.trigger.trigger_type is BaseImageTriggerType.ALL
    assert list(node.bases) == [f"{HUB}/library/alpine:3.20"]


def test_index_round_trips_through_json() -> None:
    index = record_build(DependencyIndex(), "app", reports())
    again = DependencyIndex.from_dict(json.loads(json.dumps(index.to_dict())))
    assert again == index
    assert index.without_task("app").tasks == {}
    assert index.producers("myreg.example.com/app:v1") == ("app",)


def test_base_images_for_polling_follow_trigger_types() -> None:
    index = record_build(DependencyIndex(), "app", reports())
    assert index.base_images() == {"app": frozenset({"gcr.io/distroless/static:nonroot"})}


def test_self_triggering_images() -> None:
    assert self_triggering_images(["myreg.io/app:latest", "myreg.io/app:{{.Run.ID}}"], ["myreg.io/app", "node:20"]) == (
        "myreg.io/app:latest",
    )
    assert self_triggering_images(["myreg.io/app:v1"], ["myreg.io/base:v1"]) == ()
