"""Semantic checks of a decoded task, with ACR's exact messages, collecting every problem.

ACR validates in a fixed order and stops at the first error (``Task.Validate``, ``initialize``,
``NewDagFromTask``); we run the same checks over the whole file so one run lists everything to fix. The input
is the decoder's plain data (known keys only, correct types, failed elements as ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks_engine.definition.decode import child_path, index_path
from tasks_engine.definition.lint_rules import (
    CURRENT_VERSION,
    SECRET_FILE_NAME,
    VALID_VERSIONS,
    VOLUME_NAME,
    base64_error,
    contains_space,
    is_valid_uuid,
    keyvault_url_error,
)
from tasks_engine.definition.lint_steps import StepLinter
from tasks_engine.errors import Problem, Severity
from tasks_engine.templating.version import go_quote


class Reporter:
    """Collects problems, placing each at the nearest known position of its path."""

    def __init__(
        self,
        positions: Mapping[str, tuple[int, int]],
        key_positions: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self._positions = positions
        self._key_positions = key_positions or {}
        self.problems: list[Problem] = []

    def locate(self, path: str) -> tuple[int, int]:
        probe = path
        while True:
            if probe in self._positions:
                return self._positions[probe]
            if not probe:
                return (0, 0)
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""

    def error(self, path: str, message: str) -> None:
        self.add(Severity.ERROR, path, message)

    def warning(self, path: str, message: str) -> None:
        self.add(Severity.WARNING, path, message)

    def key_error(self, path: str, message: str) -> None:
        """An error about a mapping key itself (a file name, say): point at the key, not its value."""
        line, column = self._key_positions.get(path) or self.locate(path)
        self.problems.append(Problem(Severity.ERROR, message, line, column, path))

    def add(self, severity: Severity, path: str, message: str) -> None:
        line, column = self.locate(path)
        self.problems.append(Problem(severity, message, line, column, path))


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def lint_task(
    task: Mapping[str, Any],
    positions: Mapping[str, tuple[int, int]],
    key_positions: Mapping[str, tuple[int, int]] | None = None,
    *,
    failed: set[str] | frozenset[str] = frozenset(),
) -> list[Problem]:
    """``failed`` lists paths whose value did not decode (already reported), to avoid follow-up noise."""
    report = Reporter(positions, key_positions)
    _version(task, report)
    _task_env(task, report)
    _secrets(task, report)
    _networks(task, report)
    volume_names = _volumes(task, report)
    _alias(task, report)
    StepLinter(report, volume_names=volume_names, failed=failed).lint(task.get("steps"))
    return report.problems


def _version(task: Mapping[str, Any], report: Reporter) -> None:
    version = task.get("version")
    if isinstance(version, str) and version and version.lower() not in VALID_VERSIONS:
        report.error(
            "version",
            f"invalid version specified: {go_quote(version)}, the current version is {go_quote(CURRENT_VERSION)}",
        )


def _task_env(task: Mapping[str, Any], report: Reporter) -> None:
    for index, entry in _items(task.get("env")):
        if not isinstance(entry, str):
            continue
        for piece in entry.split(","):
            if "=" not in piece:
                report.error(index_path("env", index), f"cannot parse task environment variable {piece} correctly")


def _secrets(task: Mapping[str, Any], report: Reporter) -> None:
    seen: set[str] = set()
    for index, secret in _items(task.get("secrets")):
        path = index_path("secrets", index)
        if not isinstance(secret, dict):
            continue
        sid = secret.get("id", "")
        if not sid:
            report.error(child_path(path, "id"), "secret is missing an ID")
        elif contains_space(sid):
            report.error(child_path(path, "id"), "secret ID cannot contain spaces")
        keyvault = secret.get("keyvault", "")
        if not keyvault:
            report.error(
                path,
                "secret should contain either keyvault property for vault secret, "
                "or msi clientID/armResource for msi authentication",
            )
        else:
            problem = keyvault_url_error(keyvault)
            if problem:
                report.error(child_path(path, "keyvault"), problem)
        client_id = secret.get("clientID", "")
        if client_id and not is_valid_uuid(client_id):
            report.error(child_path(path, "clientID"), "msi client ID is not a valid guid")
        if sid:
            if sid in seen:
                report.error(child_path(path, "id"), f"duplicate secret found with ID: {sid}")
            seen.add(sid)


def _networks(task: Mapping[str, Any], report: Reporter) -> None:
    created: dict[str, int] = {}
    for index, network in _items(task.get("networks")):
        path = index_path("networks", index)
        if not isinstance(network, dict):
            continue
        name = network.get("name", "")
        if not name:
            report.error(child_path(path, "name"), "network name must be specified")
            continue
        if network.get("skipCreation"):
            continue
        if name in created:
            report.error(
                child_path(path, "name"),
                f"network {name} is declared twice (networks[{created[name]}]); it cannot be created twice",
            )
        created.setdefault(name, index)


def _volumes(task: Mapping[str, Any], report: Reporter) -> set[str]:
    names: set[str] = set()
    for index, volume in _items(task.get("volumes")):
        path = index_path("volumes", index)
        if not isinstance(volume, dict):
            continue
        name = volume.get("name", "")
        if not name:
            report.error(child_path(path, "name"), "volume name is empty")
        elif not VOLUME_NAME.match(name):
            report.error(child_path(path, "name"), "volume name is not well formed. Only use alphanumeric and - _")
        elif name in names:
            report.error(child_path(path, "name"), "volume with duplicate name found")
        if name:
            names.add(name)
        if "secret" not in volume:
            report.error(path, "currently only support for source type secret")
            continue
        secret = volume["secret"]
        if not secret:
            report.error(child_path(path, "secret"), "secret is empty")
            continue
        for file_name, value in secret.items():
            file_path = child_path(child_path(path, "secret"), file_name)
            if not file_name:
                report.key_error(file_path, "secret name provided for value is empty")
            elif not SECRET_FILE_NAME.match(file_name):
                report.key_error(
                    file_path,
                    f"secret file name {file_name} is not well formed. Only use alphanumeric and - _ .",
                )
            problem = base64_error(value) if isinstance(value, str) else None
            if problem:
                report.error(
                    file_path,
                    f"failed to decode Base64 value of secret {file_name} in volume {name}: {problem} "
                    "(volume values must be base64, e.g. {{ .Secrets.x | b64enc }})",
                )
    return names


def _alias(task: Mapping[str, Any], report: Reporter) -> None:
    if "alias" not in task:
        return
    version = task.get("version", "") or CURRENT_VERSION
    if isinstance(version, str) and version < "v1.1.0":
        report.warning(
            "alias",
            f'"alias" is only used with version v1.1.0 or later (this file says {version}); it is ignored',
        )
