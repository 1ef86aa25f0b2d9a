"""The run plan: the flat, versioned, JSON-serialisable IR between the compiler and the executor.

Why an IR at all: workers never parse YAML or templates. Everything that needs the task file, the values or the
alias tables happens in the compiler; the executor and the backends only read these dataclasses. That keeps the
executor testable with a fake backend and lets a worker run a plan compiled elsewhere.

JSON shape: camelCase keys (``dependsOn``, ``retryDelay``…), stable key order, only the fields that apply to the
step's type. ``to_dict(redact=True)`` (the default) replaces secret volume contents with ``***`` so a printed
plan never leaks secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PLAN_VERSION = "1"
REDACTED = "***"


class StepType(StrEnum):
    BUILD = "build"
    CMD = "cmd"
    PUSH = "push"


@dataclass(frozen=True)
class NetworkSpec:
    """A network the run uses. ``name`` is the Docker name (run-unique for networks the engine creates)."""

    name: str
    driver: str = ""
    ipv6: bool = False
    skip_creation: bool = False
    is_default: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "driver": self.driver,
            "ipv6": self.ipv6,
            "skipCreation": self.skip_creation,
            "isDefault": self.is_default,
        }


@dataclass(frozen=True)
class VolumeSpec:
    """A secret volume: file name -> base64 content (decoded by the backend when it writes the files)."""

    name: str
    secret: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Keys only: a repr ends up in tracebacks and debug logs."""
        return f"VolumeSpec(name={self.name!r}, secret={ {k: REDACTED for k in sorted(self.secret)} !r})"

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        files = {k: (REDACTED if redact else v) for k, v in sorted(self.secret.items())}
        return {"name": self.name, "secret": files}


@dataclass(frozen=True)
class MountSpec:
    name: str
    mount_path: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mountPath": self.mount_path}


@dataclass(frozen=True)
class BuildSpec:
    """A parsed ``docker build`` argument string: every flag the engine's builders can honour.

    ``dockerfile`` None means the context's own ``Dockerfile``; a ``-f`` value is resolved against the step's
    working directory, as the docker CLI does. ``buildkit`` is the step's own choice (``DOCKER_BUILDKIT=1`` or
    ``=0`` in its env), None when it made none. ``cache_ref`` is ACR's registry cache reference
    (``cache: enabled``). ``secret_build_args`` values are secrets: redacted in a printed plan.
    """

    context: str = "."
    dockerfile: str | None = None
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    platform: str | None = None
    network: str | None = None
    add_hosts: dict[str, str] = field(default_factory=dict)
    shm_size: str | None = None
    isolation: str | None = None
    cache: str | None = None
    # ``--cache-from`` images (the legacy builder uses them as layer-cache sources).
    cache_from: list[str] = field(default_factory=list)
    # BuildKit ``--secret id=...`` specs, as written
    secrets: list[str] = field(default_factory=list)
    secret_build_args: dict[str, str] = field(default_factory=dict)
    cache_ref: str | None = None
    buildkit: bool | None = None

    def __repr__(self) -> str:
        """Secret build argument values stay out of tracebacks and debug logs."""
        shown = {k: REDACTED for k in self.secret_build_args}
        return f"BuildSpec(context={self.context!r}, tags={self.tags!r}, secret_build_args={shown!r}, ...)"

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        return {
            "tags": list(self.tags),
            "dockerfile": self.dockerfile,
            "context": self.context,
            "buildArgs": dict(self.build_args),
            "target": self.target,
            "labels": dict(self.labels),
            "noCache": self.no_cache,
            "pull": self.pull,
            "platform": self.platform,
            "buildNetwork": self.network,
            "addHosts": dict(self.add_hosts),
            "shmSize": self.shm_size,
            "buildIsolation": self.isolation,
            "cache": self.cache,
            "cacheRef": self.cache_ref,
            "cacheFrom": list(self.cache_from),
            "buildkit": self.buildkit,
            "secrets": list(self.secrets),
            "secretBuildArgs": {k: (REDACTED if redact else v) for k, v in self.secret_build_args.items()},
        }


@dataclass(frozen=True)
class StepSpec:
    """One step with every default applied. Type-specific fields are None/empty for other types."""

    id: str
    type: StepType
    depends_on: list[str] = field(default_factory=list)
    timeout: int = 600
    retries: int = 0
    retry_delay: int = 5
    retry_on_errors: list[str] = field(default_factory=list)
    repeat: int = 0
    start_delay: int = 0
    ignore_errors: bool = False
    detach: bool = False
    keep: bool = False
    privileged: bool = False
    env: list[str] = field(default_factory=list)
    network: str | None = None
    # None means "do not override the image's WORKDIR" (disableWorkingDirectoryOverride).
    working_directory: str | None = "/workspace"
    user: str | None = None
    isolation: str | None = None
    cpus: str | None = None
    ports: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    volume_mounts: list[MountSpec] = field(default_factory=list)
    # cmd
    image: str | None = None
    args: list[str] = field(default_factory=list)
    entry_point: str | None = None
    # ``docker run`` options a cmd started with that have no step property of their own (``-t``, ``--name``,
    # ``-v``...): plan key -> value (True for a boolean flag, a list for repeatable ones).
    run_options: dict[str, Any] = field(default_factory=dict)
    pull: bool = False
    cmd_download_retries: int = 0
    cmd_download_retry_delay: int = 0
    # build
    build: BuildSpec | None = None
    # push
    images: list[str] = field(default_factory=list)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type.value,
            "dependsOn": list(self.depends_on),
            "timeout": self.timeout,
            "retries": self.retries,
            "retryDelay": self.retry_delay,
            "retryOnErrors": list(self.retry_on_errors),
            "repeat": self.repeat,
            "startDelay": self.start_delay,
            "ignoreErrors": self.ignore_errors,
            "detach": self.detach,
            "keep": self.keep,
            "privileged": self.privileged,
            "env": list(self.env),
            "network": self.network,
            "workingDirectory": self.working_directory,
            "user": self.user,
            "isolation": self.isolation,
            "cpus": self.cpus,
            "ports": list(self.ports),
            "expose": list(self.expose),
            "volumeMounts": [m.to_dict() for m in self.volume_mounts],
        }
        if self.type is StepType.CMD:
            out.update(
                image=self.image,
                args=list(self.args),
                entryPoint=self.entry_point,
                runOptions={k: list(v) if isinstance(v, list) else v for k, v in self.run_options.items()},
                pull=self.pull,
                cmdDownloadRetries=self.cmd_download_retries,
                cmdDownloadRetryDelay=self.cmd_download_retry_delay,
            )
        elif self.type is StepType.BUILD:
            assert self.build is not None
            out.update(self.build.to_dict(redact=redact))
        else:
            out["images"] = list(self.images)
        return out


@dataclass(frozen=True)
class RunPlan:
    """Everything the executor needs for one run, and nothing it would have to re-derive."""

    run_id: str
    steps: list[StepSpec]
    networks: list[NetworkSpec] = field(default_factory=list)
    volumes: list[VolumeSpec] = field(default_factory=list)
    # The network steps get when they name none; None when declared networks have no default (ACR).
    default_network: str | None = None
    total_timeout: int = 3600
    registry: str = ""
    task_name: str = ""
    version: str = PLAN_VERSION

    def step(self, step_id: str) -> StepSpec:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        return {
            "version": self.version,
            "runId": self.run_id,
            "registry": self.registry,
            "taskName": self.task_name,
            "totalTimeout": self.total_timeout,
            "defaultNetwork": self.default_network,
            "networks": [n.to_dict() for n in self.networks],
            "volumes": [v.to_dict(redact=redact) for v in self.volumes],
            "steps": [s.to_dict(redact=redact) for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunPlan:
        """Inverse of ``to_dict(redact=False)``: how a worker loads a plan compiled elsewhere."""
        from tasks_engine.plan.serialize import plan_from_dict

        return plan_from_dict(data)
