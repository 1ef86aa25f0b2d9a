"""yaml.v2 typing rules (spec §1 stage 5, §8.14), checked through the public API."""

from __future__ import annotations

import pytest
from definition_helpers import by_path, errors, load, warnings

from tasks_engine.definition import StepDef, TaskDefinition, parse_definition
from tasks_engine.definition.yamlv2 import go_parse_int, resolve


def step0(text: str) -> StepDef:
    definition, _ = parse_definition(text)
    return definition.steps[0]


def task(text: str) -> TaskDefinition:
    definition, _ = parse_definition(text)
    return definition


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("123", "123"),
        ("1.0", "1.0"),
        ("yes", "yes"),
        ("true", "true"),
        ("0x1F", "0x1F"),
        ("2001-01-01", "2001-01-01"),
        ("'quoted'", "quoted"),
        ('"a:b"', "a:b"),
        ("~foo", "~foo"),
    ],
)
def test_scalars_keep_their_raw_text_in_string_fields(written: str, expected: str) -> None:
    step = step0(f"steps:\n  - id: {written}\n    cmd: {written}\n")
    assert step.id == expected
    assert step.cmd == expected


def test_block_scalar_into_cmd() -> None:
    assert step0("steps:\n  - cmd: |\n      bash -c\n      'echo hi'\n").cmd == "bash -c\n'echo hi'\n"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("yes", True),
        ("Yes", True),
        ("YES", True),
        ("y", True),
        ("on", True),
        ("true", True),
        ("True", True),
        ("no", False),
        ("N", False),
        ("off", False),
        ("FALSE", False),
    ],
)
def test_yaml11_booleans(written: str, expected: bool) -> None:
    assert step0(f"steps:\n  - cmd: x\n    keep: {written}\n").keep is expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("600", 600),
        ("-5", -5),
        ("+7", 7),
        ("0x3C", 60),
        ("0o17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("1e3", 1000),
        ("08", 8),
    ],
)
def test_integers(written: str, expected: int) -> None:
    assert step0(f"steps:\n  - cmd: x\n    timeout: {written}\n").timeout == expected


def test_float_into_int_is_truncated_with_a_warning() -> None:
    text = "steps:\n  - cmd: x\n    timeout: 1.9\n"
    assert step0(text).timeout == 1
    assert by_path(warnings(text)) == {
        "steps[0].timeout": ["1.9 is not a whole number; it is truncated to 1 (as ACR does)"]
    }


def test_quoted_number_into_int_is_an_error() -> None:
    problems = errors('steps:\n  - cmd: x\n    timeout: "600"\n')
    assert len(problems) == 1
    assert problems[0].message.startswith("cannot unmarshal !!str `600` into int")
    assert problems[0].path == "steps[0].timeout"


@pytest.mark.parametrize(
    ("field", "written", "message"),
    [
        ("retries", "true", "cannot unmarshal !!bool `true` into int"),
        ("retries", "abc", "cannot unmarshal !!str `abc` into int"),
        ("retries", "2001-01-01", "cannot unmarshal !!timestamp `2001-01-01` into int"),
        ("retries", "[1]", "cannot unmarshal !!seq into int"),
        ("retries", "9223372036854775808", "cannot unmarshal !!int `9223372...` into int"),
        ("retries", "99999999999999999999", "cannot unmarshal !!float `9999999...` into int"),
        ("retries", ".nan", "cannot unmarshal !!float `.nan` into int"),
        ("keep", "1", "cannot unmarshal !!int `1` into bool"),
        ("keep", "'yes'", "cannot unmarshal !!str `yes` into bool"),
        ("cmd", "[a, b]", "cannot unmarshal !!seq into string"),
        ("cmd", "{a: b}", "cannot unmarshal !!map into string"),
        ("when", "abc", "cannot unmarshal !!str `abc` into []string"),
        ("volumeMounts", "[x]", "cannot unmarshal !!str `x` into volume.Mount"),
        ("exitedWith", "[a]", "cannot unmarshal !!str `a` into int"),
    ],
)
def test_type_errors_use_yaml_v2_wording(field: str, written: str, message: str) -> None:
    problems = errors(f"steps:\n  - cmd: x\n    {field}: {written}\n")
    assert any(p.message.startswith(message) for p in problems), [p.message for p in problems]


def test_long_values_are_abbreviated_like_yaml_v2() -> None:
    problems = errors("stepTimeout: abcdefghijklmnop\n")
    assert problems[0].message == "cannot unmarshal !!str `abcdefg...` into int"


def test_all_type_errors_are_collected() -> None:
    problems = errors('stepTimeout: "1"\nsteps:\n  - cmd: x\n    keep: 3\n    timeout: no\n  - cmd: [y]\n')
    assert {p.path for p in problems} == {"stepTimeout", "steps[0].keep", "steps[0].timeout", "steps[1].cmd"}


def test_version_float_becomes_the_string_1_0_and_is_invalid() -> None:
    problems = errors("version: 1.0\n")
    assert [p.message for p in problems] == ['invalid version specified: "1.0", the current version is "v1.0.0"']


def test_null_values_mean_absent() -> None:
    step = step0("steps:\n  - cmd: x\n    timeout:\n    keep: ~\n    env: null\n    id:\n")
    assert step.timeout is None and step.keep is None and step.env is None and step.id is None
    assert step.effective_id == "acb_step_0"


def test_null_list_element_becomes_the_zero_value() -> None:
    problems = errors("steps:\n  - id: a\n    cmd: x\n  - cmd: y\n    when: [~]\n")
    assert [p.message for p in problems] == ["an entry of when is empty (from cannot be empty)"]


def test_null_step_is_a_step_without_type() -> None:
    assert [p.message for p in errors("steps:\n  -\n  - cmd: x\n")] == [
        "step is missing a cmd, build, or push property"
    ]


def test_duplicate_keys_last_wins_with_warning() -> None:
    text = "steps:\n  - cmd: first\n    cmd: second\n"
    assert step0(text).cmd == "second"
    found = warnings(text)
    assert len(found) == 1
    assert found[0].message.startswith('duplicate key "cmd"')
    assert (found[0].line, found[0].column, found[0].path) == (3, 5, "steps[0].cmd")


def test_merge_keys_and_anchors() -> None:
    text = (
        "base: &base\n  timeout: 30\n  keep: true\n"
        "steps:\n  - <<: *base\n    cmd: x\n    keep: false\n  - cmd: y\n    <<: [*base]\n"
    )
    definition = task(text)
    assert (definition.steps[0].timeout, definition.steps[0].keep) == (30, False)
    assert (definition.steps[1].timeout, definition.steps[1].keep) == (30, True)


def test_bad_merge_value_is_an_error() -> None:
    assert [p.message for p in errors("steps:\n  - <<: 3\n    cmd: x\n")] == [
        "map merge requires map or sequence of maps as the value"
    ]


def test_explicit_tags() -> None:
    assert step0("steps:\n  - cmd: x\n    timeout: !!int 5\n").timeout == 5
    problems = errors("steps:\n  - cmd: x\n    timeout: !!str 5\n")
    assert problems[0].message.startswith("cannot unmarshal !!str `5` into int")
    assert errors("steps:\n  - cmd: x\n    timeout: !!int abc\n")[0].message == "cannot decode !!str `abc` as a !!int"


def test_task_level_values() -> None:
    definition = task(
        "version: v1.1.0\nstepTimeout: 100\ntotalTimeout: 7200\nworkingDirectory: /src\nenv: [A=1]\n"
        "networks:\n  - name: n\n    ipv6: yes\n    isDefault: true\n"
        "secrets:\n  - id: s\n    keyvault: https://v.vault.azure.net/secrets/x\n"
        "volumes:\n  - name: v\n    secret:\n      f: YQ==\n"
        "steps:\n  - cmd: x\n    volumeMounts:\n      - name: v\n        mountPath: /m\n"
    )
    assert definition.version == "v1.1.0"
    assert (definition.step_timeout, definition.total_timeout, definition.effective_total_timeout) == (100, 7200, 7200)
    assert definition.working_directory == "/src"
    assert definition.env == ["A=1"]
    assert definition.networks[0].ipv6 and definition.networks[0].is_default
    assert definition.secrets[0].keyvault == "https://v.vault.azure.net/secrets/x"
    assert definition.volumes[0].secret == {"f": "YQ=="}
    assert definition.steps[0].volume_mounts is not None
    assert definition.steps[0].volume_mounts[0].mount_path == "/m"


def test_defaults_when_absent() -> None:
    definition = task("steps:\n  - cmd: x\n")
    assert (definition.version, definition.effective_version) == ("", "v1.0.0")
    assert (definition.step_timeout, definition.effective_step_timeout) == (0, 600)
    assert (definition.total_timeout, definition.effective_total_timeout) == (None, 3600)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("-12", -12),
        ("0x10", 16),
        ("0o10", 8),
        ("010", 8),
        ("0b11", 3),
        ("09", None),
        ("0x", None),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", None),
        ("", None),
        ("-", None),
    ],
)
def test_go_parse_int(text: str, expected: int | None) -> None:
    assert go_parse_int(text) == expected


def test_resolve_table() -> None:
    assert resolve("", "~") == ("!!null", None)
    assert resolve("", "-") == ("!!str", "-")
    assert resolve("", ".5") == ("!!float", 0.5)
    assert resolve("", "1e400") == ("!!str", "1e400")
    assert resolve("", "18446744073709551615") == ("!!int", 18446744073709551615)


def test_unknown_step_secret_is_not_decoded_but_warned() -> None:
    text = "steps:\n  - cmd: x\n    secret: {id: 1, nested: [1, 2]}\n"
    assert load(text).ok
    assert [p.path for p in warnings(text)] == ["steps[0].secret"]
