"""Context classification: acr-builder util/url_test.go, scan/git_test.go TestParseRemoteURL,
builder/parse_test.go TestGetContextFromGitURL, and our additions."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.errors import EngineError, UsageError
from tasks_engine.source import ContextKind, InvalidContextError, mask_url, parse_context, split_credentials

VALID_GIT = [
    "https://github.com/Azure/acr-builder.git",
    "https://github.com/Azure/acr-builder.git#master:src",
    "https://github.com/Azure/acr-builder.git#:src",
    "https://github.com/Azure/acr-builder.git#master",
]
VALID_VSTS = [
    "https://azure.visualstudio.com/ACR/_git/Build/",
    "https://PAT@azure.visualstudio.com/ACR/_git/Build/",
    "https://user:pat@azure.visualstudio.com/ACR/_git/Build/",
    "https://azure.visualstudio.com/ACR/_git/Build",
]
VALID_DEVOPS = [
    "https://foo@dev.azure.com/foo/dockerfiles/_git/dockerfiles",
    "https://foo:bar@dev.azure.com/foo/dockerfiles/_git/dockerfiles",
    "https://dev.azure.com/foo/dockerfiles/_git/dockerfiles",
]


@pytest.mark.parametrize("url", VALID_GIT + VALID_VSTS + VALID_DEVOPS)
def test_source_control_urls_are_git(url: str) -> None:
    assert parse_context(url).kind is ContextKind.GIT


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Azure/acr-builder",
        "https://github.com/Azure/acr-builder.git#",
        "https://sometarcontext.com",
        "http://host/x.tar.gz",
        "https://host/x.tgz",
        "https://host/x.tar",
    ],
)
def test_other_http_urls_are_tarballs(url: str) -> None:
    assert parse_context(url).kind is ContextKind.TARBALL


def test_github_without_dot_git_warns_like_acr() -> None:
    spec = parse_context("https://github.com/Azure/acr-builder")
    assert spec.warnings and "Valid Git repositories should end with .git." in spec.warnings[0]
    assert parse_context("https://host/x.tar.gz").warnings == ()


@pytest.mark.parametrize("path", ["baseimages/foo", ".", "/abs/dir", "./x", "src/my.gitfolder"])
def test_local_contexts(path: str) -> None:
    spec = parse_context(path)
    assert spec.kind is ContextKind.LOCAL
    assert spec.location == path


@pytest.mark.parametrize("value", [None, "/dev/null", " /dev/null "])
def test_empty_context(value: str | None) -> None:
    assert parse_context(value).kind is ContextKind.EMPTY


@pytest.mark.parametrize(
    ("url", "remote", "ref", "subdir"),
    [
        # moby/acr-builder TestParseRemoteURL
        ("git://github.com/user/repo.git", "git://github.com/user/repo.git", None, None),
        (
            "git://github.com/user/repo.git#mybranch:mydir/mysubdir/",
            "git://github.com/user/repo.git",
            "mybranch",
            "mydir/mysubdir",
        ),
        ("https://github.com/user/repo.git", "https://github.com/user/repo.git", None, None),
        (
            "https://github.com/user/repo.git#mybranch:mydir/mysubdir/",
            "https://github.com/user/repo.git",
            "mybranch",
            "mydir/mysubdir",
        ),
        ("git@github.com:user/repo.git", "git@github.com:user/repo.git", None, None),
        (
            "git@github.com:user/repo.git#mybranch:mydir/mysubdir/",
            "git@github.com:user/repo.git",
            "mybranch",
            "mydir/mysubdir",
        ),
        # builder/parse_test.go TestGetContextFromGitURL
        (
            "https://github.com/Azure/acr-builder.git#stable:.",
            "https://github.com/Azure/acr-builder.git",
            "stable",
            None,
        ),
        (
            "https://github.com/Azure/acr-builder.git#master:HelloWorld",
            "https://github.com/Azure/acr-builder.git",
            "master",
            "HelloWorld",
        ),
        ("https://github.com/Azure/acr-builder.git#:Foo", "https://github.com/Azure/acr-builder.git", None, "Foo"),
        (
            "https://foo.visualstudio.com/ACR/_git/Build/#master:HelloWorld",
            "https://foo.visualstudio.com/ACR/_git/Build/",
            "master",
            "HelloWorld",
        ),
        (
            "https://foo.visualstudio.com/ACR/_git/Build#master:HelloWorld",
            "https://foo.visualstudio.com/ACR/_git/Build",
            "master",
            "HelloWorld",
        ),
        ("https://dev.azure.com/u/p/_git/r#branch:folder", "https://dev.azure.com/u/p/_git/r", "branch", "folder"),
        # sha + folder, file:// and bare repos
        (
            "https://h/u/r.git#0123456789abcdef0123456789abcdef01234567:a/b",
            "https://h/u/r.git",
            "0123456789abcdef0123456789abcdef01234567",
            "a/b",
        ),
        ("file:///tmp/x/repo.git#main:sub", "file:///tmp/x/repo.git", "main", "sub"),
        ("file:///tmp/x/repo", "file:///tmp/x/repo", None, None),
        ("/srv/mirrors/repo.git#v1", "/srv/mirrors/repo.git", "v1", None),
        ("ssh://git@host/u/r.git#main", "ssh://git@host/u/r.git", "main", None),
        ("github.com/u/r", "https://github.com/u/r", None, None),
        ("https://h/r.git#main:/docker", "https://h/r.git", "main", "docker"),
        ("https://h/r.git#refs/pull/1/head", "https://h/r.git", "refs/pull/1/head", None),
    ],
)
def test_git_ref_and_subdir(url: str, remote: str, ref: str | None, subdir: str | None) -> None:
    spec = parse_context(url)
    assert spec.kind is ContextKind.GIT
    assert (spec.location, spec.ref, spec.subdir) == (remote, ref, subdir)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("oci://reg.azurecr.io/artifact:tag", "not supported yet"),
        ("ftp://host/x.tar", "unsupported context URL scheme"),
        ("", "empty"),
        ("https://h/r.git#main:../../etc", "not within the repository"),
        ("https://h/r.git#--upload-pack=x", "invalid git ref"),
        ("https://h/r.git#a b", "invalid git ref"),
    ],
)
def test_invalid_contexts(text: str, fragment: str) -> None:
    with pytest.raises(InvalidContextError, match=fragment) as info:
        parse_context(text)
    assert isinstance(info.value, UsageError)


def test_errors_mask_credentials() -> None:
    with pytest.raises(InvalidContextError) as info:
        parse_context("oci://user:secret@reg.io/a:b")
    assert "secret" not in str(info.value)
    assert "***@reg.io" in str(info.value)
    spec = parse_context("https://user:tok@host/u/r.git#main")
    assert "tok" not in spec.display


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://user:pat@host/u/r.git", "https://***@host/u/r.git"),
        ("https://pat@host/u/r.git#main:x", "https://***@host/u/r.git#main:x"),
        ("https://host/x.tar.gz?sig=abc&se=1", "https://host/x.tar.gz?sig=***&se=***"),
        ("git@github.com:u/r.git", "git@github.com:u/r.git"),
        ("./local", "./local"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_split_credentials() -> None:
    url, auth = split_credentials("https://user:p%40ss@host/u/r.git")
    assert url == "https://host/u/r.git"
    assert auth is not None and (auth.username, auth.password) == ("user", "p@ss")
    url, auth = split_credentials("https://PAT@host/u/r.git")
    assert auth is not None and (auth.username, auth.password) == ("dummy", "PAT")
    assert "PAT" not in repr(auth)
    assert split_credentials("git@host:u/r.git") == ("git@host:u/r.git", None)


@given(st.text(max_size=60))
def test_parser_never_raises_foreign_errors(text: str) -> None:
    try:
        spec = parse_context(text)
    except EngineError:
        return
    assert spec.kind in set(ContextKind)


@given(
    st.from_regex(
        r"(https?|git|file|oci|ssh)://[a-z:@.]{0,10}/[a-z./_]{0,10}(\.git)?(#[a-z0-9:./]{0,10})?", fullmatch=True
    )
)
def test_url_shapes_never_raise_foreign_errors(text: str) -> None:
    with contextlib.suppress(EngineError):
        parse_context(text)
