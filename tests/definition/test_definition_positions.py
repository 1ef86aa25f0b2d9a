"""Problems point at the offending node, in the user's file (through ``locate``)."""

from __future__ import annotations

from definition_helpers import errors, load

from tasks_engine.definition import APPROXIMATE_NOTE, load_definition

TEXT = """\
version: v1.0.0
steps:
  - id: a
    cmd: alpine true
  - id: b
    cmd: alpine true
  - id: c
    cmd: alpine true
    when:
        - nope
"""


def test_bad_when_is_reported_at_its_node() -> None:
    text = TEXT.replace("    when:\n        - nope\n", "    when:\n        - nope\n")
    lines = text.splitlines()
    assert lines[9].index("nope") == 10  # line 10, column 11 (1-based)
    found = errors(text)
    assert [(p.line, p.column, p.path) for p in found] == [(10, 11, "steps[2].when[0]")]


def test_bad_when_on_line_9_column_11() -> None:
    text = "steps:\n  - id: a\n    cmd: x\n  - id: b\n    cmd: y\n  - id: c\n    cmd: z\n    when:\n        - nope\n"
    assert text.splitlines()[8] == "        - nope"
    found = errors(text)
    assert [(p.line, p.column) for p in found] == [(9, 11)]
    assert found[0].file == "acb.yaml"


def test_filename_and_format() -> None:
    problem = load("version: v2\n", filename="ci/acr-task.yaml").problems[0]
    assert problem.file == "ci/acr-task.yaml"
    assert problem.format() == (
        'ci/acr-task.yaml:1:10: error: invalid version specified: "v2", the current version is "v1.0.0" (at version)'
    )


def test_missing_property_points_at_the_parent() -> None:
    found = errors("volumes:\n  - name: v\n")
    assert [(p.line, p.column, p.path) for p in found] == [(2, 5, "volumes[0]")]


def test_syntax_error_position_and_one_line_message() -> None:
    found = errors("steps:\n  - cmd: x\n    when: [a\n")
    assert len(found) == 1
    assert found[0].message.startswith("YAML syntax error: ")
    assert "\n" not in found[0].message
    assert found[0].line >= 3


def test_tab_indentation_is_a_syntax_error() -> None:
    found = errors("steps:\n\t- cmd: x\n")
    assert found[0].message.startswith("YAML syntax error: ")
    assert (found[0].line, found[0].column) == (2, 1)


def test_locate_maps_positions_and_marks_approximate_ones() -> None:
    calls: list[tuple[int, int]] = []

    def locate(line: int, column: int) -> tuple[int, int, bool]:
        calls.append((line, column))
        return line + 100, column + 1, line != 2

    result = load_definition("version: v2\nstepTimeout: x\n", filename="t.yaml", locate=locate)
    by_message = {p.path: p for p in result.problems}
    assert (by_message["version"].line, by_message["version"].column) == (101, 11)
    assert not by_message["version"].message.endswith(APPROXIMATE_NOTE)
    assert (by_message["stepTimeout"].line, by_message["stepTimeout"].column) == (102, 15)
    assert by_message["stepTimeout"].message.endswith(APPROXIMATE_NOTE)
    assert {(1, 10), (2, 14)} <= set(calls)


def test_definition_positions_use_the_users_file() -> None:
    def locate(line: int, column: int) -> tuple[int, int, bool]:
        return line + 1, column, True

    result = load_definition("steps:\n  - cmd: x\n    build_: 1\n", locate=locate)
    assert result.definition is not None
    assert result.definition.position("steps[0].cmd") == (3, 10)
    assert result.definition.position("steps[0].nothing") == (3, 5)
    assert result.definition.steps[0].line == 3
    assert result.problems[0].line == 4  # the unknown key, relocated


def test_problems_are_sorted_by_position() -> None:
    found = load("steps:\n  - cmd: x\n    retries: -1\nversion: v3\n").problems
    assert [p.line for p in found] == sorted(p.line for p in found)
