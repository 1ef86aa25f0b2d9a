"""Step checks and the DAG rules of acr-builder (``Step.Validate``, ``NewDagFromTask``, ``mergeEnvs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tasks_engine.definition.decode import child_path, index_path
from tasks_engine.definition.lint_rules import contains_space
from tasks_engine.definition.model import AUTO_ID_PREFIX, ROOT_ID

if TYPE_CHECKING:
    from tasks_engine.definition.lint import Reporter

IMMEDIATE = "-"

#: Properties the code only uses for some step types; elsewhere ACR ignores them silently.
_CMD_BUILD_ONLY = (
    "workingDirectory",
    "disableWorkingDirectoryOverride",
    "env",
    "user",
    "network",
    "isolation",
    "cpus",
    "ports",
    "expose",
    "privileged",
    "detach",
    "keep",
    "retries",
    "retryDelay",
    "retryOnErrors",
    "repeat",
)
_CMD_ONLY = ("entryPoint", "pull", "cmdDownloadRetries", "cmdDownloadRetryDelay")
_BUILD_ONLY = ("cache",)


def step_kinds(step: dict[str, Any]) -> list[str]:
    """Which of cmd/build/push a step sets; ``cmd: ""`` and ``push: []`` count as absent (as in ACR)."""
    kinds = []
    if step.get("cmd"):
        kinds.append("cmd")
    if step.get("build"):
        kinds.append("build")
    if step.get("push"):
        kinds.append("push")
    return kinds


class StepLinter:
    def __init__(
        self, report: Reporter, *, volume_names: set[str], failed: set[str] | frozenset[str] = frozenset()
    ) -> None:
        self._report = report
        self._failed = failed
        self._volumes = volume_names
        self._ids: set[str] = set()

    def lint(self, steps: Any) -> None:
        if not isinstance(steps, list):
            return
        for index, step in enumerate(steps):
            if isinstance(step, dict):
                self._step(index, step)

    def _step(self, index: int, step: dict[str, Any]) -> None:
        path = index_path("steps", index)
        error = self._report.error
        written_id = step.get("id", "")
        sid = written_id or f"{AUTO_ID_PREFIX}{index}"
        id_path = child_path(path, "id") if written_id else path

        if isinstance(step.get("retries"), int) and step["retries"] < 0:
            error(child_path(path, "retries"), "step must specify retries >= 0")
        if isinstance(step.get("repeat"), int) and step["repeat"] < 0:
            error(child_path(path, "repeat"), "step must specify repeat >= 0")
        kinds = step_kinds(step)
        if len(kinds) > 1:
            error(path, "step must only contain a single build, cmd, or push property")
        if contains_space(sid):
            error(id_path, "step ID cannot contain spaces")
        undecoded = any(child_path(path, key) in self._failed for key in ("cmd", "build", "push"))
        if not kinds and not undecoded:
            error(path, "step is missing a cmd, build, or push property")
        self._mounts(path, step, kinds)
        when = step.get("when")
        when_list = [dep for dep in when if isinstance(dep, str)] if isinstance(when, list) else []
        if IMMEDIATE in when_list and isinstance(when, list) and len(when) > 1:
            error(
                child_path(path, "when"),
                "step cannot contain other IDs in when if the immediate execution token is specified",
            )
        self._cache(path, step)
        self._env(path, step)
        self._ignored(path, step, kinds)

        # DAG: the vertex is added after validation, then its edges (deps must already exist).
        if sid == ROOT_ID:
            error(id_path, f"{ROOT_ID} is a reserved ID, it can't be used")
        elif sid in self._ids:
            error(id_path, f"{sid} already exists as a vertex")
        self._edges(path, sid, when if isinstance(when, list) else [])
        self._ids.add(sid)

    def _edges(self, path: str, sid: str, when: list[Any]) -> None:
        seen: set[str] = set()
        for position, dep in enumerate(when):
            if not isinstance(dep, str):
                continue
            dep_path = index_path(child_path(path, "when"), position)
            if dep == IMMEDIATE:
                continue
            if dep in seen:
                self._report.warning(dep_path, f"{dep} is listed twice in when")
                continue
            seen.add(dep)
            if dep == sid:
                self._report.error(dep_path, f"Step ID: {sid} is self-referenced")
            elif dep == "":
                self._report.error(dep_path, "an entry of when is empty (from cannot be empty)")
            elif dep != ROOT_ID and dep not in self._ids:
                self._report.error(dep_path, f"{dep} does not exist as a vertex [from: {dep}, to: {sid}]")

    def _mounts(self, path: str, step: dict[str, Any], kinds: list[str]) -> None:
        mounts = step.get("volumeMounts")
        if not isinstance(mounts, list) or not mounts:
            return
        mounts_path = child_path(path, "volumeMounts")
        if kinds and not ({"cmd", "build"} & set(kinds)):
            self._report.error(
                mounts_path, "invalid use of Mounts: volumeMounts are only allowed on cmd and build steps"
            )
        paths: set[str] = set()
        for index, mount in enumerate(mounts):
            if not isinstance(mount, dict):
                continue
            mount_path = index_path(mounts_path, index)
            name, target = mount.get("name", ""), mount.get("mountPath", "")
            if not name or not target:
                self._report.error(mount_path, "mount name or container file path is empty")
            if target:
                if target in paths:
                    self._report.error(
                        child_path(mount_path, "mountPath"), "mount with duplicate container file path found"
                    )
                paths.add(target)
            if name and name not in self._volumes:
                self._report.error(
                    child_path(mount_path, "name"), f"mount name, {name}, does not correspond to a volume"
                )

    def _cache(self, path: str, step: dict[str, Any]) -> None:
        cache = step.get("cache", "")
        if not isinstance(cache, str) or not cache:
            return
        if cache.lower() not in ("enabled", "disabled"):
            self._report.error(
                child_path(path, "cache"),
                "invalid value for cache property. Valid values are 'enabled', 'disabled'",
            )

    def _env(self, path: str, step: dict[str, Any]) -> None:
        env = step.get("env")
        if not isinstance(env, list):
            return
        for index, entry in enumerate(env):
            if isinstance(entry, str) and "=" not in entry:
                self._report.error(
                    index_path(child_path(path, "env"), index),
                    f"cannot parse step environment variable {entry} correctly",
                )

    def _ignored(self, path: str, step: dict[str, Any], kinds: list[str]) -> None:
        """Warn about properties ACR accepts but ignores (docs list some of them for every step type)."""
        for key in ("exitedWith", "exitedWithout"):
            if key in step:
                self._report.warning(child_path(path, key), f'"{key}" is accepted and ignored, as in ACR')
        if "secret" in step:
            self._report.warning(
                child_path(path, "secret"),
                'step property "secret" does not exist in ACR and is ignored; declare secrets in the task\'s '
                '"secrets" and mount them with "volumes" and "volumeMounts"',
            )
        if len(kinds) != 1:
            return
        kind = kinds[0]
        groups = ((_CMD_BUILD_ONLY, ("cmd", "build")), (_CMD_ONLY, ("cmd",)), (_BUILD_ONLY, ("build",)))
        for keys, allowed in groups:
            if kind in allowed:
                continue
            for key in keys:
                if key in step:
                    where = " and ".join(allowed)
                    self._report.warning(
                        child_path(path, key),
                        f'"{key}" is ignored on {kind} steps (as in ACR); it only applies to {where} steps',
                    )
