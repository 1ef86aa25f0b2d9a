"""Unknown keys: warnings with 'did you mean' suggestions; ``strict`` makes them errors."""

from __future__ import annotations

import pytest
from definition_helpers import by_path, load

from tasks_engine.definition import DefinitionError, parse_definition
from tasks_engine.definition.suggest import suggest
from tasks_engine.errors import Severity


def test_wrong_case_and_typos_are_suggested() -> None:
    text = "totalTimout: 10\nsteps:\n  - cmd: x\n    entrypoint: sh\n    retrys: 2\n    workingdir: /a\n"
    result = load(text)
    assert result.ok
    assert by_path(result.warnings) == {
        "totalTimout": ['unknown property "totalTimout"; did you mean "totalTimeout"?'],
        "steps[0].entrypoint": ['unknown property "entrypoint"; did you mean "entryPoint"?'],
        "steps[0].retrys": ['unknown property "retrys"; did you mean "retries"?'],
        "steps[0].workingdir": ['unknown property "workingdir"; did you mean "workingDirectory"?'],
    }
    assert result.definition is not None
    assert result.definition.unknown_keys == ["totalTimout"]
    assert result.definition.steps[0].unknown_keys == ["entrypoint", "retrys", "workingdir"]
    assert result.definition.steps[0].entry_point is None  # ignored, as in ACR


def test_misplaced_keys_get_a_hint() -> None:
    result = load("cmd: x\nsteps:\n  - cmd: x\n    stepTimeout: 5\n")
    assert by_path(result.warnings) == {
        "cmd": ['unknown property "cmd"; "cmd" is a step property: put it in an entry of "steps"'],
        "steps[0].stepTimeout": [
            'unknown property "stepTimeout"; "stepTimeout" is a task-level property: put it at the top of the file'
        ],
    }


def test_unknown_keys_in_nested_objects() -> None:
    text = (
        "secrets:\n  - id: s\n    keyvault: https://v.vault.azure.net/secrets/a\n    clientId: x\n"
        "networks:\n  - name: n\n    default: true\n"
        "volumes:\n  - name: v\n    secret: {a: YQ==}\n    secrets: {}\n"
        "steps:\n  - cmd: x\n    volumeMounts:\n      - name: v\n        mountpath: /a\n        mountPath: /b\n"
    )
    assert by_path(load(text).warnings) == {
        "secrets[0].clientId": ['unknown property "clientId"; did you mean "clientID"?'],
        "networks[0].default": ['unknown property "default"; did you mean "isDefault"?'],
        "volumes[0].secrets": ['unknown property "secrets"; did you mean "secret"?'],
        "steps[0].volumeMounts[0].mountpath": ['unknown property "mountpath"; did you mean "mountPath"?'],
    }


def test_no_suggestion_for_unrelated_keys() -> None:
    assert [p.message for p in load("flavour: vanilla\n").warnings] == ['unknown property "flavour"']


def test_strict_turns_warnings_into_errors() -> None:
    text = "steps:\n  - cmd: x\n    entrypoint: sh\n    exitedWith: [1]\n"
    result = load(text, strict=True)
    assert result.definition is None
    assert {p.severity for p in result.problems} == {Severity.ERROR}
    assert len(result.problems) == 2
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, strict=True)
    assert len(caught.value.problems) == 2
    definition, warnings = parse_definition(text)
    assert definition.steps[0].cmd == "x"
    assert len(warnings) == 2


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("entrypoint", "entryPoint"),
        ("totalTimout", "totalTimeout"),
        ("STEPS", "steps"),
        ("retry_delay", "retryDelay"),
        ("zzz", None),
    ],
)
def test_suggest(key: str, expected: str | None) -> None:
    known = ["entryPoint", "totalTimeout", "steps", "retryDelay", "retries", "timeout"]
    assert suggest(key, known) == expected
