"""Request bodies -> the service's inputs: base64 decoded and size-checked, secrets split off, names mapped.

Pure functions (no I/O), so every rule here is unit-tested without a server. What a field *means* is checked
by the service (``check_run_input``); this module only turns the wire format into the service's types and
reports a field that cannot even be decoded.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from tasks_engine.api.models import (
    BuildBody,
    CredentialBody,
    RunBody,
    RunFields,
    TaskBody,
    TaskPatch,
    TimerBody,
    TriggerFields,
)
from tasks_engine.service.quick import BuildRequest
from tasks_engine.service.runinput import InvalidFieldError, RunInput, check_run_input, request_of
from tasks_engine.service.tasks import ROTATE_WEBHOOK_SECRET, TaskSpec
from tasks_engine.service.triggerdefs import TimerDef, TriggerSettings
from tasks_engine.service.usecases import Submission
from tasks_engine.store import Credential, Platform, RunType

_WHITESPACE = re.compile(rb"\s+")


def decode_text(field: str, value: str | None, *, max_bytes: int) -> str | None:
    """base64 (standard alphabet; line breaks allowed) of UTF-8 text, at most ``max_bytes`` decoded."""
    if value is None:
        return None
    try:
        raw = base64.b64decode(_WHITESPACE.sub(b"", value.encode("ascii")), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise InvalidFieldError(field, "not valid base64") from None
    if len(raw) > max_bytes:
        raise InvalidFieldError(field, f"decodes to {len(raw)} bytes, above the {max_bytes}-byte limit")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidFieldError(field, f"the decoded text is not UTF-8 (byte {exc.start})") from None


def build_input(body: BuildBody | None) -> BuildRequest | None:
    if body is None:
        return None
    return BuildRequest(tags=tuple(body.tags), dockerfile=body.dockerfile, build_args=tuple(body.buildArgs),
                      secret_build_args=tuple(body.secretBuildArgs), target=body.target, platform=body.platform,
                      no_cache=body.noCache, pull=body.pull, no_push=body.noPush)


def credentials_of(items: list[CredentialBody]) -> tuple[Credential, ...]:
    return tuple(Credential(registry=c.registry, username=c.username, password=c.password) for c in items)


def _common(body: RunFields, *, max_bytes: int) -> dict[str, Any]:
    return {
        "kind": body.kind, "task_file": body.taskFile,
        "task_text": decode_text("encodedTask", body.encodedTask, max_bytes=max_bytes), "cmd": body.cmd,
        "build": build_input(body.build), "context": body.context, "values_file": body.valuesFile,
        "values_text": decode_text("encodedValues", body.encodedValues, max_bytes=max_bytes),
        "values": dict(body.values), "secret_values": dict(body.secretValues),
        "credentials": credentials_of(body.credentials), "registry": body.registry or "",
        "max_parallel": body.maxParallel, "agent_pool": body.agentPool, "platform": body.platform,
    }


def run_input(body: RunBody, *, max_bytes: int) -> RunInput:
    run = RunInput(**_common(body, max_bytes=max_bytes), commit=body.commit or "", branch=body.branch or "",
                   timeout=body.timeout)
    check_run_input(run, uploads=True)
    return run


def submission(run: RunInput) -> Submission:
    """A quick run (``az acr build`` / ``az acr run``): QuickBuild for a build, QuickRun otherwise."""
    request, secrets = request_of(run)
    return Submission(request=request, secrets=secrets,
                      run_type=RunType.QUICK_BUILD if run.kind == "build" else RunType.QUICK_RUN,
                      platform=Platform.parse(run.platform), agent_pool=run.agent_pool)


_TRIGGER_NAMES = {
    "commitTriggerEnabled": "commit_enabled", "pullRequestTriggerEnabled": "pull_request_enabled",
    "branch": "branch", "pathFilters": "path_filters", "tagTriggerEnabled": "tags_enabled",
    "tagPattern": "tag_pattern", "pullRequestSecrets": "pull_request_secrets",
    "baseImageTriggerEnabled": "base_image_enabled", "baseImageTriggerType": "base_image_type", "timers": "timers",
}
# ``None`` for these means "not sent" in a PATCH; they have no null to clear.
_TRIGGER_NOT_NULL = {"pullRequestTriggerEnabled", "pathFilters", "tagTriggerEnabled", "tagPattern",
                     "pullRequestSecrets", "baseImageTriggerEnabled", "baseImageTriggerType", "timers"}


def timer_defs(items: list[TimerBody]) -> tuple[TimerDef, ...]:
    return tuple(TimerDef(name=t.name, schedule=t.schedule, enabled=t.enabled) for t in items)


def _trigger_value(name: str, value: Any) -> Any:
    if name == "timers":
        return timer_defs(value)
    if name == "pathFilters":
        return tuple(value)
    return value


def trigger_settings(body: TriggerFields) -> TriggerSettings:
    given = {_TRIGGER_NAMES[k]: _trigger_value(k, getattr(body, k)) for k in _TRIGGER_NAMES
             if getattr(body, k) is not None}
    return TriggerSettings(**given)


def task_spec(body: TaskBody, *, max_bytes: int) -> TaskSpec:
    return TaskSpec(**_common(body, max_bytes=max_bytes), name=body.name, status=body.status,
                    timeout=body.timeout, git_token=body.gitAccessToken, triggers=trigger_settings(body),
                    max_concurrent_runs=body.maxConcurrentRuns, webhook_secret=body.webhookSecret)


_PATCH_NAMES = {
    "kind": "kind", "taskFile": "task_file", "encodedTask": "task_text", "cmd": "cmd", "build": "build",
    "context": "context", "values": "values", "secretValues": "secret_values", "encodedValues": "values_text",
    "valuesFile": "values_file", "registry": "registry", "maxParallel": "max_parallel", "agentPool": "agent_pool",
    "platform": "platform", "credentials": "credentials", "timeout": "timeout", "status": "status",
    "gitAccessToken": "git_token", "maxConcurrentRuns": "max_concurrent_runs", "webhookSecret": "webhook_secret",
    "rotateWebhookSecret": ROTATE_WEBHOOK_SECRET,
}
_NOT_NULL = {"kind", "values", "secretValues", "credentials", "timeout", "status"}


def task_changes(body: TaskPatch, *, max_bytes: int) -> dict[str, Any]:
    """Only the fields the client sent (``null`` clears an optional field), as ``TaskSpec`` names."""
    changes: dict[str, Any] = {}
    for name in sorted(body.model_fields_set):
        value = getattr(body, name)
        if value is None and (name in _NOT_NULL or name in _TRIGGER_NOT_NULL):
            raise InvalidFieldError(name, "may not be null")
        if name in _TRIGGER_NAMES:
            changes[f"trigger.{_TRIGGER_NAMES[name]}"] = _trigger_value(name, value) if value is not None else None
            continue
        if name in ("encodedTask", "encodedValues"):
            value = decode_text(name, value, max_bytes=max_bytes)
        elif name == "build":
            value = build_input(value)
        elif name == "credentials":
            value = credentials_of(value)
        elif name in ("values", "secretValues"):
            value = dict(value)
        elif name == "registry":
            value = value or ""
        changes[_PATCH_NAMES[name]] = value
    return changes
