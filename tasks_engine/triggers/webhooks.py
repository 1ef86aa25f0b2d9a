"""One entry point per step of a git webhook delivery: authenticate, parse, route to tasks.

The API's handler is then, in order (service-spec §3.4)::

    plan = plan_delivery(provider, headers, raw_body, candidates)   # 401 / 400 raised as TriggerError
    # persist (provider, plan.delivery_id) with a UNIQUE key; a conflict → 200 {"status": "duplicate"}
    # for each plan.runs: submit a run, coalescing on match.coalesce_key(task)

Authentication is per task: a delivery starts the tasks *whose* webhook secret verifies it. The body is
parsed before it is verified, only to learn which repository it claims, because that decides which secrets
to try; nothing is acted on before a secret verifies. A body too malformed to name a repository is a 400
only when some candidate's secret verifies it (pass every webhook-enabled task for that), else a 401. A
delivery with no credentials header, for a repository no task watches, or that no candidate's secret
verifies is a 401 (the message is for the logs, the client gets no detail). A task without a webhook secret
cannot be triggered by webhooks at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tasks_engine.errors import TriggerError
from tasks_engine.triggers._payload import header
from tasks_engine.triggers.events import Ignored, Provider, WebhookResult
from tasks_engine.triggers.generic import parse_generic
from tasks_engine.triggers.github import parse_github
from tasks_engine.triggers.gitlab import parse_gitlab
from tasks_engine.triggers.matching import Match, NoMatch, SourceTrigger, matches
from tasks_engine.triggers.signatures import (
    GITHUB_SIGNATURE_HEADER,
    GITLAB_TOKEN_HEADER,
    verify_generic_signature,
    verify_github_signature,
    verify_gitlab_token,
)

__all__ = [
    "DeliveryPlan",
    "TaskMatch",
    "WebhookCandidate",
    "credentials_header",
    "parse_webhook",
    "plan_delivery",
    "verify_webhook",
]

_PARSERS: Mapping[Provider, Callable[[Mapping[str, str], bytes], WebhookResult]] = {
    Provider.GITHUB: parse_github,
    Provider.GITLAB: parse_gitlab,
    Provider.GENERIC: parse_generic,
}


def credentials_header(provider: Provider | str, headers: Mapping[str, str]) -> str | None:
    """The header carrying the signature or token for ``provider``, or None when it is absent or empty."""
    name = GITLAB_TOKEN_HEADER if Provider(provider) is Provider.GITLAB else GITHUB_SIGNATURE_HEADER
    value = header(headers, name)
    return value if value else None


def verify_webhook(provider: Provider | str, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Constant-time check of the delivery's signature (GitHub, generic) or token (GitLab) for one secret."""
    kind = Provider(provider)
    value = credentials_header(kind, headers)
    if kind is Provider.GITLAB:
        return verify_gitlab_token(value, secret)
    if kind is Provider.GENERIC:
        return verify_generic_signature(body, value, secret)
    return verify_github_signature(body, value, secret)


def parse_webhook(provider: Provider | str, headers: Mapping[str, str], body: bytes) -> WebhookResult:
    """Parse a delivery of ``provider`` (unauthenticated: call :func:`plan_delivery` to act on it)."""
    try:
        kind = Provider(provider)
    except ValueError as exc:
        raise TriggerError(f"unknown webhook provider {provider!r}", status=404) from exc
    return _PARSERS[kind](headers, body)


@dataclass(frozen=True)
class WebhookCandidate:
    """A task that may be started by webhooks: its name, its source trigger and its webhook secret."""

    task: str
    trigger: SourceTrigger
    secret: str | None


@dataclass(frozen=True)
class TaskMatch:
    task: str
    match: Match


@dataclass(frozen=True)
class DeliveryPlan:
    """What an authenticated delivery does: nothing (``ignored``), or start ``runs``.

    ``skipped`` lists the verified tasks that did not match and why (for the delivery log and metrics).
    """

    provider: Provider
    delivery_id: str
    result: WebhookResult
    verified_tasks: tuple[str, ...]
    runs: tuple[TaskMatch, ...] = ()
    skipped: tuple[tuple[str, NoMatch], ...] = ()

    @property
    def ignored(self) -> Ignored | None:
        return self.result if isinstance(self.result, Ignored) else None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """``(provider, delivery id)``: keep it ≥ 30 days; a second sighting answers 200 duplicate."""
        return (self.provider.value, self.delivery_id)


def _unauthorized(message: str) -> TriggerError:
    return TriggerError(message, status=401)


def plan_delivery(
    provider: Provider | str,
    headers: Mapping[str, str],
    body: bytes,
    candidates: Iterable[WebhookCandidate],
) -> DeliveryPlan:
    """Authenticate, parse and route one delivery (see the module docstring for the rules).

    ``candidates`` may be every webhook-enabled task or only those of the claimed repository; tasks of
    other repositories are filtered out here.
    """
    kind = Provider(provider)
    if credentials_header(kind, headers) is None:
        raise _unauthorized(f"{kind.value} delivery without {_credential_name(kind)}")
    candidates = list(candidates)
    try:
        result = parse_webhook(kind, headers, body)
    except TriggerError as exc:
        # A malformed body names no repository: it is a 400 only for a sender who holds some task's secret.
        if any(c.secret and verify_webhook(kind, headers, body, c.secret) for c in candidates):
            raise
        raise _unauthorized(f"{kind.value} delivery: malformed and not signed by any task's secret") from exc
    same_repo = [c for c in candidates if c.trigger.repository_url in result.repository_urls]
    if not same_repo:
        raise _unauthorized(f"{kind.value} delivery for a repository no task watches")
    verified = [c for c in same_repo if c.secret and verify_webhook(kind, headers, body, c.secret)]
    if not verified:
        raise _unauthorized(f"{kind.value} delivery: no task's webhook secret verifies it")
    names = tuple(c.task for c in verified)
    if isinstance(result, Ignored):
        return DeliveryPlan(kind, result.delivery_id, result, names)
    runs: list[TaskMatch] = []
    skipped: list[tuple[str, NoMatch]] = []
    for candidate in verified:
        outcome = matches(candidate.trigger, result)
        if isinstance(outcome, Match):
            runs.append(TaskMatch(candidate.task, outcome))
        else:
            skipped.append((candidate.task, outcome))
    return DeliveryPlan(kind, result.delivery_id, result, names, tuple(runs), tuple(skipped))


def _credential_name(kind: Provider) -> str:
    return GITLAB_TOKEN_HEADER if kind is Provider.GITLAB else GITHUB_SIGNATURE_HEADER

