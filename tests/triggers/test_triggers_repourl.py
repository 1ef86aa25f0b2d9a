"""Repository-URL normalisation: every spelling of one repository is one key; garbage is a clear error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.errors import UsageError
from tasks_engine.source.spec import parse_context
from tasks_engine.triggers import InvalidRepositoryUrlError, normalize_repository_url, split_context

GH = "https://github.com/org/repo"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/repo",
        "https://github.com/org/repo.git",
        "https://github.com/org/repo/",
        "https://github.com/org/repo.git/",
        "http://github.com/org/repo",
        "https://GitHub.COM/Org/Repo.git",
        "https://www.github.com/org/repo",
        "https://github.com:443/org/repo.git",
        "https://user:ghp_token123@github.com/org/repo.git",
        "https://x-access-token:abc@github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "git@github.com:org/repo",
        "github.com:org/repo.git",
        "ssh://git@github.com/org/repo.git",
        "ssh://git@github.com:22/org/repo.git",
        "git+ssh://git@github.com/org/repo.git",
        "git://github.com/org/repo.git",
        "github.com/org/repo",
        "https://github.com/org/repo.git#main",
        "https://github.com/org/repo.git#main:services/api",
        "git@github.com:org/repo.git#v1:app",
        "https://github.com//org//repo.git",
        "https://github.com./org/repo",
        "  https://github.com/org/repo.git  ",
        "https://github.com/org/repo?tab=readme",
    ],
)
def test_spellings_of_one_github_repository(url: str) -> None:
    assert normalize_repository_url(url) == GH


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://git.example.com/Team/App.git", "https://git.example.com/Team/App"),
        ("ssh://git@git.example.com:2222/Team/App.git", "https://git.example.com/Team/App"),
        ("https://git.example.com:8443/team/app.git", "https://git.example.com:8443/team/app"),
        ("http://git.example.com:80/team/app", "https://git.example.com/team/app"),
        ("https://gitlab.com/group/sub/project.git", "https://gitlab.com/group/sub/project"),
        ("git@gitlab.example.com:group/sub/project.git", "https://gitlab.example.com/group/sub/project"),
        ("https://[::1]:3000/org/repo.git", "https://[::1]:3000/org/repo"),
        ("ssh://git@[::1]:22/org/repo.git", "https://[::1]/org/repo"),
        ("localhost:org/repo.git", "https://localhost/org/repo"),
        ("https://localhost:3000/org/repo.git", "https://localhost:3000/org/repo"),
        ("https://dev.azure.com/org/project/_git/repo", "https://dev.azure.com/org/project/_git/repo"),
        ("https://bitbucket.org/Team/Repo.git", "https://bitbucket.org/team/repo"),
    ],
)
def test_canonical_keys(url: str, key: str) -> None:
    assert normalize_repository_url(url) == key


def test_paths_keep_their_case_on_unknown_hosts() -> None:
    assert normalize_repository_url("https://git.example.com/A/B") != normalize_repository_url(
        "https://git.example.com/a/b"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not a url", "whitespace"),
        ("repo", "not a remote git repository URL"),
        ("/srv/git/repo.git", "not a remote git repository URL"),
        ("./repo.git", "not a remote git repository URL"),
        ("file:///srv/git/repo.git", "file://"),
        ("ftp://host/org/repo.git", "unsupported URL scheme 'ftp'"),
        ("https://", "no host"),
        ("https:///org/repo", "no host"),
        ("https://github.com", "no repository path"),
        ("https://github.com/", "no repository path"),
        ("https://github.com/.git", "no repository path"),
        ("https://github.com:99999/org/repo", "malformed URL"),
        ("https://bad_host!/org/repo", "invalid host"),
        ("https://github.com/org/../repo", "'.' or '..'"),
        ("git@host:", "no repository path"),
        ("C:\\repos\\app", "backslash"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(InvalidRepositoryUrlError, match=message) as info:
        normalize_repository_url(url)
    assert isinstance(info.value, UsageError)
    assert info.value.field == "repositoryUrl"


def test_error_messages_never_show_credentials() -> None:
    with pytest.raises(InvalidRepositoryUrlError) as info:
        normalize_repository_url("https://user:supersecret@github.com")
    assert "supersecret" not in str(info.value)
    assert "***@" in str(info.value)


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidRepositoryUrlError, match="must be a string"):
        normalize_repository_url(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "context",
    [
        "https://github.com/org/repo.git#main:services/api",
        "https://github.com/org/repo.git#main",
        "https://github.com/org/repo.git",
        "https://github.com/org/repo.git#:sub",
        "git@github.com:org/repo.git#release/1.0:app",
        "ssh://git@host.example.com/org/repo.git#dev",
        "github.com/org/repo.git#feature/x:dir",
    ],
)
def test_split_context_agrees_with_source_spec(context: str) -> None:
    spec = parse_context(context)
    parts = split_context(context)
    assert parts.ref == spec.ref
    assert (parts.folder or None) == (spec.subdir or None) or parts.folder == spec.subdir
    assert normalize_repository_url(parts.url) == normalize_repository_url(spec.location)
    assert normalize_repository_url(context) == normalize_repository_url(spec.location)


# ---- property tests -------------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "io", "example"]),
)
segments = st.lists(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True).filter(
        lambda s: s not in (".", "..") and not s.lower().endswith(".git")
    ),
    min_size=1,
    max_size=4,
)
users = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
tokens = st.from_regex(r"[A-Za-z0-9]{8,20}", fullmatch=True)


def _spellings(host: str, path: str, user: str, token: str) -> list[str]:
    return [
        f"https://{host}/{path}",
        f"https://{host}/{path}.git",
        f"https://{host}/{path}/",
        f"https://{host.upper()}/{path}.git",
        f"http://{host}/{path}",
        f"https://{host}:443/{path}.git",
        f"https://{user}:{token}@{host}/{path}.git",
        f"git@{host}:{path}.git",
        f"{user}@{host}:{path}",
        f"ssh://git@{host}/{path}.git",
        f"ssh://{user}@{host}:22/{path}.git",
        f"ssh://git@{host}:2222/{path}",
        f"git://{host}/{path}.git",
        f"{host}/{path}",
        f"https://{host}/{path}.git#main:sub/dir",
        f"git@{host}:{path}.git#v1",
    ]


@given(hosts, segments, users, tokens)
def test_all_spellings_of_one_repository_are_equal(host: str, segs: list[str], user: str, token: str) -> None:
    path = "/".join(segs)
    keys = {normalize_repository_url(url) for url in _spellings(host, path, user, token)}
    assert len(keys) == 1


@given(hosts, segments, users, tokens)
def test_normalisation_is_idempotent(host: str, segs: list[str], user: str, token: str) -> None:
    for url in _spellings(host, "/".join(segs), user, token):
        key = normalize_repository_url(url)
        assert normalize_repository_url(key) == key


@given(hosts, segments, users, tokens)
def test_keys_never_contain_credentials(host: str, segs: list[str], user: str, token: str) -> None:
    for url in _spellings(host, "/".join(segs), user, token):
        key = normalize_repository_url(url)
        assert "@" not in key
        assert token not in key.replace(host, "").replace("/".join(segs), "")
        assert key.startswith(f"https://{host}/")


@given(hosts, segments, segments)
def test_different_paths_give_different_keys(host: str, a: list[str], b: list[str]) -> None:
    if [s.lower() for s in a] != [s.lower() for s in b]:
        assert normalize_repository_url(f"https://{host}/{'/'.join(a)}") != normalize_repository_url(
            f"https://{host}/{'/'.join(b)}"
        )


@given(st.text(max_size=60))
def test_arbitrary_text_either_normalises_or_raises_the_documented_error(text: str) -> None:
    try:
        key = normalize_repository_url(text)
    except InvalidRepositoryUrlError:
        return
    assert key.startswith("https://")
    assert normalize_repository_url(key) == key
