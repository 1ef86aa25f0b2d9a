"""The shipped examples: every valid one passes, every invalid one fails where its header says."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from task_schemas import TASK_SCHEMA_FILE, load_task_schema
from tasks_engine.definition import load_definition
from tasks_engine.errors import Severity

EXAMPLES = Path(__file__).resolve().parents[2] / "task_schemas" / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.yaml"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))


def _expectations(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        if line.startswith("# expect:"):
            path, _, message = line[len("# expect:") :].partition("|")
            out.append((path.strip(), message.strip()))
    return out


def test_there_are_examples() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 15


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_has_no_problem(path: Path) -> None:
    result = load_definition(path.read_text(encoding="utf-8"), filename=path.name)
    assert result.problems == []
    assert result.definition is not None


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_fails_at_expected_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = _expectations(text)
    assert expected, f"{path.name} has no '# expect: path | message' header"
    result = load_definition(text, filename=path.name)
    assert result.definition is None
    found = [(p.path, p.message) for p in result.problems if p.severity is Severity.ERROR]
    for want_path, want_message in expected:
        assert any(got_path == want_path and want_message in message for got_path, message in found), (
            f"expected {want_path!r}: {want_message!r} in {found}"
        )
    assert all(p.file == path.name and p.line > 0 for p in result.problems)


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_task_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_loader_returns_a_fresh_copy() -> None:
    first = load_task_schema()
    first["title"] = "changed"
    assert load_task_schema()["title"] != "changed"
    on_disk = json.loads((EXAMPLES.parent / TASK_SCHEMA_FILE).read_text(encoding="utf-8"))
    assert load_task_schema() == on_disk


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_validate_as_an_editor_sees_them(path: Path) -> None:
    """An editor loads the YAML with ordinary YAML 1.1 typing; the schema must accept what ACR accepts."""
    instance = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(load_task_schema()).iter_errors(instance))
    assert errors == []


def test_unknown_keys_are_not_schema_errors() -> None:
    instance = {"totalTimout": 5, "steps": [{"cmd": "x", "entrypoint": "sh"}], "secrets": [{"id": "a", "x": 1}]}
    assert list(jsonschema.Draft202012Validator(load_task_schema()).iter_errors(instance)) == []


def test_schema_describes_every_property() -> None:
    schema = load_task_schema()
    objects = [schema, *schema["$defs"].values()]
    for obj in objects:
        for name, prop in obj.get("properties", {}).items():
            assert prop.get("description") or "$ref" in prop, name
    step = schema["$defs"]["step"]["properties"]
    for key in (
        "id",
        "cmd",
        "build",
        "push",
        "when",
        "entryPoint",
        "cache",
        "retryOnErrors",
        "volumeMounts",
        "cmdDownloadRetries",
        "cmdDownloadRetryDelay",
        "disableWorkingDirectoryOverride",
        "exitedWith",
    ):
        assert key in step
    for key in (
        "version",
        "stepTimeout",
        "totalTimeout",
        "workingDirectory",
        "env",
        "secrets",
        "networks",
        "volumes",
        "alias",
        "steps",
    ):
        assert key in schema["properties"]
    assert "600" in step["timeout"]["description"]
    assert "3600" in schema["properties"]["totalTimeout"]["description"]
