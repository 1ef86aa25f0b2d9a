"""compile_plan on hand-built definitions: defaults, env, DAG, networks, per-type fields, errors."""

from __future__ import annotations

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
from tasks_engine.errors import DefinitionError, UsageError
from tasks_engine.plan.compile import compile_plan
from tasks_engine.plan.model import StepType
from tasks_engine.plan.serialize import plan_to_json


def cmd(index: int, text: str, **kw: Any) -> StepDef:
    return StepDef(index=index, kind=StepKind.CMD, cmd=text, **kw)


def build(index: int, text: str, **kw: Any) -> StepDef:
    return StepDef(index=index, kind=StepKind.BUILD, build=text, **kw)


def push(index: int, refs: list[str], **kw: Any) -> StepDef:
    return StepDef(index=index, kind=StepKind.PUSH, push=refs, **kw)


def task(*steps: StepDef, **kw: Any) -> TaskDefinition:
    return TaskDefinition(steps=list(steps), **kw)


def test_spec_worked_example() -> None:
    """Spec §12 after alias substitution and rendering (run ab1, registry myreg.azurecr.io)."""
    definition = task(
        build(0, "-t myreg.azurecr.io/web:ab1 -f Dockerfile .", id="build"),
        cmd(1, "myreg.azurecr.io/web:ab1", id="test", env=["A=2", "B=3"], detach=True),
        cmd(2, 'bash echo "$HOME myreg"', when=["build"]),
        push(3, ["myreg.azurecr.io/web:ab1"]),
        version="v1.1.0",
        env=["A=1"],
    )
    plan = compile_plan(
        definition,
        run_id="ab1",
        registry="myreg.azurecr.io",
        command_aliases={"bash": "mcr.microsoft.com/acr/bash:2ff604c"},
    )
    ids = [s.id for s in plan.steps]
    assert ids == ["build", "test", "acb_step_2", "acb_step_3"]
    deps = {s.id: s.depends_on for s in plan.steps}
    assert deps == {"build": [], "test": ["build"], "acb_step_2": ["build"], "acb_step_3": ["acb_step_2"]}
    assert plan.step("build").env == ["A=1", "DOCKER_BUILDKIT=0"]
    assert plan.step("test").env == ["A=2", "B=3"]
    assert plan.step("acb_step_2").env == ["A=1"]
    assert plan.step("acb_step_3").env == []
    third = plan.step("acb_step_2")
    assert third.image == "mcr.microsoft.com/acr/bash:2ff604c"
    assert third.args == ["echo", "$HOME myreg"]  # no host shell: the container gets $HOME literally
    assert plan.step("test").detach is True
    assert plan.step("acb_step_3").images == ["myreg.azurecr.io/web:ab1"]
    assert plan.networks[0].name == "tasks-engine-ab1" and plan.networks[0].driver == "bridge"
    assert plan.default_network == "tasks-engine-ab1"
    assert [s.network for s in plan.steps] == ["tasks-engine-ab1"] * 3 + [None]
    build_spec = plan.step("build").build
    assert build_spec is not None and build_spec.tags == ["myreg.azurecr.io/web:ab1"]
    assert plan.total_timeout == 3600


def test_defaults() -> None:
    plan = compile_plan(
        task(
            cmd(0, "a", timeout=0, retry_delay=0),
            cmd(1, "b", timeout=-3, retry_delay=-1),
            cmd(2, "c", timeout=9),
        ),
        run_id="r",
    )
    assert [s.timeout for s in plan.steps] == [600, 600, 9]
    assert [s.retry_delay for s in plan.steps] == [5, 5, 5]
    plan = compile_plan(task(cmd(0, "a"), step_timeout=42), run_id="r")
    assert plan.steps[0].timeout == 42
    assert plan.steps[0].working_directory == "/workspace"
    assert plan.steps[0].retries == 0 and plan.steps[0].repeat == 0


def test_total_timeout_precedence() -> None:
    assert compile_plan(task(), run_id="r").total_timeout == 3600
    assert compile_plan(task(total_timeout=100), run_id="r").total_timeout == 100
    assert compile_plan(task(total_timeout=100), run_id="r", total_timeout=7).total_timeout == 7
    with pytest.raises(UsageError):
        compile_plan(task(), run_id="r", total_timeout=0)


def test_working_directory_rules() -> None:
    plan = compile_plan(
        task(
            cmd(0, "a"),
            cmd(1, "b", working_directory="../x"),
            cmd(2, "c", working_directory="/abs/./d/"),
            cmd(3, "d", disable_working_directory_override=True, working_directory="ignored"),
            push(4, ["x"]),
            working_directory="src",
        ),
        run_id="r",
    )
    assert [s.working_directory for s in plan.steps] == ["/workspace/src", "/x", "/abs/d", None, None]


def test_dag_implicit_previous_crosses_branches() -> None:
    plan = compile_plan(
        task(cmd(0, "x", id="a", when=["-"]), cmd(1, "x", id="b", when=["-"]), cmd(2, "x", id="c")),
        run_id="r",
    )
    assert [s.depends_on for s in plan.steps] == [[], [], ["b"]]


def test_dag_empty_when_is_previous_step_and_duplicates_collapse() -> None:
    plan = compile_plan(
        task(cmd(0, "x", id="a"), cmd(1, "x", id="b", when=[]), cmd(2, "x", when=["a", "b", "a"])), run_id="r"
    )
    assert [s.depends_on for s in plan.steps] == [[], ["a"], ["a", "b"]]


@pytest.mark.parametrize(
    ("steps", "needle", "path"),
    [
        (
            [cmd(0, "x", id="a", when=["later"]), cmd(1, "x", id="later")],
            "later does not exist as a vertex [from: later, to: a]",
            "steps[0].when",
        ),
        ([cmd(0, "x", id="a", when=["a"])], "Step ID: a is self-referenced", "steps[0].when"),
        ([cmd(0, "x", id="a"), cmd(1, "x", when=["-", "a"])], "immediate execution token", "steps[1].when"),
        ([cmd(0, "x", id="acb_step_1"), cmd(1, "x")], "acb_step_1 already exists as a vertex", "steps[1].id"),
        ([cmd(0, "x", id="acb_root")], "acb_root is a reserved ID", "steps[0].id"),
        ([cmd(0, "x", id="has space")], "step ID cannot contain spaces", "steps[0].id"),
        ([cmd(0, "x", retries=-1)], "retries >= 0", "steps[0].retries"),
        ([cmd(0, "x", repeat=-1)], "repeat >= 0", "steps[0].repeat"),
        ([cmd(0, "x 'open")], "No closing quotation", "steps[0].cmd"),
        ([build(0, "--squash .")], "unknown docker build flag '--squash'", "steps[0].build"),
        ([build(0, ". -t x", cache="sometimes")], "invalid value for cache property", "steps[0].cache"),
        ([StepDef(index=0, kind=StepKind.CMD)], "missing a cmd, build, or push", "steps[0]"),
        (
            [StepDef(index=0, kind=StepKind.CMD, cmd="a", push=["b"])],
            "single build, cmd, or push",
            "steps[0]",
        ),
        ([cmd(0, "x", env=["NOEQ"])], "cannot parse step environment variable NOEQ", "steps[0].env"),
        (
            [cmd(0, "x", volume_mounts=[VolumeMountDef("nope", "/run/x")])],
            "does not correspond to a volume",
            "steps[0].volumeMounts[0].name",
        ),
        (
            [push(0, ["a"], volume_mounts=[VolumeMountDef("v", "/x")])],
            "invalid use of Mounts",
            "steps[0].volumeMounts",
        ),
    ],
)
def test_definition_errors_point_at_the_step(steps: list[StepDef], needle: str, path: str) -> None:
    definition = task(*steps, env=["T=1"], volumes=[VolumeDef("v", {"f": "eA=="})])
    with pytest.raises(DefinitionError) as info:
        compile_plan(definition, run_id="r")
    assert any(needle in p.message and p.path == path for p in info.value.problems), info.value.problems


def test_task_env_error_reported_once_with_position() -> None:
    definition = task(cmd(0, "a"), cmd(1, "b"), env=["A=x,y"], positions={"env": (3, 5)})
    with pytest.raises(DefinitionError) as info:
        compile_plan(definition, run_id="r")
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.path) == (3, 5, "env")
    assert "cannot parse task environment variable y correctly" in problem.message


def test_all_problems_collected() -> None:
    with pytest.raises(DefinitionError) as info:
        compile_plan(task(cmd(0, "x 'a"), build(1, "--nope")), run_id="r")
    assert [p.path for p in info.value.problems] == ["steps[0].cmd", "steps[1].build"]


def test_buildkit_opt_in() -> None:
    plan = compile_plan(
        task(
            build(0, ".", env=["DOCKER_BUILDKIT=1"]),
            build(1, ".", env=["DOCKER_BUILDKIT=true"]),
            build(2, "."),
            build(3, ".", env=["DOCKER_BUILDKIT=0"]),
            env=["X=1"],
        ),
        run_id="r",
    )
    assert [s.env for s in plan.steps] == [
        ["DOCKER_BUILDKIT=1", "X=1"],
        ["DOCKER_BUILDKIT=true", "X=1", "DOCKER_BUILDKIT=0"],
        ["X=1", "DOCKER_BUILDKIT=0"],
        ["DOCKER_BUILDKIT=0", "X=1"],
    ]
    # Task-level opt-in reaches the step through the merge, as in ACR.
    plan = compile_plan(task(build(0, "."), env=["DOCKER_BUILDKIT=1"]), run_id="r")
    assert plan.steps[0].env == ["DOCKER_BUILDKIT=1"]


def test_networks_declared() -> None:
    nets = [
        NetworkDef("a", is_default=True),
        NetworkDef("b", driver="overlay"),
        NetworkDef("c", is_default=True, skip_creation=True),
    ]
    plan = compile_plan(task(cmd(0, "x"), cmd(1, "y", network="host"), networks=nets), run_id="r")
    assert plan.default_network == "c"
    assert [n.name for n in plan.networks] == ["a", "b", "c"]
    assert plan.networks[1].driver == "overlay" and plan.networks[0].driver == ""
    assert [s.network for s in plan.steps] == ["c", "host"]
    plan = compile_plan(task(cmd(0, "x"), networks=[NetworkDef("only")]), run_id="r")
    assert plan.default_network is None and plan.steps[0].network is None


def test_default_network_name_override() -> None:
    plan = compile_plan(task(cmd(0, "x")), run_id="r", default_network_name="custom")
    assert plan.default_network == "custom" and plan.steps[0].network == "custom"


def test_per_type_fields() -> None:
    plan = compile_plan(
        task(
            cmd(
                0,
                "img a",
                entry_point="sh",
                pull=True,
                cmd_download_retries=2,
                ports=["80:80"],
                keep=True,
                retries=2,
                repeat=1,
                retry_on_errors=["boom"],
                user="root",
                cpus="2",
                isolation="default",
            ),
            build(1, "-t x .", entry_point="ignored", pull=True, cache="Enabled", privileged=True),
            push(2, ["x", "x:latest"], retries=3, repeat=2, env=["A=1"], detach=True, ignore_errors=True),
        ),
        run_id="r",
    )
    c, b, p = plan.steps
    assert (c.type, c.image, c.args, c.entry_point, c.pull, c.cmd_download_retries) == (
        StepType.CMD,
        "img",
        ["a"],
        "sh",
        True,
        2,
    )
    assert (c.ports, c.keep, c.retries, c.repeat, c.retry_on_errors, c.user, c.cpus) == (
        ["80:80"],
        True,
        2,
        1,
        ["boom"],
        "root",
        "2",
    )
    assert b.entry_point is None and b.pull is False and b.privileged is True
    assert b.build is not None and b.build.cache == "enabled"
    assert (p.images, p.retries, p.repeat, p.env, p.detach, p.ignore_errors) == (
        ["x:latest"],
        0,
        0,
        [],
        False,
        True,
    )


def test_volumes_and_mounts_copied() -> None:
    plan = compile_plan(
        task(
            cmd(0, "x", volume_mounts=[VolumeMountDef("secrets", "/run/secrets")]),
            volumes=[VolumeDef("secrets", {"b.txt": "Yg==", "a.txt": "YQ=="})],
        ),
        run_id="r",
    )
    assert plan.volumes[0].name == "secrets" and plan.volumes[0].secret == {"b.txt": "Yg==", "a.txt": "YQ=="}
    assert plan.steps[0].volume_mounts[0].mount_path == "/run/secrets"
    assert '"a.txt": "***"' in plan_to_json(plan)


def test_deterministic() -> None:
    definition = task(build(0, "-t a --label z=1 --label a=2 ."), cmd(1, "x"), env=["B=2,A=1"])
    first = plan_to_json(compile_plan(definition, run_id="r"), redact=False)
    assert all(plan_to_json(compile_plan(definition, run_id="r"), redact=False) == first for _ in range(3))


def test_no_steps() -> None:
    plan = compile_plan(task(), run_id="r")
    assert plan.steps == [] and plan.default_network == "tasks-engine-r"


def test_problems_carry_the_filename() -> None:
    with pytest.raises(DefinitionError) as info:
        compile_plan(task(cmd(0, "x 'a")), run_id="r", filename="acr-task.yaml")
    assert info.value.problems[0].file == "acr-task.yaml"
    assert str(info.value).startswith("acr-task.yaml: error: step acb_step_0: cannot split cmd")


# --- property: any definition compiles or fails with DefinitionError, deterministically -----------------

_text = st.text(max_size=12)
_opt_int = st.one_of(st.none(), st.integers(min_value=-5, max_value=5))
_opt_list = st.one_of(st.none(), st.lists(_text, max_size=3))


@st.composite
def _step_defs(draw: st.DrawFn, index: int) -> StepDef:
    kind = draw(st.sampled_from(list(StepKind)))
    return StepDef(
        index=index,
        kind=kind,
        id=draw(st.one_of(st.none(), st.sampled_from(["a", "b", "acb_step_1", "acb_root", "x y", ""]))),
        cmd=draw(st.one_of(st.none(), _text)) if kind is StepKind.CMD else draw(st.sampled_from([None, "x"])),
        build=draw(st.one_of(st.none(), _text)) if kind is StepKind.BUILD else None,
        push=draw(_opt_list) if kind is StepKind.PUSH else None,
        when=draw(
            st.one_of(st.none(), st.lists(st.sampled_from(["-", "a", "b", "acb_step_0", ""]), max_size=3))
        ),
        env=draw(_opt_list),
        working_directory=draw(st.one_of(st.none(), _text)),
        timeout=draw(_opt_int),
        retries=draw(_opt_int),
        repeat=draw(_opt_int),
        retry_delay=draw(_opt_int),
        cache=draw(st.sampled_from([None, "", "enabled", "DISABLED", "maybe"])),
        volume_mounts=draw(
            st.one_of(st.none(), st.lists(st.builds(VolumeMountDef, st.sampled_from(["v", "w", ""]), _text)))
        ),
    )


@st.composite
def _definitions(draw: st.DrawFn) -> TaskDefinition:
    count = draw(st.integers(min_value=0, max_value=5))
    return TaskDefinition(
        steps=[draw(_step_defs(i)) for i in range(count)],
        env=draw(st.lists(_text, max_size=2)),
        step_timeout=draw(st.integers(min_value=-2, max_value=900)),
        volumes=[VolumeDef("v", {"f": "eA=="})],
        networks=draw(st.lists(st.builds(NetworkDef, _text, is_default=st.booleans()), max_size=2)),
    )


@settings(max_examples=100, deadline=None)
@given(_definitions())
def test_random_definitions_compile_or_fail_cleanly(definition: TaskDefinition) -> None:
    try:
        plan = compile_plan(definition, run_id="r")
    except DefinitionError as exc:
        assert exc.problems
        return
    assert plan_to_json(compile_plan(definition, run_id="r")) == plan_to_json(plan)
    ids = [s.id for s in plan.steps]
    assert len(set(ids)) == len(ids)
    for position, step in enumerate(plan.steps):
        assert all(dep in ids[:position] for dep in step.depends_on)
