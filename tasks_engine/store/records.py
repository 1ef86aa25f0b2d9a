"""The service's records as plain data: runs (ACR's RunProperties), named tasks, tokens, workers.

Why plain dataclasses with ``to_dict``/``from_dict``: the same record is written to Redis, returned by the
API and printed by the CLI (``-o json``), so its JSON shape is the contract, in ACR's camelCase field names.
Secret material never lives in these records: the store keeps it apart, encrypted (``RunSecrets``,
``TaskSecrets``), and nothing that renders a record can reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tasks_engine.runtime.results import RunStatus

FINAL_STATUSES = frozenset(s for s in RunStatus if s.finished)
ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.STARTED, RunStatus.RUNNING)


class RunType(StrEnum):
    QUICK_BUILD = "QuickBuild"
    QUICK_RUN = "QuickRun"
    AUTO_BUILD = "AutoBuild"
    AUTO_RUN = "AutoRun"


class Trigger(StrEnum):
    """What started a run: ACR's TRIGGER column values, plus ``Pull Request`` for PR source triggers."""

    MANUAL = "Manual"
    GIT_COMMIT = "Git Commit"
    PULL_REQUEST = "Pull Request"
    IMAGE_UPDATE = "Image Update"
    TIMER = "Timer"


class Role(StrEnum):
    """API roles, each including the one before: reader (read), runner (+ submit, cancel), admin (+ tasks,
    tokens)."""

    READER = "reader"
    RUNNER = "runner"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = [Role.READER, Role.RUNNER, Role.ADMIN]
        return order.index(self) >= order.index(needed)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    @classmethod
    def parse(cls, text: str | None) -> Platform:
        """``linux/arm64/v8`` -> Platform; ``None`` or ``""`` -> linux/amd64 (ACR's default)."""
        if not text:
            return cls()
        parts = text.strip().lower().split("/")
        if len(parts) > 3 or not all(parts):
            raise ValueError(f"invalid platform {text!r}: expected os/architecture[/variant]")
        return cls(os=parts[0], architecture=parts[1] if len(parts) > 1 else "amd64",
                   variant=parts[2] if len(parts) > 2 else "")

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def to_dict(self) -> dict[str, Any]:
        return {"os": self.os, "architecture": self.architecture, **({"variant": self.variant} if self.variant else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Platform:
        data = data or {}
        return cls(os=str(data.get("os") or "linux"), architecture=str(data.get("architecture") or "amd64"),
                   variant=str(data.get("variant") or ""))


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    """What a run was asked to do, without secrets: kept with the run so a worker can execute it.

    ``kind``: ``build`` (DockerBuildRequest), ``file`` (FileTaskRunRequest: a task file in the context),
    ``encoded`` (EncodedTaskRunRequest: the task text itself), ``cmd`` (az acr run --cmd).
    ``context``: ``upload:sha256:<hex>``, a git or tarball URL, or None for no context.
    """

    kind: str
    task_file: str | None = None
    encoded_task: str | None = None
    cmd: str | None = None
    build: dict[str, Any] | None = None
    context: str | None = None
    values_file: str | None = None
    encoded_values: str | None = None
    set_values: tuple[str, ...] = ()
    registry: str = ""
    commit: str = ""
    branch: str = ""
    repository: str = ""
    git_tag: str = ""
    triggered_by: str = ""
    task_name: str = ""
    timeout: int | None = None
    max_parallel: int | None = None
    untrusted: bool = False
    """A pull-request run: no task secrets and no push credentials (the engine's ``registries`` included)."""

    def to_dict(self) -> dict[str, Any]:
        return _drop_none({
            "kind": self.kind, "taskFile": self.task_file, "encodedTask": self.encoded_task, "cmd": self.cmd,
            "build": self.build, "context": self.context, "valuesFile": self.values_file,
            "encodedValues": self.encoded_values, "set": list(self.set_values), "registry": self.registry,
            "commit": self.commit, "branch": self.branch, "repository": self.repository, "gitTag": self.git_tag,
            "triggeredBy": self.triggered_by, "taskName": self.task_name, "timeout": self.timeout,
            "maxParallel": self.max_parallel, "untrusted": True if self.untrusted else None,
        })

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRequest:
        return cls(
            kind=str(data["kind"]), task_file=data.get("taskFile"), encoded_task=data.get("encodedTask"),
            cmd=data.get("cmd"), build=data.get("build"), context=data.get("context"),
            values_file=data.get("valuesFile"), encoded_values=data.get("encodedValues"),
            set_values=tuple(data.get("set") or ()), registry=data.get("registry") or "",
            commit=data.get("commit") or "", branch=data.get("branch") or "",
            repository=data.get("repository") or "", git_tag=data.get("gitTag") or "",
            triggered_by=data.get("triggeredBy") or "", task_name=data.get("taskName") or "",
            timeout=data.get("timeout"), max_parallel=data.get("maxParallel"),
            untrusted=bool(data.get("untrusted")),
        )


@dataclass(frozen=True, kw_only=True)
class Credential:
    registry: str
    username: str
    password: str = field(repr=False)

    def to_dict(self) -> dict[str, str]:
        return {"registry": self.registry, "username": self.username, "password": self.password}


@dataclass(frozen=True, kw_only=True)
class RunSecrets:
    """The secret half of a run request; stored encrypted, read only by the worker executing the run."""

    set_secrets: tuple[str, ...] = field(default=(), repr=False)
    secret_build_args: tuple[str, ...] = field(default=(), repr=False)
    credentials: tuple[Credential, ...] = field(default=(), repr=False)
    git_token: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"setSecrets": list(self.set_secrets), "secretBuildArgs": list(self.secret_build_args),
                "credentials": [c.to_dict() for c in self.credentials], "gitToken": self.git_token}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSecrets:
        return cls(
            set_secrets=tuple(data.get("setSecrets") or ()),
            secret_build_args=tuple(data.get("secretBuildArgs") or ()),
            credentials=tuple(Credential(registry=c["registry"], username=c["username"], password=c["password"])
                              for c in data.get("credentials") or ()),
            git_token=data.get("gitToken"),
        )

    @property
    def values(self) -> list[str]:
        """Every secret value in here, for masking."""
        out = [s.partition("=")[2] or s for s in (*self.set_secrets, *self.secret_build_args)]
        out += [c.password for c in self.credentials]
        if self.git_token:
            out.append(self.git_token)
        return [v for v in out if v]


@dataclass(kw_only=True)
class RunRecord:
    """One run, as ACR's RunProperties plus what the service needs to deliver it exactly once."""

    run_id: str
    status: RunStatus
    run_type: RunType
    trigger: Trigger = Trigger.MANUAL
    task: str = ""
    create_time: str = ""
    start_time: str | None = None
    finish_time: str | None = None
    last_updated_time: str = ""
    platform: Platform = field(default_factory=Platform)
    agent_pool_name: str | None = None
    queue: str = ""
    output_images: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    run_error_message: str | None = None
    source_trigger: dict[str, Any] | None = None
    image_update_trigger: dict[str, Any] | None = None
    timer_trigger: dict[str, Any] | None = None
    timeout: int | None = None
    attempt: int = 0
    max_attempts: int = 2
    worker: str | None = None
    cancel_requested: bool = False
    log_bytes: int = 0
    log_truncated: bool = False
    seq: int = 0
    request: RunRequest | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished

    def to_dict(self, *, with_request: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "runId": self.run_id,
            "status": self.status.value,
            "runType": self.run_type.value,
            "trigger": self.trigger.value,
            "task": self.task or None,
            "createTime": self.create_time,
            "startTime": self.start_time,
            "finishTime": self.finish_time,
            "lastUpdatedTime": self.last_updated_time,
            "platform": self.platform.to_dict(),
            "agentPoolName": self.agent_pool_name,
            "queue": self.queue,
            "outputImages": list(self.output_images),
            "steps": list(self.steps),
            "dependencies": list(self.dependencies),
            "runErrorMessage": self.run_error_message,
            "sourceTrigger": self.source_trigger,
            "imageUpdateTrigger": self.image_update_trigger,
            "timerTrigger": self.timer_trigger,
            "timeout": self.timeout,
            "attempt": self.attempt,
            "maxAttempts": self.max_attempts,
            "worker": self.worker,
            "cancelRequested": self.cancel_requested,
            "logBytes": self.log_bytes,
            "logTruncated": self.log_truncated,
        }
        if with_request and self.request is not None:
            out["request"] = self.request.to_dict()
        return out


@dataclass(frozen=True, kw_only=True)
class TaskSecrets:
    """A named task's secret half: ``--set-secret`` values, registry credentials, the git access token and
    the webhook secret. Stored encrypted; the API never returns it."""

    set_secrets: tuple[str, ...] = field(default=(), repr=False)
    credentials: tuple[Credential, ...] = field(default=(), repr=False)
    git_access_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    secret_build_args: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"setSecrets": list(self.set_secrets), "credentials": [c.to_dict() for c in self.credentials],
                "gitAccessToken": self.git_access_token, "webhookSecret": self.webhook_secret,
                "secretBuildArgs": list(self.secret_build_args)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSecrets:
        return cls(
            set_secrets=tuple(data.get("setSecrets") or ()),
            secret_build_args=tuple(data.get("secretBuildArgs") or ()),
            credentials=tuple(Credential(registry=c["registry"], username=c["username"], password=c["password"])
                              for c in data.get("credentials") or ()),
            git_access_token=data.get("gitAccessToken"),
            webhook_secret=data.get("webhookSecret"),
        )


@dataclass(kw_only=True)
class TaskRecord:
    """A named task (ACR's task resource): what to run, from where, and how it is triggered.

    ``step`` holds the run request template (a ``RunRequest.to_dict()`` without per-run fields); ``triggers``
    is free-form for the trigger layer (source, base image, timers). ``secretNames`` says which secret
    values exist (``--set-secret`` keys, credential registries) without revealing them.
    """

    name: str
    status: str = "Enabled"
    platform: Platform = field(default_factory=Platform)
    agent_pool_name: str | None = None
    timeout: int = 3600
    step: dict[str, Any] = field(default_factory=dict)
    triggers: dict[str, Any] = field(default_factory=dict)
    secret_names: dict[str, Any] = field(default_factory=dict)
    creation_date: str = ""
    last_updated_time: str = ""
    max_concurrent_runs: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "platform": self.platform.to_dict(),
            "agentPoolName": self.agent_pool_name, "timeout": self.timeout, "step": dict(self.step),
            "triggers": dict(self.triggers), "secretNames": dict(self.secret_names),
            "creationDate": self.creation_date, "lastUpdatedTime": self.last_updated_time,
            "maxConcurrentRuns": self.max_concurrent_runs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskRecord:
        return cls(
            name=str(data["name"]), status=str(data.get("status") or "Enabled"),
            platform=Platform.from_dict(data.get("platform")), agent_pool_name=data.get("agentPoolName"),
            timeout=int(data.get("timeout") or 3600), step=dict(data.get("step") or {}),
            triggers=dict(data.get("triggers") or {}), secret_names=dict(data.get("secretNames") or {}),
            creation_date=str(data.get("creationDate") or ""),
            last_updated_time=str(data.get("lastUpdatedTime") or ""),
            max_concurrent_runs=int(data["maxConcurrentRuns"]) if data.get("maxConcurrentRuns") else None,
        )


@dataclass(frozen=True, kw_only=True)
class TokenRecord:
    name: str
    role: Role
    created: str
    last_used: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value, "created": self.created, "lastUsed": self.last_used}


@dataclass(frozen=True, kw_only=True)
class WorkerInfo:
    """A live worker process as its heartbeat describes it."""

    worker_id: str
    hostname: str
    pid: int
    queues: tuple[str, ...]
    concurrency: int
    active: tuple[str, ...] = ()
    platform: str = "linux/amd64"
    started: str = ""
    seen: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"workerId": self.worker_id, "hostname": self.hostname, "pid": self.pid, "queues": list(self.queues),
                "concurrency": self.concurrency, "active": list(self.active), "platform": self.platform,
                "started": self.started, "seen": self.seen}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkerInfo:
        return cls(worker_id=str(data["workerId"]), hostname=str(data.get("hostname") or ""),
                   pid=int(data.get("pid") or 0), queues=tuple(data.get("queues") or ()),
                   concurrency=int(data.get("concurrency") or 0), active=tuple(data.get("active") or ()),
                   platform=str(data.get("platform") or ""), started=str(data.get("started") or ""),
                   seen=str(data.get("seen") or ""))


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A worker's hold on a run: the fencing ``token`` every later write must present."""

    run_id: str
    token: int
    attempt: int


class LeaseState(StrEnum):
    HELD = "held"
    CANCEL = "cancel"  # still held, and a cancel was requested
    LOST = "lost"  # fenced out: someone else owns the run now, or it is finished
