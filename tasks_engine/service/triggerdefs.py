"""A named task's triggers as stored (``TaskRecord.triggers``, ACR's shape) and as the pure core needs them.

Stored shape, ACR's ``TaskProperties.trigger`` in its JSON names plus our extensions (path filters, tag
pushes, pull-request secrets, each timer's creation time)::

    {"sourceTriggers": [{"name", "sourceRepository": {"repositoryUrl", "branch"}, "sourceTriggerEvents":
                         ["commit", "pullrequest"], "status", "pathFilters", "tagsEnabled", "tagPattern",
                         "branchFromContext", "pullRequestSecrets"}],
     "baseImageTrigger": {"name", "status", "baseImageTriggerType"},
     "timerTriggers": [{"name", "schedule", "status", "createdAt"}]}

Why the defaults are ACR's: a task with a git context gets a commit trigger (ACR's ``commit_trigger_enabled
True``), pull-request triggers are off (ACR disabled them for the secret-leak risk), the base-image trigger is
on with type ``Runtime``. A context that is not a git repository (none, a tarball) has no source trigger: as
``az acr task create --context /dev/null`` does, the commit and pull-request settings are then off.
The branch follows the context's ``#branch`` fragment (``main`` when there is none) unless ``--branch`` set a
glob, which then stays when the context changes.

Every setting is validated by the pure core, whose ``TriggerConfigError`` names the field (``branch``,
``pathFilters[1]``, ``timers[0].schedule``); the API answers it with 422 and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tasks_engine.service.runinput import InvalidFieldError
from tasks_engine.source import ContextKind, parse_context
from tasks_engine.source.errors import ContextError
from tasks_engine.triggers import (
    BaseImageTrigger,
    BaseImageTriggerType,
    SourceTrigger,
    TimerTrigger,
    TriggerConfigError,
    TriggerStatus,
    parse_cron,
    source_trigger_from_context,
    validate_timer_name,
    validate_timers,
)

ENABLED, DISABLED = "Enabled", "Disabled"
TRIGGER_TYPES = tuple(t.value for t in BaseImageTriggerType)


@dataclass(frozen=True, kw_only=True)
class TimerDef:
    """One timer as a task keeps it; ``created`` (ISO UTC) bounds the first tick: no occurrence before the
    timer existed ever runs."""

    name: str
    schedule: str
    enabled: bool = True
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "schedule": self.schedule, "status": ENABLED if self.enabled else DISABLED,
                "createdAt": self.created}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimerDef:
        return cls(name=str(data["name"]), schedule=str(data["schedule"]),
                   enabled=str(data.get("status", ENABLED)) == ENABLED, created=str(data.get("createdAt") or ""))


@dataclass(frozen=True, kw_only=True)
class TriggerSettings:
    """What a task's creator says about its triggers (``task create``/``update`` flags, API fields)."""

    commit_enabled: bool | None = None
    """None: ACR's default, on for a git context."""
    pull_request_enabled: bool = False
    branch: str | None = None
    """A branch glob; None: the context's ``#branch`` (else ``main``)."""
    path_filters: tuple[str, ...] = ()
    tags_enabled: bool = False
    tag_pattern: str = "*"
    pull_request_secrets: bool = False
    base_image_enabled: bool = True
    base_image_type: str = BaseImageTriggerType.RUNTIME.value
    timers: tuple[TimerDef, ...] = ()


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _field(exc: TriggerConfigError, field: str | None = None) -> InvalidFieldError:
    return InvalidFieldError(field or exc.field, exc.reason)


def is_git_context(context: str | None) -> bool:
    if not context:
        return False
    try:
        return parse_context(context).kind is ContextKind.GIT
    except (ContextError, ValueError):
        return False


def check_timers(timers: Sequence[TimerDef]) -> tuple[TimerTrigger, ...]:
    parsed: list[TimerTrigger] = []
    for i, timer in enumerate(timers):
        try:
            validate_timer_name(timer.name, field=f"timers[{i}].name")
            schedule = parse_cron(timer.schedule, field=f"timers[{i}].schedule")
        except TriggerConfigError as exc:
            raise _field(exc) from None
        parsed.append(TimerTrigger(timer.name, schedule, timer.enabled))
    try:
        return validate_timers(parsed)
    except TriggerConfigError as exc:
        raise _field(exc) from None


def build_triggers(settings: TriggerSettings, *, context: str | None,
                   previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stored ``triggers`` of a task (validated); ``previous`` keeps timers' creation times."""
    out: dict[str, Any] = {}
    commit = settings.commit_enabled
    if is_git_context(context):
        assert context is not None
        commit = True if commit is None else commit
        try:
            trigger = source_trigger_from_context(
                context, branch=settings.branch, path_filters=settings.path_filters, commit_enabled=commit,
                pull_request_enabled=settings.pull_request_enabled, tags_enabled=settings.tags_enabled,
                tag_pattern=settings.tag_pattern or "*",
            )
        except TriggerConfigError as exc:
            raise _field(exc, "context" if exc.field == "repositoryUrl" else None) from None
        enabled = commit or settings.pull_request_enabled or settings.tags_enabled
        out["sourceTriggers"] = [{**trigger.to_dict(), "status": ENABLED if enabled else DISABLED,
                                  "branchFromContext": settings.branch is None,
                                  "pullRequestSecrets": settings.pull_request_secrets}]
    if settings.base_image_type not in TRIGGER_TYPES:
        raise InvalidFieldError("baseImageTriggerType", f"expected one of {', '.join(TRIGGER_TYPES)}")
    out["baseImageTrigger"] = {"name": BaseImageTrigger().name,
                               "status": ENABLED if settings.base_image_enabled else DISABLED,
                               "baseImageTriggerType": settings.base_image_type}
    check_timers(settings.timers)
    created = {t.name.lower(): t.created for t in timers_of(previous or {})}
    stamped = [TimerDef(name=t.name, schedule=t.schedule, enabled=t.enabled,
                        created=t.created or created.get(t.name.lower()) or _now_iso()) for t in settings.timers]
    if stamped:
        out["timerTriggers"] = [t.to_dict() for t in stamped]
    return out


def settings_of(triggers: Mapping[str, Any]) -> TriggerSettings:
    """The settings a stored ``triggers`` was built from (the inverse of :func:`build_triggers`)."""
    source = _source_dict(triggers)
    base = triggers.get("baseImageTrigger") or {}
    events = set(source.get("sourceTriggerEvents") or ()) if source else set()
    return TriggerSettings(
        commit_enabled=("commit" in events) if source else None,
        pull_request_enabled="pullrequest" in events,
        branch=None if not source or source.get("branchFromContext", True)
        else str((source.get("sourceRepository") or {}).get("branch") or ""),
        path_filters=tuple(source.get("pathFilters") or ()) if source else (),
        tags_enabled=bool(source.get("tagsEnabled")) if source else False,
        tag_pattern=str(source.get("tagPattern") or "*") if source else "*",
        pull_request_secrets=bool(source.get("pullRequestSecrets")) if source else False,
        base_image_enabled=str(base.get("status", ENABLED)) == ENABLED,
        base_image_type=str(base.get("baseImageTriggerType") or BaseImageTriggerType.RUNTIME.value),
        timers=timers_of(triggers),
    )


def _source_dict(triggers: Mapping[str, Any]) -> dict[str, Any]:
    sources = triggers.get("sourceTriggers") or []
    return dict(sources[0]) if sources and isinstance(sources[0], Mapping) else {}


def source_trigger(triggers: Mapping[str, Any]) -> SourceTrigger | None:
    """The core's ``SourceTrigger`` of a stored task, or None when it has none."""
    source = _source_dict(triggers)
    if not source:
        return None
    repo = source.get("sourceRepository") or {}
    events = set(source.get("sourceTriggerEvents") or ())
    return SourceTrigger(
        repository_url=str(repo["repositoryUrl"]), branch=str(repo.get("branch") or "main"),
        path_filters=tuple(source.get("pathFilters") or ()), commit_enabled="commit" in events,
        pull_request_enabled="pullrequest" in events, tags_enabled=bool(source.get("tagsEnabled")),
        tag_pattern=str(source.get("tagPattern") or "*"), status=TriggerStatus(str(source.get("status") or ENABLED)),
        name=str(source.get("name") or "defaultSourceTriggerName"),
    )


def source_enabled(triggers: Mapping[str, Any]) -> bool:
    """Whether the task has an enabled source trigger (webhooks can start it: it needs a secret)."""
    return str(_source_dict(triggers).get("status") or "") == ENABLED


def repository_key(triggers: Mapping[str, Any]) -> str | None:
    source = _source_dict(triggers)
    return str((source.get("sourceRepository") or {}).get("repositoryUrl") or "") or None if source else None


def pull_request_secrets(triggers: Mapping[str, Any]) -> bool:
    return bool(_source_dict(triggers).get("pullRequestSecrets"))


def base_image_trigger(triggers: Mapping[str, Any]) -> BaseImageTrigger:
    base = triggers.get("baseImageTrigger") or {}
    return BaseImageTrigger(enabled=str(base.get("status", ENABLED)) == ENABLED,
                            trigger_type=BaseImageTriggerType(base.get("baseImageTriggerType") or "Runtime"))


def timers_of(triggers: Mapping[str, Any]) -> tuple[TimerDef, ...]:
    return tuple(TimerDef.from_dict(t) for t in triggers.get("timerTriggers") or () if isinstance(t, Mapping))
