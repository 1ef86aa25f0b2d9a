"""graph.FindVersion / validateTaskVersion ports (acr-builder graph/preprocessor_test.go TestFindVersion)."""

from __future__ import annotations

import pytest

from tasks_engine.errors import DefinitionError
from tasks_engine.templating.version import (
    aliases_enabled,
    find_version,
    go_quote,
    validate_version,
)

FIND_VERSION_CASES = [
    # --- the cases of acr-builder TestFindVersion that the stored snapshot shows ---
    ("", ""),
    (" # task.yml file\n# should be skipped\n\nversion  : v1.1.0    \n", "v1.1.0"),
    # every line is scanned since acr-builder #687 (the stored snapshot predates it and expected "")
    ("\nbuild: something\nversion: v1.1.0", "v1.1.0"),
    ("\nversionOfTask:v1.1.0", ""),
    ("       \nversion", ""),
    ("       \nversion:v1.1.0\n\t\t\t", "v1.1.0"),
    ("       \nversion:foo:bar:beta", "foo:bar:beta"),
    # --- quoting (acr-builder#607 "ignore quote when parsing version", Azure/acr#622) ---
    ('version: "v1.1.0"', "v1.1.0"),
    ("version: 'v1.1.0'", "v1.1.0"),
    ('"version": v1.1.0', "v1.1.0"),
    ("'version': v1.1.0", "v1.1.0"),
    ('"version": "v1.1.0"', "v1.1.0"),
    ("'version': 'v1.1.0'", "v1.1.0"),
    ('"version" : "v1.1.0"  ', "v1.1.0"),
    ("'version':v1.0.0", "v1.0.0"),
    ('"versions": v1.1.0', ""),
    ("'versionx': v1.1.0", ""),
    # --- the first version line anywhere wins; indentation does not count ---
    ("  version: v1.1.0", ""),
    ("\tversion: v1.1.0", ""),
    ("steps:\n  - cmd: x\nversion: v1.1.0\n", "v1.1.0"),
    ("{{ $x := 1 }}\nversion: v1.1.0\n", "v1.1.0"),
    ("steps:\n  version: v1.1.0\n", ""),
    ("# c\n   # c2\n\n\nversion: v1.1.0\nsteps: []\n", "v1.1.0"),
    ("version: v1.1.0\r\nsteps: []\r\n", "v1.1.0"),
    ("version:", ""),
    ("version:    ", ""),
    ("version: V1.1.0", "V1.1.0"),
    ("version: 1.0-preview-1", "1.0-preview-1"),
    ("version: v1.1.0 # trailing comment", "v1.1.0 # trailing comment"),
    ("Version: v1.1.0", ""),
    ("version : 'v1.1.0'\nversion: v1.0.0", "v1.1.0"),
]


@pytest.mark.parametrize(("text", "expected"), FIND_VERSION_CASES)
def test_find_version(text: str, expected: str) -> None:
    assert find_version(text) == expected


@pytest.mark.parametrize(
    ("version", "enabled"),
    [
        ("v1.1.0", True),
        ("v1.2.0", True),
        ("v2", True),
        ("v1.0.0", False),
        ("V1.1.0", False),  # plain string compare: "V" < "v"
        ("1.0-preview-1", False),
        ("", False),
        ("v1.1", False),
        ("v1.1.0 # trailing comment", True),
    ],
)
def test_aliases_enabled_is_a_string_comparison(version: str, enabled: bool) -> None:
    assert aliases_enabled(version) is enabled


@pytest.mark.parametrize(
    "version", ["v1.0.0", "V1.0.0", "v1.1.0", "V1.1.0", "1.0-preview-1", "1.0-PREVIEW-1"]
)
def test_validate_version_accepts_case_insensitively(version: str) -> None:
    assert validate_version(version) == version


def test_validate_version_defaults_to_v1_0_0() -> None:
    assert validate_version("") == "v1.0.0"


@pytest.mark.parametrize(("version", "shown"), [("v2", '"v2"'), ("1.0", '"1.0"'), ('a"b', '"a\\"b"')])
def test_validate_version_rejects_with_acr_message(version: str, shown: str) -> None:
    with pytest.raises(DefinitionError) as info:
        validate_version(version, file="t.yaml", line=1, column=10)
    problem = info.value.problems[0]
    assert problem.message == f'invalid version specified: {shown}, the current version is "v1.0.0"'
    assert (problem.file, problem.line, problem.column, problem.path) == ("t.yaml", 1, 10, "version")


def test_go_quote_escapes_like_go() -> None:
    assert go_quote("a\tb\n\x01é") == '"a\\tb\\n\\x01é"'
