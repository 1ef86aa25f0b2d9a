"""GitLab deliveries (``Push Hook``, ``Tag Push Hook``, ``Merge Request Hook``) → events.

* The event is ``X-Gitlab-Event``; a ``System Hook`` carries the same bodies and is dispatched on
  ``object_kind``. The replay key is ``Idempotency-Key`` (the same UUID on retries), else
  ``X-Gitlab-Event-UUID``; ``X-Gitlab-Webhook-UUID`` changes per attempt and is therefore not used.
* Push: the commit is ``checkout_sha`` (for an annotated tag ``after`` is the tag object, not a commit);
  a null ``checkout_sha`` or an all-zero ``after`` is a deletion and is ignored. ``commits`` holds at most
  20 entries, so changed paths are unknown (None) when ``total_commits_count`` is larger, or the list empty.
* Merge request: ``open``, ``reopen`` build ``object_attributes.last_commit.id``; ``update`` builds only
  when ``oldrev`` is present (the update added commits; a title edit sends ``update`` too); other actions
  (``close``, ``merge``, ``approved`` …) are ignored. The repository is the *target* project.
"""

from __future__ import annotations

from collections.abc import Mapping

from tasks_engine.triggers._payload import Fields, decode_json_object, header
from tasks_engine.triggers.errors import bad_request
from tasks_engine.triggers.events import (
    EventKind,
    Ignored,
    Provider,
    PullRequest,
    SourceEvent,
    WebhookResult,
    repository_urls,
)

__all__ = ["GITLAB_COMMIT_LIST_CAP", "MR_BUILD_ACTIONS", "parse_gitlab"]

GITLAB_COMMIT_LIST_CAP = 20
MR_BUILD_ACTIONS = frozenset({"open", "update", "reopen"})
_P = Provider.GITLAB
_KIND_BY_EVENT = {"Push Hook": "push", "Tag Push Hook": "tag_push", "Merge Request Hook": "merge_request"}


def parse_gitlab(headers: Mapping[str, str], body: bytes) -> WebhookResult:
    """Parse one GitLab delivery; a malformed one raises ``TriggerError`` (400)."""
    event = (header(headers, "X-Gitlab-Event") or "").strip()
    if not event:
        raise bad_request("missing X-Gitlab-Event header")
    delivery = (header(headers, "Idempotency-Key") or header(headers, "X-Gitlab-Event-UUID") or "").strip()
    if not delivery:
        raise bad_request("missing Idempotency-Key (or X-Gitlab-Event-UUID) header")
    payload = decode_json_object(body, f"GitLab {event}")
    kind = _KIND_BY_EVENT.get(event)
    if event == "System Hook":
        kind = payload.opt_text("object_kind") or payload.opt_text("event_name")
    if kind in ("push", "tag_push"):
        return _push(payload, delivery, event)
    if kind == "merge_request":
        return _merge_request(payload, delivery, event)
    return Ignored(_P, event, f"GitLab event {event!r} does not trigger runs", delivery, _repo_keys(payload))


def _project_keys(project: Fields) -> tuple[str, frozenset[str]]:
    primary = project.opt_text("git_http_url") or project.opt_text("http_url") or project.text("git_ssh_url")
    return repository_urls(
        primary,
        project.opt_text("git_ssh_url"),
        project.opt_text("web_url"),
        project.opt_text("ssh_url"),
        project.opt_text("url"),
        project.opt_text("homepage"),
        where=project.path("git_http_url"),
    )


def _push_repo(payload: Fields) -> tuple[Fields, str, frozenset[str]]:
    project = payload.opt_obj("project") or payload.obj("repository")
    key, keys = _project_keys(project)
    legacy = payload.opt_obj("repository")
    if legacy is not None and legacy.data is not project.data:
        keys = keys | _project_keys_lenient(legacy)
    return project, key, keys


def _project_keys_lenient(project: Fields) -> frozenset[str]:
    if not (project.has("git_http_url") or project.has("http_url") or project.has("git_ssh_url")):
        return frozenset()
    return _project_keys(project)[1]


def _repo_keys(payload: Fields) -> frozenset[str]:
    project = payload.opt_obj("project")
    return _project_keys_lenient(project) if project is not None else frozenset()


def _clone_url(project: Fields) -> str:
    return project.opt_text("git_http_url") or project.opt_text("http_url") or project.text("git_ssh_url")


def _push(payload: Fields, delivery: str, event: str) -> WebhookResult:
    ref = payload.nonempty("ref")
    project, key, keys = _push_repo(payload)
    commit = payload.opt_sha("checkout_sha")
    if commit is None or payload.opt_sha("after") is None:
        return Ignored(_P, event, f"{ref} was deleted", delivery, keys)
    if ref.startswith("refs/heads/"):
        branch, tag = ref[len("refs/heads/") :], None
    elif ref.startswith("refs/tags/"):
        branch, tag = "", ref[len("refs/tags/") :]
    else:
        return Ignored(_P, event, f"push to {ref} is neither a branch nor a tag", delivery, keys)
    return SourceEvent(
        provider=_P,
        kind=EventKind.COMMIT,
        event_name=event,
        delivery_id=delivery,
        repository_url=key,
        repository_urls=keys,
        clone_url=_clone_url(project),
        ref=ref,
        branch=branch,
        commit=commit,
        before=payload.opt_sha("before"),
        changed_paths=_changed_paths(payload),
        is_tag=tag is not None,
        tag=tag,
        sender=payload.opt_text("user_username") or payload.opt_text("user_name") or "",
    )


def _changed_paths(payload: Fields) -> tuple[str, ...] | None:
    commits = payload.objects("commits")
    total = payload.opt_integer("total_commits_count")
    if not commits or (total is not None and total > len(commits)):
        return None
    paths: set[str] = set()
    for commit in commits:
        for field in ("added", "modified", "removed"):
            paths.update(commit.strings(field))
    return tuple(sorted(paths))


def _merge_request(payload: Fields, delivery: str, event: str) -> WebhookResult:
    attrs = payload.obj("object_attributes")
    target = attrs.opt_obj("target") or payload.obj("project")
    key, keys = _project_keys(target)
    project = payload.opt_obj("project")
    if project is not None:
        keys = keys | _project_keys_lenient(project)
    action = attrs.opt_text("action") or ""
    if action not in MR_BUILD_ACTIONS:
        return Ignored(_P, event, f"merge request action {action or '(none)'!r} does not build", delivery, keys)
    if action == "update" and attrs.opt_sha("oldrev") is None:
        return Ignored(_P, event, "merge request updated without new commits", delivery, keys)
    iid = attrs.integer("iid")
    source = attrs.opt_obj("source")
    target_clone = _clone_url(target)
    head_clone = _clone_url(source) if source is not None else target_clone
    source_id, target_id = attrs.data.get("source_project_id"), attrs.data.get("target_project_id")
    from_fork = source is None or source_id is None or source_id != target_id
    user = payload.opt_obj("user")
    return SourceEvent(
        provider=_P,
        kind=EventKind.PULL_REQUEST,
        event_name=event,
        delivery_id=delivery,
        repository_url=key,
        repository_urls=keys,
        clone_url=target_clone,
        ref=f"refs/merge-requests/{iid}/head",
        branch=attrs.nonempty("source_branch"),
        commit=attrs.obj("last_commit").sha("id"),
        before=attrs.opt_sha("oldrev"),
        changed_paths=None,
        pull_request=PullRequest(
            number=iid,
            action=action,
            head_branch=attrs.nonempty("source_branch"),
            base_branch=attrs.nonempty("target_branch"),
            head_clone_url=head_clone,
            from_fork=from_fork,
            title=attrs.opt_text("title") or "",
        ),
        sender=(user.opt_text("username") or "") if user is not None else "",
    )
