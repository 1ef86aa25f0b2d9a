"""Shared helpers for the definition tests."""

from __future__ import annotations

from tasks_engine.definition import DefinitionResult, load_definition
from tasks_engine.errors import Problem, Severity


def load(text: str, **kwargs: object) -> DefinitionResult:
    return load_definition(text, **kwargs)  # type: ignore[arg-type]


def errors(text: str, **kwargs: object) -> list[Problem]:
    return [p for p in load(text, **kwargs).problems if p.severity is Severity.ERROR]


def warnings(text: str, **kwargs: object) -> list[Problem]:
    return [p for p in load(text, **kwargs).problems if p.severity is Severity.WARNING]


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def by_path(problems: list[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(problem.path, []).append(problem.message)
    return out
