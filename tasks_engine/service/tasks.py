"""Named tasks (ACR's task resource, spec §6.1): create, read, update, delete, and run one.

A task keeps a run-request template (``TaskRecord.step``, a ``RunRequest`` dict without per-run fields) and
its secret half apart (``TaskSecrets``, encrypted by the store). Running a task merges the caller's values
over the task's and goes through ``RunService.submit``, like every other way a run starts, so a rule of submit
holds for tasks too. ``TaskRecord.triggers`` is built by ``triggerdefs`` from the task's trigger settings and
indexed by the store (which tasks watch which repository) whenever a task is saved.

Why a task's context may not be an upload: uploads expire (``service.uploadTtl``) and a task runs again and
again, so its source must be something that stays: a git repository or a tarball URL, or none.
"""

from __future__ import annotations

import base64
import builtins
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from secrets import token_urlsafe
from typing import Any

from tasks_engine.errors import ConflictError, NotFoundError
from tasks_engine.service.depindex import index_task
from tasks_engine.service.quick import BuildRequest
from tasks_engine.service.runinput import (
    InvalidFieldError,
    RunInput,
    check_run_input,
    pairs_of,
    request_of,
    values_of,
)
from tasks_engine.service.triggerdefs import TriggerSettings, build_triggers, settings_of, source_enabled
from tasks_engine.service.usecases import RunService, Submission
from tasks_engine.source.errors import mask_url
from tasks_engine.store import Platform, RedisStore, RunRecord, RunRequest, RunType, TaskRecord, TaskSecrets, Trigger

TASK_NAME = re.compile(r"[A-Za-z0-9_-]{5,50}", re.ASCII)
TASK_TIMEOUT = (300, 28800)
TASK_STATUSES = ("Enabled", "Disabled")
DEFAULT_TIMEOUT = 3600


@dataclass(frozen=True, kw_only=True)
class TaskSpec(RunInput):
    """A task as its creator describes it: a run's inputs plus a name, a status, a timeout, its triggers
    (``triggerdefs``), a cap on its concurrent runs and the webhook secret that authenticates its pushes."""

    name: str
    status: str = "Enabled"
    timeout: int | None = DEFAULT_TIMEOUT
    triggers: TriggerSettings = field(default_factory=TriggerSettings)
    max_concurrent_runs: int | None = None
    webhook_secret: str | None = field(default=None, repr=False)


SPEC_FIELDS = frozenset(f.name for f in fields(TaskSpec))
TRIGGER_FIELDS = frozenset(f.name for f in fields(TriggerSettings))
SECRET_FIELDS = frozenset({"secret_values", "credentials", "git_token", "webhook_secret"})
ROTATE_WEBHOOK_SECRET = "rotate_webhook_secret"  # noqa: S105 - a field name
MAX_CONCURRENT_RUNS = 1000


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def check_task_name(name: str) -> None:
    if not TASK_NAME.fullmatch(name):
        raise InvalidFieldError("name", "5-50 characters of letters, digits, '_' and '-' (ACR's rule)")


def check_spec(spec: TaskSpec) -> None:
    check_task_name(spec.name)
    if spec.status not in TASK_STATUSES:
        raise InvalidFieldError("status", f"expected one of {', '.join(TASK_STATUSES)}")
    if spec.timeout is None:
        raise InvalidFieldError("timeout", "required")
    if spec.max_concurrent_runs is not None and not 1 <= spec.max_concurrent_runs <= MAX_CONCURRENT_RUNS:
        raise InvalidFieldError("maxConcurrentRuns", f"must be between 1 and {MAX_CONCURRENT_RUNS}")
    if spec.webhook_secret is not None and not (8 <= len(spec.webhook_secret) <= 256):
        raise InvalidFieldError("webhookSecret", "8-256 characters")
    check_run_input(spec, uploads=False, timeout=TASK_TIMEOUT)


def _build_of(data: dict[str, Any] | None, secret_build_args: tuple[str, ...] = ()) -> BuildRequest | None:
    if data is None:
        return None
    return BuildRequest(tags=tuple(data.get("tags") or ()), dockerfile=data.get("dockerfile"),
                      build_args=tuple(data.get("buildArgs") or ()), secret_build_args=secret_build_args,
                      target=data.get("target"),
                      platform=data.get("platform"), no_cache=bool(data.get("noCache")),
                      pull=bool(data.get("pull")), no_push=bool(data.get("noPush")))


def spec_of(record: TaskRecord, secrets: TaskSecrets) -> TaskSpec:
    """The spec a stored task was made from (the inverse of ``TaskService._record``)."""
    step = RunRequest.from_dict(record.step) if record.step else RunRequest(kind="cmd")
    return TaskSpec(
        name=record.name, status=record.status, timeout=record.timeout, kind=step.kind,
        task_file=step.task_file, task_text=step.encoded_task, cmd=step.cmd,
        build=_build_of(step.build, secrets.secret_build_args),
        context=step.context, values_file=step.values_file, values_text=step.encoded_values,
        values=values_of(step.set_values), secret_values=values_of(secrets.set_secrets),
        credentials=secrets.credentials, git_token=secrets.git_access_token, registry=step.registry,
        max_parallel=step.max_parallel, agent_pool=record.agent_pool_name,
        platform=str(record.platform), triggers=settings_of(record.triggers),
        max_concurrent_runs=record.max_concurrent_runs, webhook_secret=secrets.webhook_secret,
    )


def secrets_of(spec: TaskSpec, kept: TaskSecrets | None = None) -> TaskSecrets:
    webhook = spec.webhook_secret if spec.webhook_secret is not None else (kept.webhook_secret if kept else None)
    return TaskSecrets(set_secrets=pairs_of(spec.secret_values), credentials=spec.credentials,
                       git_access_token=spec.git_token, webhook_secret=webhook,
                       secret_build_args=spec.build.secret_build_args if spec.build else ())


def new_webhook_secret() -> str:
    return token_urlsafe(32)


def _b64(text: str | None) -> str | None:
    return None if text is None else base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass
class TaskService:
    store: RedisStore
    runs: RunService
    now: Callable[[], str] = field(default=_now_iso)
    deleted_hooks: builtins.list[Callable[[str], object]] = field(default_factory=builtins.list)
    """Told of a deleted task's name (the cascade forgets its decisions)."""

    def on_saved(self, record: TaskRecord | None, previous: TaskRecord | None) -> None:
        """Keep the trigger indexes in step with the task (``record`` None: it was deleted)."""
        index_task(self.store, record, previous)
        if record is None and previous is not None:
            for hook in self.deleted_hooks:
                hook(previous.name)

    # -- create, read, update, delete -------------------------------------------------------------------------

    def create(self, spec: TaskSpec) -> TaskRecord:
        return self.create_with_secret(spec)[0]

    def create_with_secret(self, spec: TaskSpec) -> tuple[TaskRecord, str | None]:
        """Create a task; the second value is the webhook secret generated for it (shown once), if any."""
        check_spec(spec)
        self._precheck(spec)
        stamp = self.now()
        record = self._record(spec, created=stamp, updated=stamp)
        generated = None
        if source_enabled(record.triggers) and not spec.webhook_secret:
            generated = new_webhook_secret()
            spec = replace(spec, webhook_secret=generated)
        if spec.webhook_secret:
            record.secret_names["webhookSecret"] = True
        if not self.store.create_task(record, secrets_of(spec)):
            raise ConflictError(f"a task named {spec.name!r} exists")
        self.on_saved(record, None)
        return record, generated

    def get(self, name: str) -> TaskRecord:
        record = self.store.get_task(name) if TASK_NAME.fullmatch(name) else None
        if record is None:
            raise NotFoundError(f"task {name!r} not found")
        return record

    def list(self) -> builtins.list[TaskRecord]:
        return self.store.list_tasks()

    def update(self, name: str, changes: Mapping[str, Any]) -> TaskRecord:
        return self.update_with_secret(name, changes)[0]

    def update_with_secret(self, name: str, changes: Mapping[str, Any]) -> tuple[TaskRecord, str | None]:
        """PATCH: only the fields in ``changes`` (``TaskSpec`` names; ``trigger.<name>`` for one trigger
        setting; ``rotate_webhook_secret``) change; ``values``/``secret_values`` given replace the stored ones.
        The creation date is kept. The second value is a webhook secret generated now (shown once): on
        rotation, or when the task gains a source trigger without one."""
        wanted = dict(changes)
        rotate = bool(wanted.pop(ROTATE_WEBHOOK_SECRET, False))
        trigger_changes = {k.removeprefix("trigger."): wanted.pop(k) for k in list(wanted) if k.startswith("trigger.")}
        unknown = sorted((set(wanted) - (SPEC_FIELDS - {"name"})) | (set(trigger_changes) - TRIGGER_FIELDS))
        if unknown:
            raise InvalidFieldError(unknown[0], "unknown field")
        record = self.get(name)
        kept = self.store.task_secrets(name)
        current = spec_of(record, kept)
        if "kind" in wanted:  # a new kind starts without the old kind's fields
            current = replace(current, task_file=None, task_text=None, cmd=None, build=None)
        spec = replace(current, **wanted)
        if trigger_changes:
            spec = replace(spec, triggers=replace(spec.triggers, **trigger_changes))
        check_spec(spec)
        self._precheck(spec)
        updated = self._record(spec, created=record.creation_date, updated=self.now(), previous=record.triggers)
        generated = None
        if rotate or (source_enabled(updated.triggers) and not spec.webhook_secret):
            if not updated.triggers.get("sourceTriggers"):
                raise InvalidFieldError("rotateWebhookSecret", "the task has no source trigger (no git context)")
            generated = new_webhook_secret()
            spec = replace(spec, webhook_secret=generated)
            wanted["webhook_secret"] = generated
        if spec.webhook_secret:
            updated.secret_names["webhookSecret"] = True
        self.store.save_task(updated, secrets_of(spec, kept) if SECRET_FIELDS & set(wanted) else None)
        self.on_saved(updated, record)
        return updated, generated

    def delete(self, name: str) -> None:
        record = self.store.get_task(name) if TASK_NAME.fullmatch(name) else None
        if not (record is not None and self.store.delete_task(name)):
            raise NotFoundError(f"task {name!r} not found")
        self.on_saved(None, record)

    # -- run ----------------------------------------------------------------------------------------------

    def run(self, name: str, *, values: Mapping[str, str] | None = None,
            secret_values: Mapping[str, str] | None = None, agent_pool: str | None = None,
            trigger: Trigger = Trigger.MANUAL, trigger_info: dict[str, Any] | None = None) -> RunRecord:
        """One run of the task: the caller's values over the task's (``az acr task run --set``)."""
        record = self.get(name)
        if record.status != "Enabled":
            raise ConflictError(f"task {name!r} is {record.status}; enable it to run it")
        stored = self.store.task_secrets(name)
        spec = spec_of(record, stored)
        spec = replace(spec, values={**spec.values, **(values or {})},
                       secret_values={**spec.secret_values, **(secret_values or {})},
                       agent_pool=agent_pool or spec.agent_pool)
        check_run_input(spec, uploads=False, timeout=TASK_TIMEOUT)
        return self.runs.submit(self._submission(spec, trigger=trigger, trigger_info=trigger_info))

    # -- helpers ------------------------------------------------------------------------------------------

    def _submission(self, spec: TaskSpec, *, trigger: Trigger = Trigger.MANUAL,
                    trigger_info: dict[str, Any] | None = None) -> Submission:
        request, secrets = request_of(spec, task_name=spec.name)
        return Submission(request=request, secrets=secrets,
                          run_type=RunType.AUTO_BUILD if spec.kind == "build" else RunType.AUTO_RUN,
                          trigger=trigger, task=spec.name, platform=Platform.parse(spec.platform),
                          agent_pool=spec.agent_pool, trigger_info=dict(trigger_info or {}))

    def _precheck(self, spec: TaskSpec) -> None:
        """An encoded, ``cmd`` or build task that cannot compile is refused when it is saved (HTTP 422), not
        at its first run."""
        self.runs.precheck(self._submission(spec))

    def _record(self, spec: TaskSpec, *, created: str, updated: str,
                previous: Mapping[str, Any] | None = None) -> TaskRecord:
        request, _ = request_of(replace(spec, timeout=None))
        names: dict[str, Any] = {"secretValues": sorted(spec.secret_values),
                                 "credentials": [c.registry for c in spec.credentials]}
        if spec.git_token:
            names["gitAccessToken"] = True
        return TaskRecord(name=spec.name, status=spec.status, platform=Platform.parse(spec.platform),
                          agent_pool_name=spec.agent_pool, timeout=spec.timeout or DEFAULT_TIMEOUT,
                          step=request.to_dict(), secret_names=names, creation_date=created,
                          last_updated_time=updated, max_concurrent_runs=spec.max_concurrent_runs,
                          triggers=build_triggers(spec.triggers, context=spec.context, previous=previous))


def describe_task(record: TaskRecord) -> dict[str, Any]:
    """A task as the API returns it: the fields it was created with (task text and values base64, as they
    were sent), ``secretNames`` instead of any secret, a context URL's credentials masked."""
    step = RunRequest.from_dict(record.step) if record.step else RunRequest(kind="cmd")
    return {
        "name": record.name, "status": record.status, "platform": record.platform.to_dict(),
        "agentPoolName": record.agent_pool_name, "timeout": record.timeout, "kind": step.kind,
        "taskFile": step.task_file, "encodedTask": _b64(step.encoded_task), "cmd": step.cmd,
        "build": step.build, "context": mask_url(step.context) if step.context else None,
        "values": values_of(step.set_values), "valuesFile": step.values_file,
        "encodedValues": _b64(step.encoded_values), "registry": step.registry or None,
        "maxParallel": step.max_parallel, "secretNames": dict(record.secret_names),
        "triggers": dict(record.triggers), "maxConcurrentRuns": record.max_concurrent_runs,
        "creationDate": record.creation_date, "lastUpdatedTime": record.last_updated_time,
    }

