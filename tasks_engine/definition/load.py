"""The definition pipeline: rendered YAML -> nodes -> yaml.v2 typing -> schema -> lint -> TaskDefinition.

Every stage collects problems instead of raising, so one call reports everything wrong with a file. Positions
are found in the text that was parsed (the rendered task) and mapped back to the user's file through the
caller's ``locate`` function, because templating can move lines around.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tasks_engine.definition.build import build_definition
from tasks_engine.definition.decode import Decoded, decode_task
from tasks_engine.definition.lint import Reporter, lint_task
from tasks_engine.definition.model import TaskDefinition
from tasks_engine.definition.schema_check import check_schema, task_schema
from tasks_engine.definition.suggest import unknown_key_problem
from tasks_engine.definition.yamlpos import MappingNode, ScalarNode, compose, position
from tasks_engine.definition.yamlv2 import ResolveFailure, resolve_node
from tasks_engine.errors import DefinitionError, Problem, Severity

#: Maps a 1-based (line, column) of the rendered text to the user's file: (line, column, exact).
Locate = Callable[[int, int], tuple[int, int, bool]]

APPROXIMATE_NOTE = " (position approximate: the line was produced by templating)"


@dataclass(frozen=True)
class DefinitionResult:
    """``definition`` is ``None`` as soon as one problem is an error."""

    definition: TaskDefinition | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return self.definition is not None


def _related(a: str, b: str) -> bool:
    """Same place, or one path inside the other (``secrets[0]`` and ``secrets[0].id``)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short) and long[len(short)] in ".[" if short else False


def _drop_covered(schema_problems: Iterable[Problem], lint_problems: list[Problem]) -> list[Problem]:
    lint_error_paths = [p.path for p in lint_problems if p.severity is Severity.ERROR]
    return [s for s in schema_problems if not any(_related(s.path, path) for path in lint_error_paths)]


def _is_null_root(root: object) -> bool:
    if not isinstance(root, ScalarNode):
        return False
    try:
        return resolve_node(root).is_null
    except ResolveFailure:
        return False


def _analyse(text: str, *, strict: bool) -> tuple[list[Problem], Decoded | None]:
    composed = compose(text)
    problems = list(composed.problems)
    root = composed.root
    if any(p.severity is Severity.ERROR for p in problems):
        return problems, None
    if root is not None and not isinstance(root, MappingNode) and not _is_null_root(root):
        kind = "a list" if not isinstance(root, ScalarNode) else f"the value {root.value[:40]!r}"
        line, column = position(root)
        problems.append(
            Problem(
                Severity.ERROR,
                f"the task file must be a YAML mapping (version, steps, ...) at the top level, found {kind}",
                line,
                column,
            )
        )
        return problems, None
    decoded = decode_task(root if isinstance(root, MappingNode) else None, task_schema())
    problems.extend(decoded.problems)
    schema = task_schema()
    task_keys = tuple(schema["properties"])
    step_keys = tuple(schema["$defs"]["step"]["properties"])
    for unknown in decoded.unknown:
        problems.append(unknown_key_problem(unknown, task_keys=task_keys, step_keys=step_keys, strict=strict))
    reporter = Reporter(decoded.positions)
    lint_problems = lint_task(decoded.instance, decoded.positions, decoded.key_positions, failed=decoded.failed)
    problems.extend(_drop_covered(check_schema(decoded.instance, reporter.locate), lint_problems))
    problems.extend(lint_problems)
    return problems, decoded


def _relocate(problem: Problem, filename: str, locate: Locate | None) -> Problem:
    line, column, message = problem.line, problem.column, problem.message
    if locate is not None and line:
        line, column, exact = locate(line, column)
        if not exact:
            message += APPROXIMATE_NOTE
    return dataclasses.replace(problem, line=line, column=column, message=message, file=filename)


def load_definition(
    text: str, *, filename: str = "acb.yaml", strict: bool = False, locate: Locate | None = None
) -> DefinitionResult:
    """Validate a rendered task file; never raises for bad input.

    ``strict`` turns every warning (unknown keys, ignored properties, duplicate keys...) into an error.
    """
    problems, decoded = _analyse(text, strict=strict)
    if strict:
        problems = [dataclasses.replace(p, severity=Severity.ERROR) for p in problems]
    problems.sort(key=lambda p: (p.line == 0, p.line, p.column))
    problems = [_relocate(p, filename, locate) for p in problems]
    definition = None
    if decoded is not None and not any(p.severity is Severity.ERROR for p in problems):
        positions = decoded.positions
        if locate is not None:
            positions = {path: locate(line, col)[:2] for path, (line, col) in positions.items()}
        unknown: dict[str, list[str]] = {}
        for item in decoded.unknown:
            unknown.setdefault(item.parent_path, []).append(item.key)
        definition = build_definition(decoded.instance, positions=positions, unknown=unknown)
    return DefinitionResult(definition, problems)


def parse_definition(
    text: str, *, filename: str = "acb.yaml", strict: bool = False, locate: Locate | None = None
) -> tuple[TaskDefinition, list[Problem]]:
    """Like ``load_definition`` but raises ``DefinitionError`` (with every problem) when there is an error."""
    result = load_definition(text, filename=filename, strict=strict, locate=locate)
    if result.definition is None:
        raise DefinitionError(result.problems)
    return result.definition, result.warnings


__all__ = ["APPROXIMATE_NOTE", "DefinitionResult", "Locate", "load_definition", "parse_definition"]
