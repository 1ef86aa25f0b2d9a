"""acr-builder's graph tests (Azure/acr-builder ``graph/step_test.go`` TestValidate, ``task_test.go``
TestMergeEnvs / TestNewTaskFromString / TestValidateTaskVersion, MIT licence) as whole task files: what ACR
rejects is rejected here with ACR's message, what it accepts compiles.
"""

from __future__ import annotations

import pytest
from conformance_helpers import FIXED_NOW, make_run

from tasks_engine.compiler import CompileInputs, compile_task
from tasks_engine.definition import load_definition
from tasks_engine.errors import Severity


def error_messages(text: str) -> list[str]:
    return [p.message for p in load_definition(text).problems if p.severity is Severity.ERROR]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("id: a", "step is missing a cmd, build, or push property"),
        ("id: foo bar\n    cmd: b", "step ID cannot contain spaces"),
        ('id: a\n    cmd: b\n    when: ["a"]', "Step ID: a is self-referenced"),
        (
            'id: a\n    cmd: b\n    when: ["-", "c"]',
            "step cannot contain other IDs in when if the immediate execution token is specified",
        ),
        ('id: a\n    cmd: b\n    push: ["a"]', "step must only contain a single build, cmd, or push property"),
        ("id: a\n    cmd: b\n    build: f", "step must only contain a single build, cmd, or push property"),
        (
            'id: apple\n    build: banana\n    push: ["d"]',
            "step must only contain a single build, cmd, or push property",
        ),
        ("id: repeat\n    build: b\n    repeat: -1", "step must specify repeat >= 0"),
        ("id: retries\n    build: b\n    retries: -1", "step must specify retries >= 0"),
    ],
)
def test_step_validate_errors(step: str, message: str) -> None:
    assert message in error_messages(f"steps:\n  - {step}\n")


@pytest.mark.parametrize("step", ["id: a\n    cmd: b", 'id: a\n    push: ["b"]', "id: a\n    build: b"])
def test_step_validate_ok(step: str) -> None:
    assert error_messages(f"steps:\n  - {step}\n") == []


def plan_env(task_env: list[str], step_env: list[str]) -> list[str]:
    text = f"env: {task_env!r}\nsteps:\n  - cmd: a\n    env: {step_env!r}\n".replace("'", '"')
    inputs = CompileInputs(text=text, filename="acb.yaml", run=make_run())
    return compile_task(inputs, now=lambda: FIXED_NOW, new_uuid=lambda: "u").plan.steps[0].env


@pytest.mark.parametrize(
    ("task_env", "step_env", "expected"),
    [
        (["key1=val1", "key2=val2", "key3=val3"], [], ["key1=val1", "key2=val2", "key3=val3"]),
        (
            ["key1=val1", "key2=val2", "key3=val3"],
            ["key1=newVal1", "key2=newVal2"],
            ["key1=newVal1", "key2=newVal2", "key3=val3"],
        ),
        (
            ["key1=val1,key2=val2,key3=val3"],
            ["key1=newVal1", "key2=newVal2", "key3=newVal3="],
            ["key1=newVal1", "key2=newVal2", "key3=newVal3="],
        ),
        (["key1=val1,key2=val2,key3=val3"], [], ["key1=val1", "key2=val2", "key3=val3"]),
        (
            ["key1=val1,key2=val2", "key3=val3,key4=val4"],
            ["key1=newVal1", "key2=newVal2", "key3=newVal3="],
            ["key1=newVal1", "key2=newVal2", "key3=newVal3=", "key4=val4"],
        ),
        ([], [], []),
        ([], ["key=val1"], ["key=val1"]),
    ],
)
def test_merge_envs(task_env: list[str], step_env: list[str], expected: list[str]) -> None:
    """TestMergeEnvs: the step's keys win, task entries are split on commas."""
    assert plan_env(task_env, step_env) == expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        (
            "secrets:\n  - id: mysecret\n    keyvault: https://myvault.vault.azure.net/secrets/mysecret\n"
            "  - id: mysecret1\n    keyvault: https://myvault.vault.azure.net/secrets/mysecret1\n"
            "    clientID: c72b2df0-b9d8-4ac6-9363-7c1eb06c1c86\n",
            True,
        ),
        ("secrets:\n  - id: MYSecret1\n  - id: mysecret1\n    clientID: c72b2df0-b9d8-4ac6-9363-7c1eb06c1c86\n", False),
        ("secrets:\n", True),
        ("", True),
        (
            "secrets:\n  - id: mysecret1\n    keyvault: https://v.vault.azure.net/secrets/a\n"
            "  - id: mysecret1\n    keyvault: https://v.vault.azure.net/secrets/b\n",
            False,
        ),
        ("steps:\n  - id: mystep\n    cmd: bash echo hello world\n", True),
        ("steps:\n  - cmd: bash echo hello world\n", True),
    ],
)
def test_new_task_from_string(text: str, ok: bool) -> None:
    assert (error_messages(text) == []) is ok


@pytest.mark.parametrize(
    ("version", "ok"),
    [("1.0-preview-1", True), ("v1.0.0", True), ("v1.1.0", True), ("V1.1.0", True), ("v1.0.0-alpha", False),
     ("foo", False), ("v2", False), ("1.0", False)],
)  # fmt: skip
def test_validate_task_version(version: str, ok: bool) -> None:
    assert (error_messages(f"version: {version}\nsteps:\n  - cmd: a\n") == []) is ok
