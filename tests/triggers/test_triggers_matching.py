"""Source-trigger configuration and matching: repository, event kind, tags, branch globs, path filters."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.triggers import (
    EventKind,
    Match,
    NoMatch,
    NoMatchCode,
    Provider,
    PullRequest,
    SourceEvent,
    SourceTrigger,
    TriggerConfigError,
    TriggerStatus,
    branch_matches,
    compile_path_filter,
    matches,
    source_trigger_from_context,
)

REPO = "https://github.com/org/repo"


def push(branch: str = "main", paths: tuple[str, ...] | None = ("README.md",), **kw: object) -> SourceEvent:
    event = SourceEvent(
        provider=Provider.GITHUB,
        kind=EventKind.COMMIT,
        event_name="push",
        delivery_id="d1",
        repository_url=REPO,
        repository_urls=frozenset({REPO}),
        clone_url=REPO + ".git",
        ref=f"refs/heads/{branch}",
        branch=branch,
        commit="a" * 40,
        changed_paths=paths,
    )
    return replace(event, **kw)  # type: ignore[arg-type]


def pull(base: str = "main", head: str = "feature") -> SourceEvent:
    pr = PullRequest(7, "opened", head, base, REPO + ".git", from_fork=False)
    return push(head, None, kind=EventKind.PULL_REQUEST, pull_request=pr, ref="refs/pull/7/head")


def tag(name: str = "v1.0") -> SourceEvent:
    return push("", None, is_tag=True, tag=name, ref=f"refs/tags/{name}")


def test_defaults_follow_acr() -> None:
    trigger = source_trigger_from_context("https://github.com/org/repo.git")
    assert trigger.branch == "main"
    assert trigger.commit_enabled and not trigger.pull_request_enabled and not trigger.tags_enabled
    assert trigger.status is TriggerStatus.ENABLED and trigger.name == "defaultSourceTriggerName"
    assert trigger.repository_url == REPO


def test_branch_comes_from_the_context_fragment() -> None:
    assert source_trigger_from_context("git@github.com:org/repo.git#release/1.x:app").branch == "release/1.x"
    assert source_trigger_from_context("https://github.com/org/repo.git#refs/heads/dev").branch == "dev"
    assert source_trigger_from_context("https://github.com/org/repo.git#dev", branch="release/*").branch == "release/*"


def test_context_pinned_to_a_commit_needs_a_branch() -> None:
    with pytest.raises(TriggerConfigError, match="pins commit") as info:
        source_trigger_from_context("https://github.com/org/repo.git#" + "ab" * 20)
    assert info.value.field == "branch"


def test_to_dict_is_acr_shaped() -> None:
    trigger = source_trigger_from_context("https://github.com/org/repo.git#main", pull_request_enabled=True)
    data = trigger.to_dict()
    assert data["sourceTriggerEvents"] == ["commit", "pullrequest"]
    assert data["sourceRepository"] == {"repositoryUrl": REPO, "branch": "main"}


def test_matching_push() -> None:
    trigger = SourceTrigger("git@github.com:org/repo.git")
    result = matches(trigger, push())
    assert isinstance(result, Match) and result.matched_paths == ("README.md",)
    assert bool(result)


@pytest.mark.parametrize(
    ("trigger", "event", "code"),
    [
        (SourceTrigger(REPO, status=TriggerStatus.DISABLED), push(), NoMatchCode.DISABLED),
        (SourceTrigger("https://github.com/org/other"), push(), NoMatchCode.REPOSITORY),
        (SourceTrigger(REPO, commit_enabled=False), push(), NoMatchCode.EVENT),
        (SourceTrigger(REPO), pull(), NoMatchCode.EVENT),
        (SourceTrigger(REPO), push("dev"), NoMatchCode.BRANCH),
        (SourceTrigger(REPO), tag(), NoMatchCode.TAG),
        (SourceTrigger(REPO, tags_enabled=True, tag_pattern="v2.*"), tag("v1.0"), NoMatchCode.TAG),
        (SourceTrigger(REPO, path_filters=("src/**",)), push(paths=("README.md",)), NoMatchCode.PATHS),
        (SourceTrigger(REPO, path_filters=("src/**",)), push(paths=()), NoMatchCode.PATHS),
    ],
)
def test_no_match_reasons(trigger: SourceTrigger, event: SourceEvent, code: NoMatchCode) -> None:
    result = matches(trigger, event)
    assert isinstance(result, NoMatch) and result.code is code and not result
    assert result.reason


def test_pull_requests_match_on_their_target_branch() -> None:
    trigger = SourceTrigger(REPO, branch="main", pull_request_enabled=True)
    assert isinstance(matches(trigger, pull(base="main", head="feature/x")), Match)
    assert isinstance(matches(trigger, pull(base="dev", head="main")), NoMatch)


def test_tags_when_asked_for() -> None:
    trigger = SourceTrigger(REPO, tags_enabled=True, tag_pattern="v*")
    assert isinstance(matches(trigger, tag("v1.0")), Match)
    assert isinstance(matches(trigger, tag("nightly")), NoMatch)
    assert isinstance(matches(SourceTrigger(REPO, tags_enabled=True), tag("anything")), Match)


def test_unknown_changed_paths_match_the_filters() -> None:
    trigger = SourceTrigger(REPO, path_filters=("services/api/**",))
    result = matches(trigger, push(paths=None))
    assert isinstance(result, Match) and result.matched_paths is None


def test_no_filters_match_any_push_even_an_empty_one() -> None:
    assert isinstance(matches(SourceTrigger(REPO), push(paths=())), Match)


@pytest.mark.parametrize(
    ("glob", "branch", "expected"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("main", "feature/main", False),
        ("release/*", "release/1.0", True),
        ("release/*", "release/1.0/hotfix", False),
        ("release/**", "release/1.0/hotfix", True),
        ("release/**", "release", False),
        ("**", "any/depth/at/all", True),
        ("feature-?", "feature-a", True),
        ("feature-?", "feature-ab", False),
        ("v[0-9].x", "v3.x", True),
        ("v[!0-9].x", "v3.x", False),
        ("v[^0-9].x", "vA.x", True),
        ("[]]x", "]x", True),
        ("*-stable", "2024-stable", True),
        ("refs/heads/main", "main", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("**/hotfix", "hotfix", True),
        ("**/hotfix", "a/b/hotfix", True),
        ("x/**/y", "x/y", True),
        ("x/**/y", "x/a/b/y", True),
        ("x**y", "x/y", False),
    ],
)
def test_branch_globs(glob: str, branch: str, expected: bool) -> None:
    assert branch_matches(glob, branch) is expected


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        ("", "empty"),
        ("a b", "whitespace"),
        ("a..b", "cannot match"),
        ("-x", "cannot match"),
        ("x/", "cannot match"),
        ("x.lock", "cannot match"),
        ("a~b", "'~'"),
        ("a:b", "':'"),
        ("[abc", "unterminated"),
        ("abc\\", "unfinished escape"),
        ("refs/tags/v1", "not a branch"),
    ],
)
def test_bad_branch_globs(glob: str, message: str) -> None:
    with pytest.raises(TriggerConfigError, match=message) as info:
        SourceTrigger(REPO, branch=glob)
    assert info.value.field == "branch"


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "docs/guide/intro.md", True),
        (["*.md"], "main.py", False),
        (["/Dockerfile"], "Dockerfile", True),
        (["/Dockerfile"], "app/Dockerfile", False),
        (["Dockerfile"], "app/Dockerfile", True),
        (["services/api"], "services/api/main.py", True),
        (["services/api"], "services/api", True),
        (["services/api"], "other/services/api/x", False),
        (["services/api/"], "services/api/main.py", True),
        (["services/api/"], "services/api", False),
        (["build/"], "a/build/out.o", True),
        (["src/**"], "src/a/b/c.py", True),
        (["src/**"], "src", False),
        (["**/test_*.py"], "test_x.py", True),
        (["**/test_*.py"], "a/b/test_x.py", True),
        (["a/**/z.txt"], "a/z.txt", True),
        (["a/**/z.txt"], "a/b/c/z.txt", True),
        (["src/*.py"], "src/a.py", True),
        (["src/*.py"], "src/sub/a.py", False),
        (["src/*"], "src/sub/a.py", True),
        (["services/**", "!**/*.md"], "services/api/README.md", False),
        (["services/**", "!**/*.md"], "services/api/main.py", True),
        (["!**/*.md"], "anything.py", False),
        (["**", "!docs/", "docs/keep.txt"], "docs/keep.txt", True),
        (["**", "!docs/"], "docs/other.txt", False),
        (["file?.txt"], "file1.txt", True),
        (["[ab].txt"], "c.txt", False),
    ],
)
def test_path_filters(patterns: list[str], path: str, expected: bool) -> None:
    assert compile_path_filter(patterns).includes(path) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("", "empty"), ("!", "matches nothing"), ("/", "matches nothing"), ("a/../b", "'..'"), ("[x", "unterminated")],
)
def test_bad_path_filters_name_the_entry(pattern: str, message: str) -> None:
    with pytest.raises(TriggerConfigError, match=message) as info:
        SourceTrigger(REPO, path_filters=("ok/**", pattern))
    assert info.value.field == "pathFilters[1]"


# ---- property tests -------------------------------------------------------------------------------------

segment = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}", fullmatch=True).filter(
    lambda s: ".." not in s and not s.endswith((".", ".lock"))
)
branches = st.lists(segment, min_size=1, max_size=4).map("/".join)
paths = st.lists(segment, min_size=1, max_size=5).map("/".join)


@given(branches)
def test_a_literal_glob_matches_exactly_itself(branch: str) -> None:
    assert branch_matches(branch, branch)
    assert not branch_matches(branch, branch + "x")
    assert not branch_matches(branch, "x/" + branch)


@given(branches, branches)
def test_literal_globs_match_only_equal_names(a: str, b: str) -> None:
    assert branch_matches(a, b) is (a == b)


@given(branches, st.lists(segment, min_size=1, max_size=4))
def test_double_star_matches_any_depth(prefix: str, rest: list[str]) -> None:
    assert branch_matches(prefix + "/**", prefix + "/" + "/".join(rest))
    assert branch_matches("**", prefix)


@given(branches, st.lists(segment, min_size=2, max_size=4))
def test_single_star_never_crosses_a_slash(prefix: str, rest: list[str]) -> None:
    assert branch_matches(prefix + "/*", prefix + "/" + rest[0])
    assert not branch_matches(prefix + "/*", prefix + "/" + "/".join(rest))


@given(st.lists(segment, min_size=1, max_size=4), st.lists(segment, min_size=1, max_size=3))
def test_a_directory_filter_matches_everything_below_it(directory: list[str], below: list[str]) -> None:
    d = "/".join(directory)
    f = compile_path_filter([d])
    assert f.includes(f"{d}/{'/'.join(below)}")
    assert compile_path_filter([f"{d}/**"]).includes(f"{d}/{'/'.join(below)}")
    assert compile_path_filter(["/" + d]).includes(f"{d}/{'/'.join(below)}")


@given(paths)
def test_negation_after_inclusion_excludes_and_last_rule_wins(path: str) -> None:
    assert compile_path_filter(["**"]).includes(path)
    assert not compile_path_filter(["**", "!" + path]).includes(path)
    assert compile_path_filter(["**", "!" + path, path]).includes(path)


@given(paths, st.sampled_from(["*", "?", "[", "]", "\\"]))
def test_escaped_literals_match_only_themselves(path: str, special: str) -> None:
    literal = path + special
    escaped = path + "\\" + special
    assert compile_path_filter(["/" + escaped]).includes(literal)


@given(st.text(max_size=30))
def test_arbitrary_globs_compile_or_raise_the_config_error(text: str) -> None:
    try:
        pattern = re.compile("x")
        branch_matches(text, "main")
        compile_path_filter([text]).includes("a/b")
        assert pattern
    except TriggerConfigError:
        pass
