"""Golden plans: ``tests/golden/plan/NAME.yaml`` -> ``NAME.plan.json``.

Each YAML file is an already rendered task file (templating and alias substitution done), parsed by the
definition layer and compiled with run id ``run1`` and registry ``registry.local:5000``. Files whose version
turns aliases on (``>= "v1.1.0"``, a plain string compare as in ACR) get the built-in command aliases.
Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/plan/test_plan_golden.py`` and
review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tasks_engine.plan.compile import compile_plan
from tasks_engine.plan.critical_path import format_plan_table
from tasks_engine.plan.model import RunPlan
from tasks_engine.plan.serialize import plan_to_json

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "plan"
CASES = sorted(p.stem for p in GOLDEN_DIR.glob("*.yaml"))
BUILTIN_COMMAND_ALIASES = {
    "acr": "mcr.microsoft.com/acr/acr-cli:0.19",
    "az": "mcr.microsoft.com/acr/azure-cli:2ff604c",
    "bash": "mcr.microsoft.com/acr/bash:2ff604c",
    "curl": "mcr.microsoft.com/acr/curl:2ff604c",
    "cssc": "mcr.microsoft.com/acr/cssc:2ff604c",
}


def compile_golden(name: str) -> RunPlan:
    parse_definition = pytest.importorskip("tasks_engine.definition").__dict__.get("parse_definition")
    if parse_definition is None:
        pytest.skip("the definition layer has no parse_definition yet")
    path = GOLDEN_DIR / f"{name}.yaml"
    definition, _warnings = parse_definition(path.read_text(encoding="utf-8"), filename=path.name)
    aliases = BUILTIN_COMMAND_ALIASES if definition.effective_version >= "v1.1.0" else {}
    return compile_plan(definition, run_id="run1", registry="registry.local:5000", command_aliases=aliases)


@pytest.mark.parametrize("name", CASES)
def test_golden_plan(name: str) -> None:
    actual = plan_to_json(compile_golden(name)) + "\n"
    expected_path = GOLDEN_DIR / f"{name}.plan.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.name}; run with UPDATE_GOLDEN=1"
    assert actual == expected_path.read_text(encoding="utf-8")


def test_acb_yaml_expectations() -> None:
    """acr-builder's TestDagCreation_ValidFile assertions, restated on our plan (spec §7)."""
    plan = compile_golden("acb")
    deps = {s.id: s.depends_on for s in plan.steps}
    assert deps == {
        "puller": [],
        "build-qux": [],
        "C": [],
        "build-bar": [],
        "B": ["C"],
        "build-foo": ["build-qux"],
        "build-qaz": ["build-foo"],
    }
    puller = plan.step("puller")
    assert puller.env == ["eric=foo", "foo=bar"]
    assert (puller.timeout, puller.retries, puller.retry_delay, puller.pull) == (600, 5, 90, True)
    assert puller.entry_point == "someEntryPoint"
    assert puller.working_directory == "/workspace/pullDir"
    assert plan.step("build-qux").retry_delay == 5
    assert plan.step("build-bar").env == ["foo=taskEnv"]
    assert plan.step("B").working_directory is None and plan.step("B").ignore_errors
    assert {s.id: s.network for s in plan.steps} == {
        **{s.id: "tasks-engine-run1" for s in plan.steps},
        "build-qaz": "host",
    }
    qaz = plan.step("build-qaz")
    assert qaz.build is not None and qaz.build.context == "https://github.com/ehotinger/qaz"
    assert qaz.build.cache_from == ["ubuntu"] and qaz.repeat == 2 and qaz.user == "root"


def test_spec_worked_example_table() -> None:
    table = format_plan_table(compile_golden("spec_worked_example"))
    assert "mcr.microsoft.com/acr/bash:2ff604c echo $HOME myreg" in table
    assert table.splitlines()[-1].startswith("critical path: build -> acb_step_2 -> acb_step_3")


def test_spec_worked_example_through_the_whole_pipeline() -> None:
    """The raw §12 file (aliases, templates) through render -> definition -> plan gives the golden's steps."""
    compiler = pytest.importorskip("tasks_engine.compiler")
    rundata = pytest.importorskip("tasks_engine.templating.rundata")
    text = "\n".join(
        [
            "version: v1.1.0",
            "alias:",
            "  values:",
            "    repo: web",
            'env: ["A=1"]',
            "steps:",
            "  - id: build",
            "    build: -t $Registry/$repo:$ID -f Dockerfile .",
            "  - id: test",
            "    cmd: $Registry/$repo:$ID",
            '    env: ["A=2", "B=3"]',
            "    detach: true",
            '  - cmd: bash echo "$$HOME {{.Run.RegistryName}}"',
            '    when: ["build"]',
            '  - push: ["$Registry/$repo:$ID"]',
            "",
        ]
    )
    inputs = compiler.CompileInputs(
        text=text, filename="t.yaml", run=rundata.RunInfo(id="ab1", registry="myreg.azurecr.io")
    )
    plan = compiler.compile_task(inputs).plan
    actual = plan_to_json(plan).replace("tasks-engine-ab1", "tasks-engine-run1")
    golden = (GOLDEN_DIR / "spec_worked_example.plan.json").read_text(encoding="utf-8")
    assert json.loads(actual)["steps"] == json.loads(golden)["steps"]
