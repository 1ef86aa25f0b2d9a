"""Reading the one configuration file both halves share (engine policy at the top, ``service:`` below).

Why one file: an operator configures a worker fleet in one place; the engine keys (privileged steps, registry
passwords, alias targets) and the service keys (Redis, retention, limits) are read by the same processes.
Errors name the file, and the line and column for YAML syntax problems.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tasks_engine.errors import UsageError

CONFIG_ENV = "TASKS_ENGINE_CONFIG"


@dataclass(frozen=True)
class ConfigData:
    """The parsed mapping (empty when there is no file) and where it came from (``""``: no file)."""

    data: dict[str, Any]
    where: str


def config_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    default = Path.home() / ".config" / "tasks-engine" / "config.yaml"
    return default if default.exists() else None


def read_config_file(explicit: str | None = None) -> ConfigData:
    path = config_path(explicit)
    if path is None:
        return ConfigData({}, "")
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read configuration {where}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UsageError(f"{where}{pos}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        return ConfigData({}, where)
    if not isinstance(data, dict):
        raise UsageError(f"{where}: the configuration must be a mapping")
    return ConfigData(data, where)


def expect(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise UsageError(f"{where}: {key} must be a {name}, got {type(value).__name__}")
    return value
