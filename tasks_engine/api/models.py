"""The JSON bodies the API accepts, as pydantic models: strict types, unknown fields refused.

Why strict: a client that sends ``"timeout": "60"`` or a misspelt ``"taskfile"`` has a bug, and a clear
``422`` naming the field helps it more than a guess; the fuzz tests also rely on the schema meaning exactly
what the server accepts. The rules that need more than a type (one kind's fields, context forms, value keys)
live in ``service/runinput.py`` and ``service/tasks.py`` and are checked after these.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["build", "file", "encoded", "cmd"]
RoleName = Literal["reader", "runner", "admin"]
TaskStatus = Literal["Enabled", "Disabled"]
ValueMap = dict[str, str]


def _text() -> Any:
    return Field(default=None, max_length=8192)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CredentialBody(Strict):
    """A registry login (write-only: never returned)."""

    registry: str = Field(min_length=1, max_length=512)
    username: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=1, max_length=8192)


class BuildBody(Strict):
    """``az acr build``'s flags (DockerBuildRequest)."""

    tags: list[str] = Field(default_factory=list, max_length=100)
    dockerfile: str | None = _text()
    buildArgs: list[str] = Field(default_factory=list, max_length=500)
    secretBuildArgs: list[str] = Field(default_factory=list, max_length=500)
    target: str | None = _text()
    platform: str | None = _text()
    noCache: bool = False
    pull: bool = False
    noPush: bool = False


class RunFields(Strict):
    """What every way of describing a run shares (quick runs and named tasks). camelCase: the JSON names."""

    kind: Kind
    taskFile: str | None = _text()
    encodedTask: str | None = Field(default=None, description="base64 of the task file")
    cmd: str | None = _text()
    build: BuildBody | None = None
    context: str | None = Field(default=None, max_length=8192,
                                description="upload:sha256:<hex>, a git or tarball URL, or null")
    values: ValueMap = Field(default_factory=dict, description="like --set")
    secretValues: ValueMap = Field(default_factory=dict, description="like --set-secret; never returned")
    encodedValues: str | None = Field(default=None, description="base64 of a values file")
    valuesFile: str | None = _text()
    registry: str | None = _text()
    maxParallel: int | None = Field(default=None, ge=1, le=1000)
    agentPool: str | None = Field(default=None, max_length=63)
    platform: str | None = Field(default=None, max_length=64, description="os/architecture[/variant]")
    credentials: list[CredentialBody] = Field(default_factory=list, max_length=50)


class RunBody(RunFields):
    """``POST /v1/runs``."""

    commit: str | None = Field(default=None, max_length=256)
    branch: str | None = Field(default=None, max_length=256)
    timeout: int | None = Field(default=None, ge=1, le=28800)


class TimerBody(Strict):
    """One timer trigger: 5-field cron in UTC (ACR's NCrontab syntax)."""

    name: str = Field(min_length=1, max_length=50)
    schedule: str = Field(min_length=1, max_length=200)
    enabled: bool = True


class TimerPatch(Strict):
    schedule: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None


class TriggerFields(Strict):
    """A task's triggers (docs/triggers.md); all optional, ACR's defaults when absent."""

    commitTriggerEnabled: bool | None = Field(default=None, description="default: on for a git context")
    pullRequestTriggerEnabled: bool | None = None
    branch: str | None = Field(default=None, max_length=255, description="branch glob the source trigger watches")
    pathFilters: list[str] | None = Field(default=None, max_length=100)
    tagTriggerEnabled: bool | None = None
    tagPattern: str | None = Field(default=None, max_length=255)
    pullRequestSecrets: bool | None = Field(default=None, description="give pull-request runs the task's secrets")
    webhookSecret: str | None = Field(default=None, max_length=256, description="write-only")
    baseImageTriggerEnabled: bool | None = None
    baseImageTriggerType: Literal["Runtime", "All"] | None = None
    timers: list[TimerBody] | None = Field(default=None, max_length=50)
    maxConcurrentRuns: int | None = Field(default=None, ge=1, le=1000)


class TaskBody(RunFields, TriggerFields):
    """``POST /v1/tasks``."""

    name: str = Field(min_length=5, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")
    timeout: int = Field(default=3600, ge=300, le=28800)
    status: TaskStatus = "Enabled"
    gitAccessToken: str | None = Field(default=None, max_length=8192,
                                       description="token for a private git context; never returned")


class TaskPatch(TriggerFields):
    """``PATCH /v1/tasks/{name}``: the fields of ``TaskBody`` but the name, all optional;
    ``rotateWebhookSecret`` generates a new webhook secret (returned once)."""

    kind: Kind | None = None
    taskFile: str | None = _text()
    encodedTask: str | None = None
    cmd: str | None = _text()
    build: BuildBody | None = None
    context: str | None = Field(default=None, max_length=8192)
    values: ValueMap | None = None
    secretValues: ValueMap | None = None
    encodedValues: str | None = None
    valuesFile: str | None = _text()
    registry: str | None = _text()
    maxParallel: int | None = Field(default=None, ge=1, le=1000)
    agentPool: str | None = Field(default=None, max_length=63)
    platform: str | None = Field(default=None, max_length=64)
    credentials: list[CredentialBody] | None = Field(default=None, max_length=50)
    timeout: int | None = Field(default=None, ge=300, le=28800)
    status: TaskStatus | None = None
    gitAccessToken: str | None = Field(default=None, max_length=8192)
    rotateWebhookSecret: bool = False


class TaskRunBody(Strict):
    """``POST /v1/tasks/{name}/runs`` (``az acr task run --set``)."""

    values: ValueMap = Field(default_factory=dict)
    secretValues: ValueMap = Field(default_factory=dict)
    agentPool: str | None = Field(default=None, max_length=63)


class TokenBody(Strict):
    """``POST /v1/tokens``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    role: RoleName
