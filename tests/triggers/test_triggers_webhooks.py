"""Webhook parsing (GitHub, GitLab, generic) into SourceEvent / Ignored, and plan_delivery's 401/400 rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.errors import TriggerError
from tasks_engine.triggers import (
    GENERIC_WEBHOOK_SCHEMA,
    EventKind,
    Ignored,
    Provider,
    SourceEvent,
    WebhookCandidate,
    parse_generic,
    parse_github,
    parse_gitlab,
    parse_registry_notification,
    parse_webhook,
    plan_delivery,
    sign_github,
    source_trigger_from_context,
)

Load = Callable[[str], bytes]
GH_REPO = "https://github.com/codertocat/hello-world"
GL_REPO = "https://gitlab.example.com/mike/diaspora"


def gh(event: str, delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958", **extra: str) -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json", **extra}


def gl(event: str, key: str | None = "f5b0b8d2-6c2a-4bd8-bb3d-1f0d9f3a8e11", **extra: str) -> dict[str, str]:
    headers = {"X-Gitlab-Event": event, **extra}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


# ---- GitHub ----------------------------------------------------------------------------------------------


def test_github_push(payload_bytes: Load) -> None:
    event = parse_github(gh("push"), payload_bytes("github_push.json"))
    assert isinstance(event, SourceEvent)
    assert event.provider is Provider.GITHUB and event.kind is EventKind.COMMIT
    assert event.repository_url == GH_REPO
    assert event.clone_url == "https://github.com/Codertocat/Hello-World.git"
    assert event.branch == "main" and event.ref == "refs/heads/main"
    assert event.commit == "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
    assert event.before == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert event.changed_paths == ("README.md", "docs/old.md", "services/api/Dockerfile", "services/api/main.py")
    assert not event.is_tag and event.tag is None
    assert event.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert event.sender == "Codertocat"
    assert event.run_branch == "main"


def test_github_push_repository_spellings_are_all_known(payload_bytes: Load) -> None:
    event = parse_github(gh("push"), payload_bytes("github_push.json"))
    assert isinstance(event, SourceEvent)
    assert event.repository_urls == {GH_REPO}


def test_github_branch_deletion_is_ignored(payload_bytes: Load) -> None:
    result = parse_github(gh("push"), payload_bytes("github_push_deleted.json"))
    assert isinstance(result, Ignored)
    assert "refs/heads/feature/old was deleted" in result.reason
    assert result.repository_urls == {GH_REPO}


def test_github_tag_push_is_an_event_for_matching_to_judge(payload_bytes: Load) -> None:
    event = parse_github(gh("push"), payload_bytes("github_push_tag.json"))
    assert isinstance(event, SourceEvent)
    assert event.is_tag and event.tag == "v1.2.0" and event.branch == ""
    assert event.before is None
    assert event.changed_paths is None
    assert event.run_branch == "v1.2.0"


def test_github_new_branch_has_unknown_changed_paths(payload_bytes: Load) -> None:
    event = parse_github(gh("push"), payload_bytes("github_push_new_branch.json"))
    assert isinstance(event, SourceEvent)
    assert event.branch == "feature/login" and event.changed_paths is None and event.before is None


def _push_with_commits(load: Load, n: int, size: int | None = None) -> bytes:
    data = json.loads(load("github_push.json"))
    commit = data["commits"][0]
    data["commits"] = [dict(commit, added=[f"f{i}.txt"]) for i in range(n)]
    if size is not None:
        data["size"] = size
    return json.dumps(data).encode()


def test_github_truncated_commit_lists_mean_unknown_paths(payload_bytes: Load) -> None:
    capped = parse_github(gh("push"), _push_with_commits(payload_bytes, 2048))
    sized = parse_github(gh("push"), _push_with_commits(payload_bytes, 3, size=40))
    full = parse_github(gh("push"), _push_with_commits(payload_bytes, 3, size=3))
    assert isinstance(capped, SourceEvent) and capped.changed_paths is None
    assert isinstance(sized, SourceEvent) and sized.changed_paths is None
    assert isinstance(full, SourceEvent) and full.changed_paths == ("f0.txt", "f1.txt", "f2.txt")


def test_github_pull_request_opened(payload_bytes: Load) -> None:
    event = parse_github(gh("pull_request"), payload_bytes("github_pull_request_opened.json"))
    assert isinstance(event, SourceEvent)
    assert event.kind is EventKind.PULL_REQUEST
    pr = event.pull_request
    assert pr is not None
    assert (pr.number, pr.action, pr.head_branch, pr.base_branch) == (2, "opened", "changes", "main")
    assert not pr.from_fork
    assert event.commit == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert event.ref == "refs/pull/2/head"
    assert event.target_branch == "main" and event.branch == "changes"
    assert event.changed_paths is None
    assert event.repository_url == GH_REPO


def test_github_pull_request_from_a_fork_clones_the_base_repository(payload_bytes: Load) -> None:
    event = parse_github(gh("pull_request"), payload_bytes("github_pull_request_synchronize_fork.json"))
    assert isinstance(event, SourceEvent) and event.pull_request is not None
    assert event.pull_request.from_fork
    assert event.pull_request.head_clone_url == "https://github.com/octocat-fork/Hello-World.git"
    assert event.clone_url == "https://github.com/Codertocat/Hello-World.git"
    assert event.repository_url == GH_REPO


def test_github_pull_request_whose_fork_was_deleted_counts_as_fork(payload_bytes: Load) -> None:
    data = json.loads(payload_bytes("github_pull_request_opened.json"))
    data["pull_request"]["head"]["repo"] = None
    event = parse_github(gh("pull_request"), json.dumps(data).encode())
    assert isinstance(event, SourceEvent) and event.pull_request is not None and event.pull_request.from_fork


@pytest.mark.parametrize("action", ["closed", "labeled", "edited", "assigned", "ready_for_review"])
def test_github_pull_request_other_actions_are_ignored(payload_bytes: Load, action: str) -> None:
    data = json.loads(payload_bytes("github_pull_request_closed.json"))
    data["action"] = action
    result = parse_github(gh("pull_request"), json.dumps(data).encode())
    assert isinstance(result, Ignored) and action in result.reason
    assert result.repository_urls == {GH_REPO}


def test_github_ping(payload_bytes: Load) -> None:
    result = parse_github(gh("ping"), payload_bytes("github_ping.json"))
    assert isinstance(result, Ignored)
    assert result.reason == "ping for hook 109948940"
    assert result.repository_urls == {GH_REPO}


def test_github_org_ping_without_repository(payload_bytes: Load) -> None:
    data = json.loads(payload_bytes("github_ping.json"))
    del data["repository"]
    result = parse_github(gh("ping"), json.dumps(data).encode())
    assert isinstance(result, Ignored) and result.repository_urls == frozenset()


def test_github_unsupported_event_is_ignored(payload_bytes: Load) -> None:
    result = parse_github(gh("issues"), payload_bytes("github_ping.json"))
    assert isinstance(result, Ignored) and "'issues'" in result.reason


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-GitHub-Delivery": "x"}, "missing X-GitHub-Event"),
        ({"X-GitHub-Event": "push"}, "missing X-GitHub-Delivery"),
        (gh("push", **{"Content-Type": "application/x-www-form-urlencoded"}), "application/json"),
    ],
)
def test_github_header_problems(payload_bytes: Load, headers: dict[str, str], message: str) -> None:
    with pytest.raises(TriggerError, match=message) as info:
        parse_github(headers, payload_bytes("github_push.json"))
    assert info.value.status == 400


def test_github_form_body_is_refused_even_without_content_type() -> None:
    with pytest.raises(TriggerError, match="form-encoded"):
        parse_github({"X-GitHub-Event": "push", "X-GitHub-Delivery": "d"}, b"payload=%7B%7D")


def test_headers_are_case_insensitive(payload_bytes: Load) -> None:
    event = parse_github({"x-github-event": "push", "x-github-delivery": "abc"}, payload_bytes("github_push.json"))
    assert isinstance(event, SourceEvent) and event.delivery_id == "abc"


def _mutated(load: Load, name: str, mutate: Callable[[dict[str, Any]], None]) -> bytes:
    data = json.loads(load(name))
    mutate(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("ref"), "ref: required field is missing"),
        (lambda d: d.update(ref=5), "ref: expected a string, got a number"),
        (lambda d: d.update(after="xyz"), "after: expected a 40- or 64-digit hex commit id"),
        (lambda d: d.pop("repository"), "repository: required field is missing"),
        (lambda d: d["repository"].update(clone_url="not a url"), "repository.clone_url"),
        (lambda d: d.update(commits={}), "commits: expected an array, got an object"),
        (lambda d: d.update(commits=[1]), r"commits\[0\]: expected an object"),
        (lambda d: d["commits"][0].update(added="x"), r"commits\[0\].added: expected an array"),
        (lambda d: d["commits"][1].update(modified=[None]), r"commits\[1\].modified\[0\]: expected a string"),
        (lambda d: d.update(deleted="yes"), "deleted: expected a boolean"),
    ],
)
def test_github_malformed_push_is_a_400_naming_the_field(
    payload_bytes: Load, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(TriggerError, match=message) as info:
        parse_github(gh("push"), _mutated(payload_bytes, "github_push.json", mutate))
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"{", "not JSON"),
        (b"[1, 2]", "must be a JSON object, not an array"),
        (b"null", "not null"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100_000, "nested too deeply|not JSON"),
    ],
)
def test_undecodable_bodies(body: bytes, message: str) -> None:
    with pytest.raises(TriggerError, match=message):
        parse_github(gh("push"), body)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "ref",
                        "after",
                        "before",
                        "deleted",
                        "repository",
                        "clone_url",
                        "commits",
                        "added",
                        "sender",
                        "login",
                        "pull_request",
                        "head",
                        "base",
                        "sha",
                        "number",
                        "action",
                        "repo",
                        "project",
                        "git_http_url",
                        "checkout_sha",
                        "object_attributes",
                        "iid",
                        "last_commit",
                        "id",
                        "events",
                        "target",
                        "mediaType",
                        "digest",
                        "tag",
                        "repositoryUrl",
                        "branch",
                        "commit",
                        "source",
                        "total_commits_count",
                    ]
                ),
                c,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
@settings(max_examples=300)
def test_arbitrary_json_never_escapes_as_anything_but_trigger_error(data: object) -> None:
    body = json.dumps(data).encode()
    for event in ("push", "pull_request", "ping"):
        try:
            parse_github(gh(event), body)
        except TriggerError as exc:
            assert exc.status == 400
    for event in ("Push Hook", "Tag Push Hook", "Merge Request Hook", "System Hook"):
        try:
            parse_gitlab(gl(event), body)
        except TriggerError as exc:
            assert exc.status == 400
    for parse in (lambda b: parse_generic({}, b), lambda b: parse_registry_notification(b, registry="reg.io")):
        try:
            parse(body)
        except TriggerError as exc:
            assert exc.status == 400


# ---- GitLab ----------------------------------------------------------------------------------------------


def test_gitlab_push(payload_bytes: Load) -> None:
    event = parse_gitlab(gl("Push Hook"), payload_bytes("gitlab_push.json"))
    assert isinstance(event, SourceEvent)
    assert event.provider is Provider.GITLAB and event.kind is EventKind.COMMIT
    assert event.repository_url == GL_REPO
    assert event.clone_url == "https://gitlab.example.com/mike/diaspora.git"
    assert event.commit == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert event.branch == "main"
    assert event.changed_paths == ("CHANGELOG", "app/controller/application.rb", "locales/ca.yml")
    assert event.sender == "jsmith"
    assert event.delivery_id == "f5b0b8d2-6c2a-4bd8-bb3d-1f0d9f3a8e11"


def test_gitlab_event_uuid_is_the_fallback_delivery_id(payload_bytes: Load) -> None:
    headers = gl("Push Hook", key=None, **{"X-Gitlab-Event-UUID": "evt-1", "X-Gitlab-Webhook-UUID": "call-9"})
    event = parse_gitlab(headers, payload_bytes("gitlab_push.json"))
    assert isinstance(event, SourceEvent) and event.delivery_id == "evt-1"


def test_gitlab_without_any_delivery_id_is_refused(payload_bytes: Load) -> None:
    with pytest.raises(TriggerError, match="Idempotency-Key"):
        parse_gitlab(
            gl("Push Hook", key=None, **{"X-Gitlab-Webhook-UUID": "call-9"}), payload_bytes("gitlab_push.json")
        )


def test_gitlab_truncated_commits_mean_unknown_paths(payload_bytes: Load) -> None:
    data = json.loads(payload_bytes("gitlab_push.json"))
    data["total_commits_count"] = 45
    event = parse_gitlab(gl("Push Hook"), json.dumps(data).encode())
    assert isinstance(event, SourceEvent) and event.changed_paths is None


def test_gitlab_tag_push_builds_checkout_sha_not_the_tag_object(payload_bytes: Load) -> None:
    event = parse_gitlab(gl("Tag Push Hook"), payload_bytes("gitlab_tag_push.json"))
    assert isinstance(event, SourceEvent)
    assert event.is_tag and event.tag == "v1.0.0"
    assert event.commit == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert event.changed_paths is None


def test_gitlab_branch_deletion_is_ignored(payload_bytes: Load) -> None:
    result = parse_gitlab(gl("Push Hook"), payload_bytes("gitlab_push_deleted.json"))
    assert isinstance(result, Ignored) and "deleted" in result.reason
    assert GL_REPO in result.repository_urls


def test_gitlab_system_hook_dispatches_on_object_kind(payload_bytes: Load) -> None:
    event = parse_gitlab(gl("System Hook"), payload_bytes("gitlab_push.json"))
    assert isinstance(event, SourceEvent) and event.event_name == "System Hook"


def test_gitlab_merge_request_open_from_fork(payload_bytes: Load) -> None:
    event = parse_gitlab(gl("Merge Request Hook"), payload_bytes("gitlab_merge_request_open.json"))
    assert isinstance(event, SourceEvent) and event.kind is EventKind.PULL_REQUEST
    pr = event.pull_request
    assert pr is not None
    assert (pr.number, pr.action, pr.head_branch, pr.base_branch) == (1, "open", "ms-viewport", "main")
    assert pr.from_fork
    assert pr.head_clone_url == "https://gitlab.example.com/jsmith/diaspora.git"
    assert event.clone_url == "https://gitlab.example.com/mike/diaspora.git"
    assert event.ref == "refs/merge-requests/1/head"
    assert event.repository_url == GL_REPO
    assert event.commit == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert event.sender == "root"


def test_gitlab_merge_request_update_with_commits_builds(payload_bytes: Load) -> None:
    event = parse_gitlab(gl("Merge Request Hook"), payload_bytes("gitlab_merge_request_update.json"))
    assert isinstance(event, SourceEvent) and event.before == "95790bf891e76fee5e1747ab589903a6a1f80f22"


def test_gitlab_merge_request_title_edit_is_ignored(payload_bytes: Load) -> None:
    result = parse_gitlab(gl("Merge Request Hook"), payload_bytes("gitlab_merge_request_update_title.json"))
    assert isinstance(result, Ignored) and "without new commits" in result.reason


@pytest.mark.parametrize("action", ["close", "merge", "approved", "unapproved"])
def test_gitlab_merge_request_other_actions_are_ignored(payload_bytes: Load, action: str) -> None:
    data = json.loads(payload_bytes("gitlab_merge_request_open.json"))
    data["object_attributes"]["action"] = action
    result = parse_gitlab(gl("Merge Request Hook"), json.dumps(data).encode())
    assert isinstance(result, Ignored) and action in result.reason


def test_gitlab_same_project_merge_request_is_not_a_fork(payload_bytes: Load) -> None:
    data = json.loads(payload_bytes("gitlab_merge_request_open.json"))
    data["object_attributes"]["source_project_id"] = 15
    data["object_attributes"]["source"] = data["object_attributes"]["target"]
    event = parse_gitlab(gl("Merge Request Hook"), json.dumps(data).encode())
    assert isinstance(event, SourceEvent) and event.pull_request is not None
    assert not event.pull_request.from_fork


def test_gitlab_other_events_are_ignored(payload_bytes: Load) -> None:
    result = parse_gitlab(gl("Note Hook"), payload_bytes("gitlab_push.json"))
    assert isinstance(result, Ignored) and "Note Hook" in result.reason


def test_gitlab_missing_event_header(payload_bytes: Load) -> None:
    with pytest.raises(TriggerError, match="X-Gitlab-Event"):
        parse_gitlab({"Idempotency-Key": "k"}, payload_bytes("gitlab_push.json"))


# ---- generic ---------------------------------------------------------------------------------------------

SHA = "0f98877a0f98877a0f98877a0f98877a0f98877a"


def generic(**fields: Any) -> bytes:
    body = {"repositoryUrl": "https://git.example.com/org/repo.git", "branch": "main", "commit": SHA, **fields}
    return json.dumps(body).encode()


def test_generic_minimal_body() -> None:
    body = generic()
    event = parse_generic({}, body)
    assert event.provider is Provider.GENERIC and event.kind is EventKind.COMMIT
    assert event.repository_url == "https://git.example.com/org/repo"
    assert event.clone_url == "https://git.example.com/org/repo.git"
    assert event.branch == "main" and event.ref == "refs/heads/main" and event.commit == SHA
    assert event.changed_paths is None
    assert event.delivery_id.startswith("sha256:") and len(event.delivery_id) == 7 + 64
    assert parse_generic({}, body).delivery_id == event.delivery_id


def test_generic_full_body() -> None:
    event = parse_generic({}, generic(changedPaths=["/b.txt", "a.txt", "a.txt"], deliveryId="build-1", sender="ci"))
    assert event.changed_paths == ("a.txt", "b.txt")
    assert event.delivery_id == "build-1" and event.sender == "ci"


def test_generic_tags_and_full_refs() -> None:
    tag = parse_generic({}, generic(branch="refs/tags/v2"))
    assert tag.is_tag and tag.tag == "v2" and tag.branch == ""
    assert parse_generic({}, generic(branch="refs/heads/dev")).branch == "dev"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (generic(changed_paths=["a"]), "unknown field"),
        (json.dumps({"branch": "main", "commit": SHA}).encode(), "repositoryUrl: required"),
        (generic(commit="abc"), "commit: expected a 40- or 64-digit hex"),
        (generic(branch=""), "branch: must not be empty"),
        (generic(branch="refs/tags/"), "empty tag"),
        (generic(changedPaths="a"), "changedPaths: expected an array"),
        (generic(changedPaths=[" "]), "entries must not be empty"),
        (generic(deliveryId=" "), "deliveryId: must not be empty"),
        (generic(repositoryUrl="/local/path"), "repositoryUrl"),
    ],
)
def test_generic_malformed(body: bytes, message: str) -> None:
    with pytest.raises(TriggerError, match=message):
        parse_generic({}, body)


def test_generic_schema_describes_the_body() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(generic(changedPaths=["a"], deliveryId="x")), GENERIC_WEBHOOK_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(generic(extra=1)), GENERIC_WEBHOOK_SCHEMA)
    assert set(GENERIC_WEBHOOK_SCHEMA["required"]) == {"repositoryUrl", "branch", "commit"}


def test_parse_webhook_dispatch(payload_bytes: Load) -> None:
    assert isinstance(parse_webhook("github", gh("push"), payload_bytes("github_push.json")), SourceEvent)
    with pytest.raises(TriggerError) as info:
        parse_webhook("bitbucket", {}, b"{}")
    assert info.value.status == 404


# ---- plan_delivery ---------------------------------------------------------------------------------------

SECRET = "hook-secret"


def _candidate(task: str, context: str, secret: str | None = SECRET, **kw: Any) -> WebhookCandidate:
    return WebhookCandidate(task, source_trigger_from_context(context, **kw), secret)


def signed(event: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    return gh(event, **{"X-Hub-Signature-256": sign_github(body, secret)})


def test_plan_delivery_routes_to_verified_matching_tasks(payload_bytes: Load) -> None:
    body = payload_bytes("github_push.json")
    candidates = [
        _candidate("api", "git@github.com:Codertocat/Hello-World.git#main", path_filters=["services/api/**"]),
        _candidate("docs", "https://github.com/codertocat/hello-world#main", path_filters=["docs/site/**"]),
        _candidate("dev", "https://github.com/Codertocat/Hello-World.git#dev"),
        _candidate("other-secret", "https://github.com/Codertocat/Hello-World.git", secret="other"),
        _candidate("no-secret", "https://github.com/Codertocat/Hello-World.git", secret=None),
        _candidate("elsewhere", "https://github.com/someone/else.git"),
    ]
    plan = plan_delivery("github", signed("push", body), body, candidates)
    assert plan.verified_tasks == ("api", "docs", "dev")
    assert [r.task for r in plan.runs] == ["api"]
    assert plan.runs[0].match.matched_paths == ("services/api/Dockerfile", "services/api/main.py")
    assert {t: m.code.value for t, m in plan.skipped} == {"docs": "paths", "dev": "branch"}
    assert plan.dedupe_key == ("github", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    record = plan.runs[0].match.source_trigger_record()
    assert record == {
        "id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "eventType": "commit",
        "commitId": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        "pullRequestId": "",
        "repositoryUrl": GH_REPO,
        "branchName": "main",
        "providerType": "Github",
    }
    assert plan.runs[0].match.trigger_label == "Git Commit"


def test_plan_delivery_unsigned_or_wrongly_signed_is_401(payload_bytes: Load) -> None:
    body = payload_bytes("github_push.json")
    candidates = [_candidate("api", "https://github.com/Codertocat/Hello-World.git")]
    for headers in (gh("push"), signed("push", body, "wrong"), signed("push", body + b" ")):
        with pytest.raises(TriggerError) as info:
            plan_delivery("github", headers, body, candidates)
        assert info.value.status == 401


def test_plan_delivery_unknown_repository_is_401(payload_bytes: Load) -> None:
    body = payload_bytes("github_push.json")
    with pytest.raises(TriggerError) as info:
        plan_delivery("github", signed("push", body), body, [_candidate("x", "https://github.com/a/b.git")])
    assert info.value.status == 401


def test_plan_delivery_malformed_body_is_400_only_for_a_secret_holder() -> None:
    body = b'{"ref": 1}'
    candidates = [_candidate("api", "https://github.com/Codertocat/Hello-World.git")]
    with pytest.raises(TriggerError) as info:
        plan_delivery("github", signed("push", body), body, candidates)
    assert info.value.status == 400
    with pytest.raises(TriggerError) as info:
        plan_delivery("github", signed("push", body, "guess"), body, candidates)
    assert info.value.status == 401


def test_plan_delivery_ping_and_deletions_are_ignored_after_verification(payload_bytes: Load) -> None:
    candidates = [_candidate("api", "https://github.com/Codertocat/Hello-World.git")]
    for event, name in (("ping", "github_ping.json"), ("push", "github_push_deleted.json")):
        body = payload_bytes(name)
        plan = plan_delivery("github", signed(event, body), body, candidates)
        assert plan.ignored is not None and plan.runs == ()
        with pytest.raises(TriggerError):
            plan_delivery("github", signed(event, body, "forged"), body, candidates)


def test_plan_delivery_pull_requests_need_the_pr_trigger(payload_bytes: Load) -> None:
    body = payload_bytes("github_pull_request_synchronize_fork.json")
    candidates = [
        _candidate("off", "https://github.com/Codertocat/Hello-World.git#main"),
        _candidate("on", "https://github.com/Codertocat/Hello-World.git#main", pull_request_enabled=True),
    ]
    plan = plan_delivery("github", signed("pull_request", body), body, candidates)
    assert [r.task for r in plan.runs] == ["on"]
    match = plan.runs[0].match
    assert match.is_untrusted and match.trigger_label == "Pull Request"
    assert match.source_trigger_record()["pullRequestId"] == "2"
    assert match.source_trigger_record()["branchName"] == "changes"
    assert match.coalesce_key("on") == ("on", GH_REPO, "refs/pull/2/head", "ec26c3e57ca3a959ca5aad62de7213c562f8c821")


def test_plan_delivery_gitlab_token(payload_bytes: Load) -> None:
    body = payload_bytes("gitlab_push.json")
    candidates = [_candidate("app", "git@gitlab.example.com:mike/diaspora.git#main")]
    plan = plan_delivery("gitlab", gl("Push Hook", **{"X-Gitlab-Token": SECRET}), body, candidates)
    assert [r.task for r in plan.runs] == ["app"]
    assert plan.runs[0].match.source_trigger_record()["providerType"] == "GitLab"
    with pytest.raises(TriggerError) as info:
        plan_delivery("gitlab", gl("Push Hook", **{"X-Gitlab-Token": "nope"}), body, candidates)
    assert info.value.status == 401


def test_plan_delivery_generic(payload_bytes: Load) -> None:
    body = generic(changedPaths=["services/api/x.py"])
    candidates = [_candidate("api", "https://git.example.com/org/repo.git#main", path_filters=["services/api/"])]
    plan = plan_delivery("generic", {"X-Hub-Signature-256": sign_github(body, SECRET)}, body, candidates)
    assert [r.task for r in plan.runs] == ["api"]
    assert plan.runs[0].match.source_trigger_record()["providerType"] == "Generic"
