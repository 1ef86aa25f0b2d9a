"""Platforms a plan needs and where it can run (the worker's queue routing helper)."""

from __future__ import annotations

import pytest

from tasks_engine.plan.model import BuildSpec, RunPlan, StepSpec, StepType
from tasks_engine.plan.platforms import (
    PlatformError,
    normalize_platform,
    placement,
    plan_placement,
    platform_args,
    queue_name,
    split_platforms,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("linux/aarch64", "linux/arm64"), ("arm64", "linux/arm64"), ("linux/arm", "linux/arm/v7"),
     ("linux/arm64/v8", "linux/arm64"), ("LINUX/AMD64", "linux/amd64"), ("linux/x86_64", "linux/amd64")],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize_platform(text) == expected


def test_bad_platform() -> None:
    with pytest.raises(PlatformError, match="os/arch"):
        normalize_platform("a/b/c/d")


def test_lists_and_queues() -> None:
    assert split_platforms("linux/amd64, linux/arm64,linux/amd64") == ["linux/amd64", "linux/arm64"]
    assert queue_name("linux/arm64") == "runs.linux-arm64"
    assert queue_name("linux/arm/v7") == "runs.linux-arm-v7"


def test_placement() -> None:
    here = placement(["linux/amd64", "linux/arm64"], host="linux/amd64", emulated=["linux/arm64"])
    assert (here.native, here.emulated, here.missing, here.queue) == (("linux/amd64",), ("linux/arm64",), (), None)
    assert here.runnable_here
    there = placement(["linux/arm64"], host="linux/amd64")
    assert there.missing == ("linux/arm64",)
    assert there.queue == "runs.linux-arm64"


def test_plan_placement_reads_build_and_cmd_platforms() -> None:
    plan = RunPlan(run_id="r", steps=[
        StepSpec(id="b", type=StepType.BUILD, build=BuildSpec(platform="linux/amd64,linux/arm64")),
        StepSpec(id="c", type=StepType.CMD, image="x", run_options={"platform": "linux/s390x"}),
    ])
    result = plan_placement(plan, host="linux/amd64", emulated=["linux/arm64"])
    assert result.missing == ("linux/s390x",)
    assert result.queue == "runs.linux-s390x"


def test_platform_args() -> None:
    args = platform_args("linux/arm/v7", "linux/amd64")
    assert args["TARGETARCH"] == "arm" and args["TARGETVARIANT"] == "v7" and args["BUILDPLATFORM"] == "linux/amd64"
