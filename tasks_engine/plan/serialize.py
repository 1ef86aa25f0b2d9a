"""Plan JSON: ``plan_to_json`` to print and store a plan, ``plan_from_dict`` for a worker loading one.

``plan_from_dict`` is the exact inverse of ``RunPlan.to_dict(redact=False)`` and checks every field's type,
because a plan crosses process boundaries (queue, files) and a half-valid plan must fail before any container
starts, with the field named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tasks_engine.errors import PermanentError
from tasks_engine.plan.model import (
    PLAN_VERSION,
    BuildSpec,
    MountSpec,
    NetworkSpec,
    RunPlan,
    StepSpec,
    StepType,
    VolumeSpec,
)


class PlanFormatError(PermanentError):
    """A stored plan is not a plan this engine version can run; loading it again will not help."""


class _Reader:
    """Typed access to one JSON object, naming the offending path on failure."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise PlanFormatError(f"run plan: {path or 'plan'} must be an object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _fail(self, key: str, what: str) -> PlanFormatError:
        return PlanFormatError(f"run plan: {self._where(key)} must be {what}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string or null")
        return value

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def opt_flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._fail(key, "true, false or null")
        return value

    def options(self, key: str) -> dict[str, Any]:
        """``docker run`` options: each value true/false, a string, or a list of strings."""
        value = self.data.get(key, {})
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str)
            and (isinstance(v, bool | str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)))
            for k, v in value.items()
        )
        if not ok:
            raise self._fail(key, "an object of booleans, strings or lists of strings")
        return {k: list(v) if isinstance(v, list) else v for k, v in value.items()}

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        return list(value)

    def objects(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return [_Reader(item, f"{self._where(key)}[{i}]") for i, item in enumerate(value)]

    def text_map(self, key: str, *, nullable: bool = False) -> dict[str, Any]:
        value = self.data.get(key, {})
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str) and (isinstance(v, str) or (nullable and v is None)) for k, v in value.items()
        )
        if not ok:
            raise self._fail(key, "an object of strings")
        return dict(value)


def _network(r: _Reader) -> NetworkSpec:
    return NetworkSpec(
        name=r.text("name"),
        driver=r.text("driver", ""),
        ipv6=r.flag("ipv6"),
        skip_creation=r.flag("skipCreation"),
        is_default=r.flag("isDefault"),
    )


def _volume(r: _Reader) -> VolumeSpec:
    return VolumeSpec(name=r.text("name"), secret=r.text_map("secret"))


def _build(r: _Reader) -> BuildSpec:
    return BuildSpec(
        context=r.text("context", "."),
        dockerfile=r.opt_text("dockerfile"),
        tags=r.texts("tags"),
        build_args=r.text_map("buildArgs", nullable=True),
        target=r.opt_text("target"),
        labels=r.text_map("labels"),
        no_cache=r.flag("noCache"),
        pull=r.flag("pull"),
        platform=r.opt_text("platform"),
        network=r.opt_text("buildNetwork"),
        add_hosts=r.text_map("addHosts"),
        shm_size=r.opt_text("shmSize"),
        isolation=r.opt_text("buildIsolation"),
        cache=r.opt_text("cache"),
        cache_ref=r.opt_text("cacheRef"),
        cache_from=r.texts("cacheFrom"),
        buildkit=r.opt_flag("buildkit"),
        secrets=r.texts("secrets"),
        secret_build_args=r.text_map("secretBuildArgs"),
    )


def _step(r: _Reader) -> StepSpec:
    raw_type = r.text("type")
    try:
        step_type = StepType(raw_type)
    except ValueError:
        raise PlanFormatError(f"run plan: {r.path}.type {raw_type!r} is not build, cmd or push") from None
    spec = StepSpec(
        id=r.text("id"),
        type=step_type,
        depends_on=r.texts("dependsOn"),
        timeout=r.integer("timeout", 600),
        retries=r.integer("retries", 0),
        retry_delay=r.integer("retryDelay", 5),
        retry_on_errors=r.texts("retryOnErrors"),
        repeat=r.integer("repeat", 0),
        start_delay=r.integer("startDelay", 0),
        ignore_errors=r.flag("ignoreErrors"),
        detach=r.flag("detach"),
        keep=r.flag("keep"),
        privileged=r.flag("privileged"),
        env=r.texts("env"),
        network=r.opt_text("network"),
        working_directory=r.opt_text("workingDirectory"),
        user=r.opt_text("user"),
        isolation=r.opt_text("isolation"),
        cpus=r.opt_text("cpus"),
        ports=r.texts("ports"),
        expose=r.texts("expose"),
        volume_mounts=[
            MountSpec(name=m.text("name"), mount_path=m.text("mountPath")) for m in r.objects("volumeMounts")
        ],
    )
    if step_type is StepType.CMD:
        return replace(
            spec,
            image=r.text("image"),
            args=r.texts("args"),
            entry_point=r.opt_text("entryPoint"),
            run_options=r.options("runOptions"),
            pull=r.flag("pull"),
            cmd_download_retries=r.integer("cmdDownloadRetries", 0),
            cmd_download_retry_delay=r.integer("cmdDownloadRetryDelay", 0),
        )
    if step_type is StepType.BUILD:
        return replace(spec, build=_build(r))
    return replace(spec, images=r.texts("images"))


def plan_from_dict(data: object) -> RunPlan:
    """Load a plan written by ``RunPlan.to_dict(redact=False)``; :class:`PlanFormatError` if it is not one."""
    r = _Reader(data, "")
    version = r.text("version")
    if version != PLAN_VERSION:
        raise PlanFormatError(
            f"run plan version {version!r} is not supported (this engine reads {PLAN_VERSION!r})"
        )
    total_timeout = r.integer("totalTimeout", 3600)
    return RunPlan(
        run_id=r.text("runId"),
        steps=[_step(s) for s in r.objects("steps")],
        networks=[_network(n) for n in r.objects("networks")],
        volumes=[_volume(v) for v in r.objects("volumes")],
        default_network=r.opt_text("defaultNetwork"),
        total_timeout=total_timeout,
        registry=r.text("registry", ""),
        task_name=r.text("taskName", ""),
        version=version,
    )


def plan_to_json(plan: RunPlan, *, redact: bool = True) -> str:
    """Indented JSON in the plan's own key order (no sorting: the order is part of the readable shape)."""
    return json.dumps(plan.to_dict(redact=redact), indent=2, ensure_ascii=False)


def plan_from_json(text: str) -> RunPlan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"run plan is not valid JSON: {exc}") from exc
    return plan_from_dict(data)
