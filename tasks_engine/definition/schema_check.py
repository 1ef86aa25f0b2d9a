"""JSON Schema validation of the decoded task (after yaml.v2 typing), as problems with paths.

The decoder already enforced the types; what the schema adds here are its remaining constraints (required
properties, patterns, minimums). The lint pass reports most of them again with ACR's exact wording, so
``load.py`` drops a schema problem when lint has one for the same place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from task_schemas import load_task_schema
from tasks_engine.definition.decode import child_path, index_path
from tasks_engine.errors import Problem, Severity


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_task_schema())


def task_schema() -> Mapping[str, Any]:
    """The schema the validator uses (shared, read-only)."""
    schema = _validator().schema
    assert isinstance(schema, Mapping)
    return schema


def _path(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path = index_path(path, part) if isinstance(part, int) else child_path(path, str(part))
    return path


def _message(error: ValidationError) -> str:
    name = str(error.absolute_path[-1]) if error.absolute_path else "task"
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f'missing required property "{missing}"'
    if validator == "pattern":
        return f"{name}: {error.instance!r} is not a valid value"
    if validator == "minimum":
        return f"{name} must be >= {error.validator_value}"
    if validator == "minProperties":
        return f"{name} must not be empty"
    if validator == "maxLength":
        return f"{name} must be at most {error.validator_value} character(s)"
    if validator == "propertyNames":
        return f"{name}: invalid key {error.instance!r}"
    return f"{name}: {error.message}"


def check_schema(instance: Any, locate: Callable[[str], tuple[int, int]]) -> list[Problem]:
    problems = []
    for error in _validator().iter_errors(instance):
        path = _path(error)
        line, column = locate(path)
        # ACR never decodes the alias block into the task (the alias preprocessor reads it, or it is ignored
        # before v1.1.0), so a problem in it cannot make the task invalid here.
        severity = Severity.WARNING if path == "alias" or path.startswith(("alias.", "alias[")) else Severity.ERROR
        problems.append(Problem(severity, _message(error), line, column, path))
    return problems
