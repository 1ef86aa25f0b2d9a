"""A trigger's decision → runs of named tasks, through ``RunService.submit_many`` like every other run.

Rules every trigger source shares, applied here once:

* a ``Disabled`` task never starts (``tasks_engine_triggers_suppressed_total{reason="disabled"}``; the claim
  checks again, for a task disabled after its run was queued);
* the run is the task's own run request (values, secrets, credentials, pool, platform) with what the trigger
  adds: a commit and branch (``.Run.Commit``, ``.Run.Branch``), the context pinned to that commit, ACR's
  ``sourceTrigger``/``imageUpdateTrigger``/``timerTrigger`` record;
* a pull-request run is *untrusted* unless the task opted in (``pullRequestSecrets``): no task secrets (set
  secrets, secret build arguments), no registry credentials — neither the task's nor the engine's
  ``registries`` — so code proposed by a stranger can neither read nor push with them (ACR shipped PR
  triggers off for this risk). The git access token stays: it only clones, and never reaches a step;
* exactly-once keys: a webhook run is unique per (task, repository, ref, commit) while active, a timer run
  per occurrence forever, a cascade run per outbox entry; a second attempt finds the first run.
* the task was checked when it was saved, so triggered runs are not compiled again before they are queued
  (a thousand image-update runs must not compile a thousand task files in the API process).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tasks_engine.service.runinput import request_of
from tasks_engine.service.tasks import TaskSpec, spec_of
from tasks_engine.service.triggerdefs import pull_request_secrets
from tasks_engine.service.usecases import RunService, Submission
from tasks_engine.store import Platform, RedisStore, RunType, TaskRecord, TaskSecrets, Trigger, UniqueKey
from tasks_engine.triggers import split_context

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TriggeredRun:
    task: str
    trigger: Trigger
    info: dict[str, Any] = field(default_factory=dict)
    commit: str = ""
    branch: str = ""
    untrusted: bool = False
    unique: UniqueKey | None = None
    outbox: str | None = None


@dataclass(frozen=True)
class Outcome:
    """``queued`` (a new run), ``existing`` (its key's run exists), ``disabled`` or ``missing`` (no run)."""

    item: TriggeredRun
    status: str
    run_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.item.task, "status": self.status, "runId": self.run_id or None}


def context_at_commit(context: str | None, commit: str) -> str | None:
    """``repo.git#main:app`` → ``repo.git#<commit>:app``: the run builds the pushed commit, not the branch's
    tip at the time a worker gets to it."""
    if not context or not commit:
        return context
    parts = split_context(context)
    return f"{parts.url}#{commit}" + (f":{parts.folder}" if parts.folder else "")


def untrusted_spec(spec: TaskSpec) -> TaskSpec:
    build = replace(spec.build, secret_build_args=()) if spec.build else None
    return replace(spec, secret_values={}, credentials=(), build=build)


class TriggerRunner:
    def __init__(self, store: RedisStore, runs: RunService) -> None:
        self.store = store
        self.runs = runs

    def submit(self, items: Sequence[TriggeredRun],
               tasks: Mapping[str, tuple[TaskRecord, TaskSecrets]] | None = None) -> list[Outcome]:
        """Queue ``items`` (one store round trip, one broker connection); ``tasks`` spares a second read of
        tasks the caller loaded already."""
        if not items:
            return []
        known = dict(tasks or {})
        missing = sorted({i.task for i in items} - set(known))
        if missing:
            known.update({r.name: (r, s) for r, s in self.store.tasks_with_secrets(missing)})
        outcomes: list[Outcome | None] = []
        subs: list[Submission] = []
        dropped: list[str] = []
        for item in items:
            found = known.get(item.task)
            if found is None or found[0].status != "Enabled":
                status = "missing" if found is None else "disabled"
                outcomes.append(Outcome(item, status))
                self.store.count("triggers_suppressed", ("disabled",))
                if item.outbox:
                    dropped.append(item.outbox)
                continue
            outcomes.append(None)
            subs.append(self._submission(item, *found))
        if dropped:
            self.store.drop_outbox(dropped)
        created = iter(self.runs.submit_many(subs, precheck=False, brief=True))
        result: list[Outcome] = []
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome is not None:
                result.append(outcome)
                continue
            made = next(created)
            if made.created:
                result.append(Outcome(item, "queued", made.run_id))
            else:
                result.append(Outcome(item, "existing", made.existing))
        return result

    def _submission(self, item: TriggeredRun, record: TaskRecord, secrets: TaskSecrets) -> Submission:
        spec = spec_of(record, secrets)
        untrusted = item.untrusted and not pull_request_secrets(record.triggers)
        if untrusted:
            spec = untrusted_spec(spec)
        request, run_secrets = request_of(spec, task_name=record.name)
        request = replace(request, timeout=record.timeout, commit=item.commit or request.commit,
                          branch=item.branch or request.branch, untrusted=untrusted,
                          context=context_at_commit(request.context, item.commit))
        return Submission(request=request, secrets=run_secrets,
                          run_type=RunType.AUTO_BUILD if spec.kind == "build" else RunType.AUTO_RUN,
                          trigger=item.trigger, task=record.name, platform=Platform.parse(spec.platform),
                          agent_pool=spec.agent_pool, trigger_info=dict(item.info), unique=item.unique,
                          outbox=item.outbox)
