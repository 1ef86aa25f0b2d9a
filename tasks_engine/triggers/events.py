"""What a git webhook delivery means, independent of the forge that sent it.

Parsers (:mod:`.github`, :mod:`.gitlab`, :mod:`.generic`) turn a delivery into a :class:`SourceEvent` (a commit
or pull request that may start runs) or an :class:`Ignored` (a valid delivery that starts nothing: ``ping``, a
deleted branch, a closed pull request, an event we do not build on). Tag policy is *not* decided here: a tag
push is a ``SourceEvent`` with ``is_tag=True`` and matching decides whether a trigger wants tags.

Both carry ``repository_urls``: every spelling of the repository the payload gave (clone, ssh, web URL),
normalised. Matching compares a trigger's normalised URL against that set, and authentication uses it to
find the tasks whose secret must verify the delivery — also for ``Ignored`` deliveries, so a forged ping is
answered 401 like any other forged delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tasks_engine.triggers.errors import InvalidRepositoryUrlError, bad_request
from tasks_engine.triggers.repourl import normalize_repository_url

__all__ = ["EventKind", "Ignored", "Provider", "PullRequest", "SourceEvent", "WebhookResult", "repository_urls"]


class Provider(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    GENERIC = "generic"

    @property
    def acr_provider_type(self) -> str:
        """``sourceTrigger.providerType`` as ACR spells source-control types."""
        return {"github": "Github", "gitlab": "GitLab", "generic": "Generic"}[self.value]


class EventKind(StrEnum):
    """ACR's ``sourceTriggerEvents`` values."""

    COMMIT = "commit"
    PULL_REQUEST = "pullrequest"


@dataclass(frozen=True)
class PullRequest:
    """The pull/merge request part of a ``pullrequest`` event.

    ``from_fork`` is True when the head lives in another repository (or that repository is gone): such runs
    must not receive task secrets or push credentials (ACR ships PR triggers off for this reason).
    """

    number: int
    action: str
    head_branch: str
    base_branch: str
    head_clone_url: str
    from_fork: bool
    title: str = ""


@dataclass(frozen=True)
class SourceEvent:
    """A push or pull-request delivery that may start runs.

    * ``repository_url`` — canonical key of the repository the hook belongs to (the PR's *base* repository);
      ``repository_urls`` — every canonical spelling found in the payload (contains ``repository_url``).
    * ``clone_url`` — the URL to fetch ``commit`` from, as the forge gave it (for a fork PR: the fork).
    * ``branch`` — the pushed branch, or for a PR the head (source) branch; empty for a tag push.
    * ``ref`` — the full ref (``refs/heads/main``, ``refs/tags/v1``; PRs: ``refs/pull/N/head`` on GitHub,
      ``refs/merge-requests/N/head`` on GitLab), for the clone step.
    * ``commit`` / ``before`` — the commit to build and the previous head (None when the ref was created).
    * ``changed_paths`` — the files the push changed, or None when unknown (truncated commit list, a new
      branch, a PR): path filters then match, because unknown changes may touch the filtered paths.
    """

    provider: Provider
    kind: EventKind
    event_name: str
    delivery_id: str
    repository_url: str
    repository_urls: frozenset[str]
    clone_url: str
    ref: str
    branch: str
    commit: str
    before: str | None = None
    changed_paths: tuple[str, ...] | None = None
    is_tag: bool = False
    tag: str | None = None
    pull_request: PullRequest | None = None
    sender: str = ""

    @property
    def target_branch(self) -> str:
        """The branch a trigger's branch glob is matched against: the PR's base branch, else ``branch``."""
        return self.pull_request.base_branch if self.pull_request is not None else self.branch

    @property
    def run_branch(self) -> str:
        """``.Run.Branch`` for the run: the pushed branch, the PR head branch, or the tag name."""
        if self.is_tag:
            return self.tag or ""
        return self.branch


@dataclass(frozen=True)
class Ignored:
    """A well-formed delivery that starts nothing; ``reason`` is for the 200 answer and the logs."""

    provider: Provider
    event_name: str
    reason: str
    delivery_id: str
    repository_urls: frozenset[str] = frozenset()


WebhookResult = SourceEvent | Ignored


def repository_urls(primary: str, *others: str | None, where: str) -> tuple[str, frozenset[str]]:
    """Normalise the primary URL (a bad one is a 400) and every other spelling that parses (others may be
    absent or unusable, e.g. an ``svn_url``); return the primary key and the set of all keys."""
    try:
        key = normalize_repository_url(primary)
    except InvalidRepositoryUrlError as exc:
        raise bad_request(f"{where}: {exc.reason}") from exc
    keys = {key}
    keys.update(_try_normalize(others))
    return key, frozenset(keys)


def _try_normalize(urls: Iterable[str | None]) -> set[str]:
    out: set[str] = set()
    for url in urls:
        if not url:
            continue
        try:
            out.add(normalize_repository_url(url))
        except InvalidRepositoryUrlError:
            continue
    return out
