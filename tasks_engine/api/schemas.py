"""The API's replies as OpenAPI schemas: documentation for clients, and what the fuzz tests hold replies to.

Routes return ``JSONResponse`` built from the records' own ``to_dict`` (no second serialisation pass on the
hot path); these models describe that JSON and every error a route can answer, so a schema-driven client or
fuzzer knows the whole contract. Open-ended documents (steps, triggers) are left open with ``extra="allow"``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

StatusName = Literal["Queued", "Started", "Running", "Succeeded", "Failed", "Canceled", "Error", "Timeout"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    fields: list[FieldProblem] | None = None
    problems: list[dict[str, Any]] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class PlatformOut(Open):
    os: str
    architecture: str


class QueueInfoOut(Open):
    queue: str
    position: int | None
    length: int
    workersListening: int
    workers: list[str]
    reason: str


class RunOut(Open):
    runId: str
    status: StatusName
    runType: Literal["QuickBuild", "QuickRun", "AutoBuild", "AutoRun"]
    trigger: str
    task: str | None
    createTime: str
    startTime: str | None
    finishTime: str | None
    lastUpdatedTime: str
    platform: PlatformOut
    agentPoolName: str | None
    queue: str
    outputImages: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    runErrorMessage: str | None
    timeout: int | None
    attempt: int
    maxAttempts: int
    worker: str | None
    cancelRequested: bool
    logBytes: int
    logTruncated: bool
    queueInfo: QueueInfoOut | None = None


class RunPageOut(BaseModel):
    runs: list[RunOut]
    nextCursor: int | None


class UploadOut(BaseModel):
    digest: str
    size: int


class TaskOut(Open):
    name: str
    status: Literal["Enabled", "Disabled"]
    platform: PlatformOut
    agentPoolName: str | None
    timeout: int
    kind: Literal["build", "file", "encoded", "cmd"]
    context: str | None
    values: dict[str, str]
    secretNames: dict[str, Any]
    triggers: dict[str, Any]
    creationDate: str
    lastUpdatedTime: str


class TimerOut(BaseModel):
    name: str
    schedule: str
    enabled: bool
    created: str | None
    nextOccurrence: str | None


class TimerListOut(BaseModel):
    timers: list[TimerOut]


class DeliveryOut(Open):
    status: Literal["accepted", "duplicate", "ignored"]


class ImpactOut(Open):
    image: str
    generations: list[dict[str, Any]]
    cycles: list[dict[str, Any]]


class TriggerEventsOut(BaseModel):
    events: list[dict[str, Any]]


class TaskListOut(BaseModel):
    tasks: list[TaskOut]


class TokenOut(BaseModel):
    name: str
    role: Literal["reader", "runner", "admin"]
    created: str
    lastUsed: str | None


class IssuedTokenOut(TokenOut):
    token: str


class TokenListOut(BaseModel):
    tokens: list[TokenOut]


class WorkerOut(Open):
    workerId: str
    hostname: str
    queues: list[str]
    concurrency: int
    seen: str


class QueueOut(BaseModel):
    queued: int
    messages: int


class WorkersOut(BaseModel):
    workers: list[WorkerOut]
    queues: dict[str, QueueOut]


class StatusOut(BaseModel):
    status: str


_WHY = {400: "a request the service refuses that is not one field's fault", 401: "no or an unknown token",
        403: "the token's role does not allow this", 404: "no such resource", 409: "a conflict with what exists",
        413: "the body is above its limit", 416: "offset beyond the end of the log",
        422: "a field is wrong (fields) or the task file is invalid (problems)",
        503: "Redis (store or broker) unreachable; Retry-After says when to try again"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries for the error statuses a route can answer."""
    return {code: {"model": ErrorOut, "description": _WHY[code]} for code in codes}


def v1_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """400 (an unreadable body, a bad Content-Length), 401, 403, 422 and 503 can come from any ``/v1`` route."""
    return errors(400, 401, 403, 422, 503, *(c for c in codes if c != 400))


def ok(model: type[BaseModel], description: str, code: int = 200) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": model, "description": description}}
