"""Webhook deliveries (git forges, the registry) → runs, inline: authenticate, dedupe, route, submit.

Git forges (``POST /v1/webhooks/github|gitlab|generic``, service-spec §3.4), in order:

1. the raw body is parsed only to learn which repository it claims; the tasks watching that repository
   (an index kept when tasks are saved) are the candidates — every webhook-enabled task when the body is too
   malformed to name one, so that such a body is a 400 only for a sender holding some task's secret;
2. ``plan_delivery`` verifies the signature or token of each candidate in constant time: no candidate's
   secret verifies it → 401 without detail (the reason goes to the log and the metric);
3. a delivery id seen before (kept 31 days) → ``duplicate``, no run; an ignored event (ping, branch deletion,
   a tag nobody asked for, a closed pull request) → ``ignored``; both answer 200;
4. each matching task gets a run, unique per (task, repository, ref, commit) while it is active, so a second
   hook for the same commit (or a redelivery racing the first) is the same run;
5. the delivery id is remembered only after its runs exist: a delivery that failed half-way (Redis went away,
   503) is processed again when the forge redelivers it, and its unique keys keep it one run per task.

The registry (``POST /v1/webhooks/registry``): the header token the registry's configuration sends
(``Authorization: Bearer <service.registryWebhookToken>``) is compared in constant time; each manifest push of
a tag becomes an image update for the cascade (re-deliveries are duplicates there). A failure answers 503, so
the registry, which retries until it gets a 2xx, delivers the envelope again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from tasks_engine.errors import TriggerError
from tasks_engine.service.cascading import CascadeEngine
from tasks_engine.service.depindex import record_sightings
from tasks_engine.service.triggerdefs import source_trigger
from tasks_engine.service.triggered import TriggeredRun, TriggerRunner
from tasks_engine.store import RedisStore, TaskRecord, TaskSecrets, Trigger, UniqueKey
from tasks_engine.triggers import (
    EventKind,
    Provider,
    WebhookCandidate,
    parse_registry_notification,
    parse_webhook,
    plan_delivery,
    update_from_push,
)

_LOG = logging.getLogger(__name__)
HOOK_RUN_TTL = 7 * 86400.0


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _event_name(provider: Provider, headers: Mapping[str, str]) -> str:
    name = header(headers, "X-GitHub-Event" if provider is not Provider.GITLAB else "X-Gitlab-Event") or ""
    name = name.strip().lower().replace(" hook", "").replace(" ", "_")
    return name[:40] if name and name.replace("_", "").isalnum() else ("push" if provider is Provider.GENERIC
                                                                          else "unknown")


class WebhookService:
    def __init__(self, store: RedisStore, runner: TriggerRunner, cascade: CascadeEngine, *,
                 registry_token: str | None, registry_name: str | None = None,
                 delivery_ttl: float = 31 * 86400.0) -> None:
        self.delivery_ttl = delivery_ttl
        self.store = store
        self.runner = runner
        self.cascade = cascade
        self.registry_token = registry_token
        self.registry_name = registry_name

    def _count(self, provider: str, event: str, result: str) -> None:
        self.store.count("webhook_deliveries", (provider, event, result))

    def _candidates(self, provider: Provider, headers: Mapping[str, str], body: bytes
                    ) -> tuple[list[WebhookCandidate], dict[str, tuple[TaskRecord, TaskSecrets]]]:
        try:
            claimed = parse_webhook(provider, headers, body).repository_urls
            names = self.store.tasks_watching(sorted(claimed))
        except TriggerError:
            names = self.store.all_watching_tasks()
        loaded = {record.name: (record, secrets) for record, secrets in self.store.tasks_with_secrets(sorted(names))}
        candidates = []
        for name, (record, secrets) in sorted(loaded.items()):
            trigger = source_trigger(record.triggers)
            if trigger is not None:
                candidates.append(WebhookCandidate(name, trigger, secrets.webhook_secret))
        return candidates, loaded

    def git(self, provider: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """One forge delivery; raises ``TriggerError`` (401 unauthenticated, 400 malformed and signed)."""
        kind = Provider(provider)
        event = _event_name(kind, headers)
        candidates, loaded = self._candidates(kind, headers, body)
        try:
            plan = plan_delivery(kind, headers, body, candidates)
        except TriggerError as exc:
            self._count(kind.value, event, "unauthorized" if exc.status == 401 else "invalid")
            _LOG.info("%s webhook refused (%d): %s", kind.value, exc.status, exc)
            raise
        if self.store.delivery_seen(kind.value, plan.delivery_id):
            self._count(kind.value, event, "duplicate")
            return {"status": "duplicate", "deliveryId": plan.delivery_id, "runs": []}
        ignored = plan.ignored
        if ignored is not None:
            self.store.record_delivery(kind.value, plan.delivery_id, ttl=self.delivery_ttl)
            self._count(kind.value, event, "ignored")
            return {"status": "ignored", "deliveryId": plan.delivery_id, "reason": ignored.reason, "runs": []}
        items = []
        for match in plan.runs:
            trigger = (Trigger.PULL_REQUEST if match.match.event.kind is EventKind.PULL_REQUEST
                       else Trigger.GIT_COMMIT)
            items.append(TriggeredRun(
                task=match.task, trigger=trigger, info={"sourceTrigger": match.match.source_trigger_record()},
                commit=match.match.event.commit, branch=match.match.event.run_branch,
                untrusted=match.match.is_untrusted,
                unique=UniqueKey("hook|" + "|".join(match.match.coalesce_key(match.task)), "active", HOOK_RUN_TTL),
            ))
        outcomes = self.runner.submit(items, loaded)
        self.store.record_delivery(kind.value, plan.delivery_id, ttl=self.delivery_ttl)
        queued = [o for o in outcomes if o.status == "queued"]
        self._count(kind.value, event, "accepted" if queued else ("duplicate" if outcomes else "ignored"))
        if any(o.status == "existing" for o in outcomes):
            self.store.count("triggers_suppressed", ("coalesced",))
        return {
            "status": "accepted" if queued else ("duplicate" if outcomes else "ignored"),
            "deliveryId": plan.delivery_id,
            "runs": [o.to_dict() for o in outcomes],
            "skipped": [{"task": task, "code": no.code.value, "reason": no.reason} for task, no in plan.skipped],
        }

    # -- the registry ------------------------------------------------------------------------------------------

    def registry_authorized(self, headers: Mapping[str, str]) -> bool:
        expected = self.registry_token
        given = (header(headers, "Authorization") or "").strip()
        if not expected or not given.lower().startswith("bearer "):
            return False
        digest = hashlib.sha256(given[7:].strip().encode("utf-8", "surrogateescape")).digest()
        return hmac.compare_digest(digest, hashlib.sha256(expected.encode("utf-8")).digest())

    def registry(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if not self.registry_authorized(headers):
            self.store.count("registry_events", ("registry", "unauthorized"))
            raise TriggerError("registry notification without the configured token", status=401)
        try:
            notification = parse_registry_notification(body, header(headers, "Content-Type"),
                                                       registry=self.registry_name)
        except TriggerError:
            self.store.count("registry_events", ("registry", "invalid"))
            raise
        if notification.ignored:
            self.store.count("registry_events", ("registry", "ignored"), len(notification.ignored))
        if not notification.pushed:
            return {"status": "ignored", "pushes": 0, "ignored": len(notification.ignored), "queued": 0}
        record_sightings(self.store, [(p.image, p.digest, f"registry event {p.event_id}") for p in notification.pushed])
        decisions = self.cascade.on_updates([update_from_push(p) for p in notification.pushed])
        self.store.count("registry_events", ("registry", "push"), len(notification.pushed))
        return {"status": "accepted", "pushes": len(notification.pushed), "ignored": len(notification.ignored),
                "queued": len(decisions.queued), "scheduled": len(decisions.scheduled),
                "deferred": len(decisions.deferred), "suppressed": len(decisions.suppressed)}
