"""A task's source trigger and the decision "does this delivery start this task?".

:class:`SourceTrigger` is ACR's ``sourceTriggers[]`` entry plus two extensions ACR lacks (path filters and
tag pushes). Defaults are ACR's: commit trigger on, pull-request trigger off, status Enabled; the branch is
the context's ``#branch`` fragment, else ``main`` (ACR says ``master``; most default branches are ``main``
now, and :mod:`tasks_engine.source.spec` made the same choice for the fetch).

:func:`matches` checks, in this order, and reports the first failure as :class:`NoMatch`:

1. the trigger is enabled;
2. the repository: the trigger's canonical URL is one of the event's spellings (https, ssh, ``.git``);
3. the event kind: commits need the commit trigger, pull requests the pull-request trigger; a tag push
   needs ``tags_enabled`` and its tag must match ``tag_pattern`` (branch globs do not apply to tags);
4. the branch glob, against the pushed branch — for a pull request against the *base* (target) branch,
   because the trigger says which branch the task guards, and PRs are proposed changes to it;
5. path filters, against the changed files; unknown changed files (``None``) match, as the spec infers
   for truncated commit lists, and a pull request always has unknown files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tasks_engine.triggers.errors import TriggerConfigError
from tasks_engine.triggers.events import EventKind, SourceEvent
from tasks_engine.triggers.globs import PathFilter, compile_branch_glob, compile_path_filter
from tasks_engine.triggers.repourl import normalize_repository_url, split_context

__all__ = [
    "DEFAULT_BRANCH",
    "DEFAULT_SOURCE_TRIGGER_NAME",
    "Match",
    "NoMatch",
    "NoMatchCode",
    "SourceTrigger",
    "TriggerStatus",
    "matches",
    "source_trigger_from_context",
]

DEFAULT_BRANCH = "main"
DEFAULT_SOURCE_TRIGGER_NAME = "defaultSourceTriggerName"
_COMMIT_ID_RE = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")


class TriggerStatus(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"


@dataclass(frozen=True)
class SourceTrigger:
    """One source trigger; construction validates and normalises (``repository_url`` becomes the key)."""

    repository_url: str
    branch: str = DEFAULT_BRANCH
    path_filters: tuple[str, ...] = ()
    commit_enabled: bool = True
    pull_request_enabled: bool = False
    tags_enabled: bool = False
    tag_pattern: str = "*"
    status: TriggerStatus = TriggerStatus.ENABLED
    name: str = DEFAULT_SOURCE_TRIGGER_NAME
    _branch_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _tag_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _paths: PathFilter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "repository_url", normalize_repository_url(self.repository_url))
        object.__setattr__(self, "path_filters", tuple(self.path_filters))
        object.__setattr__(self, "status", TriggerStatus(self.status))
        branch_re = compile_branch_glob(self.branch, "branch")
        object.__setattr__(self, "branch", self.branch.strip().removeprefix("refs/heads/"))
        object.__setattr__(self, "_branch_re", branch_re)
        tag = self.tag_pattern.strip().removeprefix("refs/tags/") if isinstance(self.tag_pattern, str) else ""
        object.__setattr__(self, "_tag_re", compile_branch_glob(tag or "", "tagPattern"))
        object.__setattr__(self, "tag_pattern", tag)
        object.__setattr__(self, "_paths", compile_path_filter(self.path_filters, "pathFilters"))
        if not self.name or not isinstance(self.name, str):
            raise TriggerConfigError("name", "a source trigger needs a name")

    @property
    def enabled(self) -> bool:
        return self.status is TriggerStatus.ENABLED

    def branch_matches(self, branch: str) -> bool:
        return self._branch_re.fullmatch(branch) is not None

    def tag_matches(self, tag: str) -> bool:
        return self._tag_re.fullmatch(tag) is not None

    @property
    def path_filter(self) -> PathFilter:
        return self._paths

    def to_dict(self) -> dict[str, Any]:
        """ACR-like JSON (``sourceTriggerEvents`` lists ``commit``/``pullrequest``) plus our extensions."""
        events = [e.value for e, on in ((EventKind.COMMIT, self.commit_enabled),
                                         (EventKind.PULL_REQUEST, self.pull_request_enabled)) if on]
        return {
            "name": self.name,
            "sourceRepository": {"repositoryUrl": self.repository_url, "branch": self.branch},
            "sourceTriggerEvents": events,
            "status": self.status.value,
            "pathFilters": list(self.path_filters),
            "tagsEnabled": self.tags_enabled,
            "tagPattern": self.tag_pattern,
        }


def source_trigger_from_context(
    context: str,
    *,
    branch: str | None = None,
    path_filters: tuple[str, ...] | list[str] = (),
    commit_enabled: bool = True,
    pull_request_enabled: bool = False,
    tags_enabled: bool = False,
    tag_pattern: str = "*",
    status: TriggerStatus | str = TriggerStatus.ENABLED,
    name: str = DEFAULT_SOURCE_TRIGGER_NAME,
) -> SourceTrigger:
    """``task create --context URL#ref:folder …`` → trigger; the branch defaults to ``ref``, else ``main``.

    A context pinned to a commit id has no branch to watch: ``--branch`` is then required.
    """
    parts = split_context(context)
    chosen = branch
    if chosen is None:
        ref = parts.ref
        if ref is not None and _COMMIT_ID_RE.fullmatch(ref):
            raise TriggerConfigError(
                "branch", f"the context pins commit {ref}; give the branch to watch with --branch"
            )
        chosen = ref.removeprefix("refs/heads/") if ref else DEFAULT_BRANCH
    return SourceTrigger(
        repository_url=parts.url,
        branch=chosen,
        path_filters=tuple(path_filters),
        commit_enabled=commit_enabled,
        pull_request_enabled=pull_request_enabled,
        tags_enabled=tags_enabled,
        tag_pattern=tag_pattern,
        status=TriggerStatus(status),
        name=name,
    )


class NoMatchCode(StrEnum):
    DISABLED = "disabled"
    REPOSITORY = "repository"
    EVENT = "event"
    TAG = "tag"
    BRANCH = "branch"
    PATHS = "paths"


@dataclass(frozen=True)
class NoMatch:
    code: NoMatchCode
    reason: str

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class Match:
    """The delivery starts a run of the task; ``matched_paths`` is None when the files were unknown."""

    trigger: SourceTrigger
    event: SourceEvent
    matched_paths: tuple[str, ...] | None

    def __bool__(self) -> bool:
        return True

    @property
    def trigger_label(self) -> str:
        """The run's ``trigger`` column: ``Git Commit`` or ``Pull Request``."""
        return "Pull Request" if self.event.kind is EventKind.PULL_REQUEST else "Git Commit"

    @property
    def is_untrusted(self) -> bool:
        """A pull-request run: no task secrets, no push credentials unless the task opts in."""
        return self.event.kind is EventKind.PULL_REQUEST

    def coalesce_key(self, task: str) -> tuple[str, str, str, str]:
        """``(task, repository, ref, commit)``: one active run per key, however many hooks announce it."""
        return (task, self.event.repository_url, self.event.ref, self.event.commit)

    def source_trigger_record(self) -> dict[str, Any]:
        """ACR's ``sourceTrigger`` run property."""
        pr = self.event.pull_request
        return {
            "id": self.event.delivery_id,
            "eventType": self.event.kind.value,
            "commitId": self.event.commit,
            "pullRequestId": str(pr.number) if pr is not None else "",
            "repositoryUrl": self.event.repository_url,
            "branchName": self.event.run_branch,
            "providerType": self.event.provider.acr_provider_type,
        }


def matches(trigger: SourceTrigger, event: SourceEvent) -> Match | NoMatch:
    """Whether ``event`` starts a run of the task owning ``trigger`` (see the module docstring)."""
    if not trigger.enabled:
        return NoMatch(NoMatchCode.DISABLED, f"source trigger {trigger.name!r} is disabled")
    if trigger.repository_url not in event.repository_urls:
        return NoMatch(
            NoMatchCode.REPOSITORY, f"the delivery is for {event.repository_url}, not {trigger.repository_url}"
        )
    if event.kind is EventKind.PULL_REQUEST and not trigger.pull_request_enabled:
        return NoMatch(NoMatchCode.EVENT, "the pull-request trigger is disabled")
    if event.kind is EventKind.COMMIT and not trigger.commit_enabled:
        return NoMatch(NoMatchCode.EVENT, "the commit trigger is disabled")
    if event.is_tag:
        if not trigger.tags_enabled:
            return NoMatch(NoMatchCode.TAG, f"tag push {event.tag!r} ignored: tag triggers are off")
        if not trigger.tag_matches(event.tag or ""):
            return NoMatch(NoMatchCode.TAG, f"tag {event.tag!r} does not match {trigger.tag_pattern!r}")
    elif not trigger.branch_matches(event.target_branch):
        what = "target branch" if event.pull_request is not None else "branch"
        return NoMatch(NoMatchCode.BRANCH, f"{what} {event.target_branch!r} does not match {trigger.branch!r}")
    if event.changed_paths is None or not trigger.path_filters:
        return Match(trigger, event, event.changed_paths)
    matched = trigger.path_filter.matched(event.changed_paths)
    if not matched:
        count = len(event.changed_paths)
        return NoMatch(NoMatchCode.PATHS, f"none of the {count} changed files match the path filters")
    return Match(trigger, event, matched)
