"""Decoded (validated) data -> the typed model. Only called when there is no error, so shapes are known."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks_engine.definition.decode import child_path, index_path
from tasks_engine.definition.lint_steps import step_kinds
from tasks_engine.definition.model import (
    NetworkDef,
    SecretDef,
    StepDef,
    StepKind,
    TaskDefinition,
    VolumeDef,
    VolumeMountDef,
)

#: YAML key -> StepDef field, for every decoded step property.
STEP_FIELDS = {
    "id": "id",
    "cmd": "cmd",
    "build": "build",
    "push": "push",
    "when": "when",
    "workingDirectory": "working_directory",
    "disableWorkingDirectoryOverride": "disable_working_directory_override",
    "entryPoint": "entry_point",
    "env": "env",
    "user": "user",
    "network": "network",
    "isolation": "isolation",
    "cpus": "cpus",
    "ports": "ports",
    "expose": "expose",
    "privileged": "privileged",
    "detach": "detach",
    "keep": "keep",
    "pull": "pull",
    "cmdDownloadRetries": "cmd_download_retries",
    "cmdDownloadRetryDelay": "cmd_download_retry_delay",
    "timeout": "timeout",
    "startDelay": "start_delay",
    "retries": "retries",
    "retryDelay": "retry_delay",
    "retryOnErrors": "retry_on_errors",
    "repeat": "repeat",
    "ignoreErrors": "ignore_errors",
    "cache": "cache",
    "exitedWith": "exited_with",
    "exitedWithout": "exited_without",
}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def build_definition(
    task: Mapping[str, Any],
    *,
    positions: Mapping[str, tuple[int, int]],
    unknown: Mapping[str, list[str]],
) -> TaskDefinition:
    """``unknown`` maps an object's path ("" for the task, ``steps[1]`` for a step) to its unknown keys."""
    steps = []
    for index, raw in enumerate(_list(task.get("steps"))):
        step = raw if isinstance(raw, dict) else {}
        path = index_path("steps", index)
        kinds = step_kinds(step)
        values: dict[str, Any] = {STEP_FIELDS[key]: value for key, value in step.items() if key in STEP_FIELDS}
        if not values.get("id"):
            values["id"] = None
        mounts = step.get("volumeMounts")
        if isinstance(mounts, list):
            values["volume_mounts"] = [
                VolumeMountDef(name=m.get("name", ""), mount_path=m.get("mountPath", ""))
                for m in mounts
                if isinstance(m, dict)
            ]
        line, column = positions.get(path, (0, 0))
        steps.append(
            StepDef(
                index=index,
                kind=StepKind(kinds[0]) if kinds else StepKind.CMD,
                unknown_keys=list(unknown.get(path, [])),
                line=line,
                column=column,
                **values,
            )
        )
    return TaskDefinition(
        version=task.get("version", ""),
        step_timeout=task.get("stepTimeout", 0),
        working_directory=task.get("workingDirectory", ""),
        env=list(_list(task.get("env"))),
        secrets=[
            SecretDef(id=s.get("id", ""), keyvault=s.get("keyvault") or None, client_id=s.get("clientID") or None)
            for s in _list(task.get("secrets"))
            if isinstance(s, dict)
        ],
        networks=[
            NetworkDef(
                name=n.get("name", ""),
                driver=n.get("driver") or None,
                ipv6=bool(n.get("ipv6", False)),
                skip_creation=bool(n.get("skipCreation", False)),
                is_default=bool(n.get("isDefault", False)),
            )
            for n in _list(task.get("networks"))
            if isinstance(n, dict)
        ],
        volumes=[
            VolumeDef(name=v.get("name", ""), secret=dict(v.get("secret") or {}))
            for v in _list(task.get("volumes"))
            if isinstance(v, dict)
        ],
        steps=steps,
        total_timeout=task.get("totalTimeout"),
        unknown_keys=list(unknown.get("", [])),
        positions=dict(positions),
    )


__all__ = ["STEP_FIELDS", "build_definition", "child_path"]
