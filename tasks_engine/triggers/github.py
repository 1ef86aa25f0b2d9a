"""GitHub deliveries (``push``, ``pull_request``, ``ping``) → :class:`SourceEvent` or :class:`Ignored`.

Headers: ``X-GitHub-Event`` (the event name) and ``X-GitHub-Delivery`` (a GUID that a redelivery keeps, so
it is the replay key); the signature is checked elsewhere (:mod:`.signatures`), before anything runs.

* ``push``: the commit is ``after`` (never the branch head at clone time, which may have moved);
  ``deleted: true`` or an all-zero ``after`` is a deletion and is ignored. ``refs/heads/x`` is a branch,
  ``refs/tags/x`` a tag (kept as an event; matching applies the tag policy). Changed paths are the union of
  ``added``/``modified``/``removed`` over ``commits``; they are *unknown* (None) when the list is empty (a
  new branch or a rewind: the files that differ are not listed), when it holds 2048 commits (GitHub's cap)
  or when a ``size`` field says more commits were pushed than listed.
* ``pull_request``: ``opened``, ``synchronize`` and ``reopened`` build the head commit
  (``pull_request.head.sha``); every other action is ignored. The repository is the base repository (where
  the hook and the task live); ``from_fork`` compares the head and base repository ids. The run clones the
  *base* repository at ``refs/pull/N/head`` (which GitHub keeps there for forks too), so a fork's URL is
  never fetched with the task's git credentials.
* A hook configured with ``content_type: form`` sends ``payload=<urlencoded JSON>``; it is refused with a
  message telling the user to switch the hook to ``application/json``.
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

__all__ = ["GITHUB_COMMIT_LIST_CAP", "PR_BUILD_ACTIONS", "parse_github"]

GITHUB_COMMIT_LIST_CAP = 2048
PR_BUILD_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
_P = Provider.GITHUB


def parse_github(headers: Mapping[str, str], body: bytes) -> WebhookResult:
    """Parse one GitHub delivery; a malformed one raises ``TriggerError`` (400)."""
    event = (header(headers, "X-GitHub-Event") or "").strip()
    if not event:
        raise bad_request("missing X-GitHub-Event header")
    delivery = (header(headers, "X-GitHub-Delivery") or "").strip()
    if not delivery:
        raise bad_request("missing X-GitHub-Delivery header")
    _refuse_form(headers, body)
    payload = decode_json_object(body, f"GitHub {event} delivery")
    if event == "ping":
        return _ping(payload, delivery)
    if event == "push":
        return _push(payload, delivery)
    if event == "pull_request":
        return _pull_request(payload, delivery)
    return Ignored(_P, event, f"GitHub event {event!r} does not trigger runs", delivery, _repo_keys(payload))


def _refuse_form(headers: Mapping[str, str], body: bytes) -> None:
    content_type = (header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded" or bytes(body[:8]) == b"payload=":
        raise bad_request(
            "GitHub webhook sends form-encoded bodies; set the hook's content type to application/json"
        )


def _repo(payload: Fields, key: str = "repository") -> tuple[str, frozenset[str]]:
    repo = payload.obj(key)
    return repository_urls(
        repo.text("clone_url"),
        repo.opt_text("html_url"),
        repo.opt_text("ssh_url"),
        repo.opt_text("git_url"),
        # not ``url``: outside push events it is the API URL (api.github.com/repos/…), another "repository"
        where=repo.path("clone_url"),
    )


def _repo_keys(payload: Fields) -> frozenset[str]:
    """Repository keys of a delivery we ignore; an org-level ping has no repository (empty set)."""
    if not payload.has("repository") or payload.opt_obj("repository") is None:
        return frozenset()
    return _repo(payload)[1]


def _sender(payload: Fields) -> str:
    sender = payload.opt_obj("sender")
    if sender is not None and sender.opt_text("login"):
        return sender.text("login")
    pusher = payload.opt_obj("pusher")
    return (pusher.opt_text("name") or "") if pusher is not None else ""


def _ping(payload: Fields, delivery: str) -> Ignored:
    hook_id = payload.opt_integer("hook_id")
    reason = f"ping for hook {hook_id}" if hook_id is not None else "ping"
    return Ignored(_P, "ping", reason, delivery, _repo_keys(payload))


def _push(payload: Fields, delivery: str) -> WebhookResult:
    ref = payload.nonempty("ref")
    key, keys = _repo(payload)
    after = payload.opt_sha("after")
    if payload.flag("deleted") or after is None:
        return Ignored(_P, "push", f"{ref} was deleted", delivery, keys)
    if ref.startswith("refs/heads/"):
        branch, tag = ref[len("refs/heads/") :], None
    elif ref.startswith("refs/tags/"):
        branch, tag = "", ref[len("refs/tags/") :]
    else:
        return Ignored(_P, "push", f"push to {ref} is neither a branch nor a tag", delivery, keys)
    return SourceEvent(
        provider=_P,
        kind=EventKind.COMMIT,
        event_name="push",
        delivery_id=delivery,
        repository_url=key,
        repository_urls=keys,
        clone_url=payload.obj("repository").text("clone_url"),
        ref=ref,
        branch=branch,
        commit=after,
        before=payload.opt_sha("before"),
        changed_paths=_changed_paths(payload),
        is_tag=tag is not None,
        tag=tag,
        sender=_sender(payload),
    )


def _changed_paths(payload: Fields) -> tuple[str, ...] | None:
    commits = payload.objects("commits")
    if not commits or len(commits) >= GITHUB_COMMIT_LIST_CAP:
        return None
    size = payload.opt_integer("size")
    if size is not None and size > len(commits):
        return None
    paths: set[str] = set()
    for commit in commits:
        for field in ("added", "modified", "removed"):
            paths.update(commit.strings(field))
    return tuple(sorted(paths))


def _pull_request(payload: Fields, delivery: str) -> WebhookResult:
    action = payload.nonempty("action")
    key, keys = _repo(payload)
    if action not in PR_BUILD_ACTIONS:
        return Ignored(_P, "pull_request", f"pull_request action {action!r} does not build", delivery, keys)
    pr = payload.obj("pull_request")
    number = payload.opt_integer("number")
    if number is None:
        number = pr.integer("number")
    head, base = pr.obj("head"), pr.obj("base")
    head_repo, base_repo = head.opt_obj("repo"), base.opt_obj("repo")
    base_clone = base_repo.text("clone_url") if base_repo is not None else payload.obj("repository").text("clone_url")
    head_clone = head_repo.text("clone_url") if head_repo is not None else base_clone
    from_fork = head_repo is None or base_repo is None or head_repo.data.get("id") != base_repo.data.get("id")
    return SourceEvent(
        provider=_P,
        kind=EventKind.PULL_REQUEST,
        event_name="pull_request",
        delivery_id=delivery,
        repository_url=key,
        repository_urls=keys,
        clone_url=base_clone,
        ref=f"refs/pull/{number}/head",
        branch=head.nonempty("ref"),
        commit=head.sha("sha"),
        changed_paths=None,
        pull_request=PullRequest(
            number=number,
            action=action,
            head_branch=head.nonempty("ref"),
            base_branch=base.nonempty("ref"),
            head_clone_url=head_clone,
            from_fork=from_fork,
            title=pr.opt_text("title") or "",
        ),
        sender=_sender(payload),
    )
