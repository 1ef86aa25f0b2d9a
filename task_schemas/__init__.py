"""JSON Schemas shipped with Tasks Engine, loaded from package data so they work from a wheel or a zip."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

TASK_SCHEMA_FILE = "acr-task.schema.json"


def load_task_schema() -> dict[str, Any]:
    """A fresh copy of the task-file schema (callers may mutate it)."""
    text = resources.files(__name__).joinpath(TASK_SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


__all__ = ["TASK_SCHEMA_FILE", "load_task_schema"]
