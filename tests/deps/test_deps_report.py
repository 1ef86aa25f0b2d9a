"""Dependency report: ACR's JSON shape (spec §5.3), one entry per tag, digests filled in."""

from __future__ import annotations

import json

from tasks_engine.deps import build_dependency_report, build_dependency_reports, scan_dockerfile

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64

DOCKERFILE = "FROM golang:1.22 AS build\nFROM scratch AS s\nFROM mybaseregistry.azurecr.io/baseimages/node:9-alpine\n"


def test_one_entry_per_tag_with_exact_keys() -> None:
    deps = scan_dockerfile(DOCKERFILE)
    report = build_dependency_report(
        ["myregistry.azurecr.io/hello-world:cf10", "myregistry.azurecr.io/hello-world"],
        deps,
        "0f98877",
        {
            "myregistry.azurecr.io/hello-world:cf10": D1,
            "mybaseregistry.azurecr.io/baseimages/node:9-alpine": D2,
            "registry.hub.docker.com/library/golang:1.22": D3,
        },
    )
    assert len(report) == 2
    first = report[0]
    assert list(first) == ["image", "runtime-dependency", "buildtime-dependency", "git"]
    assert first["image"] == {
        "registry": "myregistry.azurecr.io",
        "repository": "hello-world",
        "tag": "cf10",
        "digest": D1,
        "reference": "myregistry.azurecr.io/hello-world:cf10",
    }
    assert first["runtime-dependency"] == {
        "registry": "mybaseregistry.azurecr.io",
        "repository": "baseimages/node",
        "tag": "9-alpine",
        "digest": D2,
        "reference": "mybaseregistry.azurecr.io/baseimages/node:9-alpine",
    }
    buildtime = first["buildtime-dependency"]
    assert isinstance(buildtime, list)
    assert [b["reference"] for b in buildtime] == ["golang:1.22", "scratch:latest"]
    assert buildtime[0]["digest"] == D3  # found by canonical spelling
    assert buildtime[1]["digest"] == ""  # scratch never gets one
    assert first["git"] == {"git-head-revision": "0f98877"}
    assert report[1]["image"]["reference"] == "myregistry.azurecr.io/hello-world:latest"  # type: ignore[index]
    assert report[1]["image"]["digest"] == ""  # type: ignore[index]
    json.dumps(report)


def test_no_tags_gives_single_entry_with_null_image() -> None:
    report = build_dependency_report([], scan_dockerfile("FROM alpine\n"), "")
    assert len(report) == 1
    assert report[0]["image"] is None
    assert report[0]["buildtime-dependency"] == []
    assert report[0]["git"] == {"git-head-revision": ""}


def test_pinned_digest_is_kept() -> None:
    deps = scan_dockerfile(f"FROM alpine@{D1}\n")
    [entry] = build_dependency_reports([], deps, "", {f"alpine@{D1}": D2})
    assert entry.runtime.digest == D1
    assert "tag" not in entry.to_dict()["runtime-dependency"]  # type: ignore[operator]
