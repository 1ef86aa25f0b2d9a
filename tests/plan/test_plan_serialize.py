"""Plan JSON round trip, redaction, loader errors; critical path and the plan table."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.definition.model import (
    NetworkDef,
    StepDef,
    StepKind,
    TaskDefinition,
    VolumeDef,
    VolumeMountDef,
)
from tasks_engine.errors import DefinitionError, PermanentError
from tasks_engine.plan.compile import compile_plan
from tasks_engine.plan.critical_path import critical_path, format_plan_table
from tasks_engine.plan.model import RunPlan, StepSpec, StepType
from tasks_engine.plan.serialize import PlanFormatError, plan_from_dict, plan_from_json, plan_to_json


def _rich_plan() -> RunPlan:
    definition = TaskDefinition(
        env=["T=1"],
        networks=[NetworkDef("net", driver="bridge", ipv6=True, is_default=True)],
        volumes=[VolumeDef("sec", {"k": "dmFsdWU="})],
        steps=[
            StepDef(
                index=0,
                kind=StepKind.BUILD,
                id="b",
                build="-t a:1 --build-arg X --build-arg Y=2 --label l=v --target t --platform linux/amd64 "
                "--network host --add-host h:1.2.3.4 --shm-size 1g --isolation default --cache-from c "
                "--no-cache --pull ctx",
                cache="enabled",
                volume_mounts=[VolumeMountDef("sec", "/run/s")],
            ),
            StepDef(
                index=1,
                kind=StepKind.CMD,
                cmd="img --flag 'two words'",
                entry_point="sh",
                when=["-"],
                start_delay=3,
                timeout=30,
                retries=1,
                retry_on_errors=["flaky"],
                ports=["1:1"],
                expose=["2"],
                user="u",
                cpus="1",
                disable_working_directory_override=True,
            ),
            StepDef(index=2, kind=StepKind.PUSH, push=["a:1", "a"], when=["b", "acb_step_1"]),
        ],
    )
    return compile_plan(
        definition, run_id="run1", registry="reg.local:5000", task_name="t", total_timeout=900
    )


def test_round_trip_unredacted() -> None:
    plan = _rich_plan()
    data = plan.to_dict(redact=False)
    assert plan_from_dict(data) == plan
    assert RunPlan.from_dict(json.loads(plan_to_json(plan, redact=False))) == plan
    assert plan_from_json(plan_to_json(plan, redact=False)) == plan


def test_json_is_redacted_by_default_and_keeps_key_order() -> None:
    text = plan_to_json(_rich_plan())
    assert "dmFsdWU=" not in text and '"***"' in text
    assert list(json.loads(text)) == [
        "version",
        "runId",
        "registry",
        "taskName",
        "totalTimeout",
        "defaultNetwork",
        "networks",
        "volumes",
        "steps",
    ]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(version="99"), "version '99'"),
        (lambda d: d.update(steps="nope"), "steps must be a list"),
        (lambda d: d["steps"][0].update(type="deploy"), "is not build, cmd or push"),
        (lambda d: d["steps"][1].update(timeout="30"), "steps[1].timeout must be an integer"),
        (lambda d: d["steps"][1].update(timeout=True), "must be an integer"),
        (lambda d: d["steps"][1].update(args=[1]), "steps[1].args must be a list of strings"),
        (lambda d: d["steps"][0].update(buildArgs={"a": 1}), "buildArgs must be an object of strings"),
        (lambda d: d["networks"][0].pop("name"), "networks[0].name must be a string"),
        (lambda d: d["steps"].append(3), "steps[3] must be an object"),
    ],
)
def test_loader_errors_name_the_field(mutate: Any, needle: str) -> None:
    data = json.loads(plan_to_json(_rich_plan(), redact=False))
    mutate(data)
    with pytest.raises(PlanFormatError) as info:
        plan_from_dict(data)
    assert needle in str(info.value)
    assert isinstance(info.value, PermanentError)


def test_loader_rejects_non_json() -> None:
    with pytest.raises(PlanFormatError):
        plan_from_json("{not json")
    with pytest.raises(PlanFormatError):
        plan_from_dict([])


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=12,
    )
)
def test_loader_on_random_json_only_raises_its_own_error(data: object) -> None:
    with contextlib.suppress(PlanFormatError):
        plan_from_dict(data)


# --- critical path -----------------------------------------------------------------------------------------


def _step(step_id: str, deps: list[str], timeout: int, delay: int = 0) -> StepSpec:
    return StepSpec(
        id=step_id, type=StepType.CMD, depends_on=deps, timeout=timeout, start_delay=delay, image="x"
    )


def test_critical_path_picks_heaviest_chain() -> None:
    plan = RunPlan(
        run_id="r",
        steps=[
            _step("a", [], 10),
            _step("b", ["a"], 100),
            _step("c", ["a"], 50, delay=60),
            _step("d", ["b", "c"], 5),
            _step("e", [], 1),
        ],
    )
    assert critical_path(plan) == (["a", "c", "d"], 125)


def test_critical_path_ties_go_to_file_order_and_empty_plan() -> None:
    plan = RunPlan(run_id="r", steps=[_step("a", [], 10), _step("b", [], 10)])
    assert critical_path(plan) == (["a"], 10)
    assert critical_path(RunPlan(run_id="r", steps=[])) == ([], 0)


def test_critical_path_on_broken_graph_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="unknown step"):
        critical_path(RunPlan(run_id="r", steps=[_step("a", ["zz"], 1)]))
    with pytest.raises(DefinitionError, match="cycle"):
        critical_path(RunPlan(run_id="r", steps=[_step("a", ["b"], 1), _step("b", ["a"], 1)]))


def test_plan_table() -> None:
    table = format_plan_table(_rich_plan())
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "DEPENDS", "ON", "WHAT", "TIMEOUT", "NETWORK"]
    assert lines[1].startswith("b ") and "a:1 <- ctx" in lines[1] and "net" in lines[1]
    assert "img --flag two words" in lines[2] and "30s (+3s delay)" in lines[2]
    assert lines[3].startswith("acb_step_2") and "b, acb_step_1" in lines[3] and "a:1, a:latest" in lines[3]
    assert lines[-1] == "critical path: b -> acb_step_2 (1200s worst case, exceeds total timeout 900s)"
    assert "critical path" not in format_plan_table(_rich_plan(), with_critical_path=False)
