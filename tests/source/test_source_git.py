"""Git contexts against real repositories created in a temp dir and fetched over file:// (no network)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from tasks_engine.errors import EngineError, UsageError
from tasks_engine.source import (
    GitAuth,
    GitContextError,
    InvalidContextError,
    git_head_revision,
    materialize_context,
)
from tasks_engine.source.git import resolve_in_scope

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "protocol.file.allow",
    "GIT_CONFIG_VALUE_0": "always",
    "GIT_CONFIG_KEY_1": "init.defaultBranch",
    "GIT_CONFIG_VALUE_1": "main",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout.strip()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("git")
    sub = base / "subrepo"
    sub.mkdir()
    git(sub, "init", "-q")
    write(sub / "subfile", "subcontents")
    git(sub, "add", "-A")
    git(sub, "commit", "-qm", "sub initial")

    work = base / "work"
    work.mkdir()
    git(work, "init", "-q")
    write(work / "Dockerfile", "FROM scratch\n")
    write(work / "app" / "Dockerfile", "FROM alpine:3\n")
    os.symlink("app", work / "applink")
    os.symlink("/app", work / "abslink")
    os.symlink("../outside", work / "parentlink")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "first")
    first = git(work, "rev-parse", "HEAD")
    git(work, "submodule", "add", "-q", sub.as_uri(), "sub")
    git(work, "commit", "-qm", "with submodule")
    git(work, "tag", "-a", "v1", "-m", "release 1")
    main_head = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-qb", "feature")
    write(work / "app" / "Dockerfile", "FROM alpine:feature\n")
    git(work, "commit", "-qam", "feature change")
    feature = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "main")
    write(work / "later.txt", "later\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "later on main")
    main_tip = git(work, "rev-parse", "HEAD")

    bare = base / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], env=ENV, check=True)
    return {
        "url": bare.as_uri(),
        "bare": str(bare),
        "first": first,
        "tagged": main_head,
        "feature": feature,
        "main": main_tip,
    }


def test_default_branch_with_submodule(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(repo["url"], tmp_path / "c", timeout=60)
    assert info.commit == repo["main"]
    assert info.branch == "main"
    assert info.path == tmp_path / "c"
    assert (info.path / "sub" / "subfile").read_text() == "subcontents"
    assert (info.path / ".git" / "shallow").exists()  # fetched with --depth 1
    assert git_head_revision(info.path) == repo["main"]


def test_branch_and_folder(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(f"{repo['url']}#feature:app", tmp_path / "c", timeout=60)
    assert info.path == tmp_path / "c" / "app"
    assert (info.path / "Dockerfile").read_text() == "FROM alpine:feature\n"
    assert (info.commit, info.branch) == (repo["feature"], "feature")
    assert git(tmp_path / "c", "rev-parse", "--abbrev-ref", "HEAD") == "feature"


def test_sha_and_folder_falls_back_to_full_fetch(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(f"{repo['url']}#{repo['first']}:app", tmp_path / "c", timeout=60)
    assert info.commit == repo["first"]
    assert (info.path / "Dockerfile").read_text() == "FROM alpine:3\n"
    assert not (tmp_path / "c" / "sub" / "subfile").exists()  # no submodule yet at that commit


def test_abbreviated_sha(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(f"{repo['url']}#{repo['feature'][:10]}", tmp_path / "c", timeout=60)
    assert info.commit == repo["feature"]


def test_annotated_tag(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(f"{repo['url']}#v1", tmp_path / "c", timeout=60)
    assert info.commit == repo["tagged"]
    assert not (info.path / "later.txt").exists()
    assert (info.path / "sub" / "subfile").exists()


def test_local_bare_repo_path(repo: dict[str, str], tmp_path: Path) -> None:
    info = materialize_context(f"{repo['bare']}#main:app", tmp_path / "c", timeout=60)
    assert info.commit == repo["main"]
    assert info.path.name == "app"


@pytest.mark.parametrize(("folder", "expected"), [("applink", "app"), ("abslink", "app")])
def test_symlinked_subfolder_resolved_in_scope(
    repo: dict[str, str], tmp_path: Path, folder: str, expected: str
) -> None:
    info = materialize_context(f"{repo['url']}#main:{folder}", tmp_path / "c", timeout=60)
    assert info.path == (tmp_path / "c" / expected).resolve()


@pytest.mark.parametrize(
    ("fragment", "error", "message"),
    [
        ("main:nosubdir", InvalidContextError, "not a directory"),
        ("main:Dockerfile", InvalidContextError, "not a directory"),
        ("main:parentlink", InvalidContextError, "not a directory"),
        ("nope", GitContextError, "ref 'nope' not found"),
        ("deadbeefdeadbeef", GitContextError, "commit 'deadbeefdeadbeef' not found"),
    ],
)
def test_failures_clean_up(
    repo: dict[str, str], tmp_path: Path, fragment: str, error: type[EngineError], message: str
) -> None:
    dest = tmp_path / "c"
    with pytest.raises(error, match=message):
        materialize_context(f"{repo['url']}#{fragment}", dest, timeout=60)
    assert not dest.exists()


def test_resolve_in_scope_clamps_parent_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    os.symlink("../../../../a", tmp_path / "up")
    assert resolve_in_scope(tmp_path, "up") == (tmp_path / "a").resolve()


def test_credentials_never_in_messages_or_config(tmp_path: Path) -> None:
    url = "https://user:s3cr3t@127.0.0.1:9/u/r.git#main"
    with pytest.raises(EngineError) as info:
        materialize_context(url, tmp_path / "c", timeout=20, git_auth=None)
    assert "s3cr3t" not in str(info.value)
    assert "***@127.0.0.1" in str(info.value) or "127.0.0.1" in str(info.value)
    assert not (tmp_path / "c").exists()
    auth = GitAuth("tok3n")
    with pytest.raises(EngineError) as info2:
        materialize_context("https://127.0.0.1:9/u/r.git", tmp_path / "d", timeout=20, git_auth=auth)
    assert "tok3n" not in str(info2.value)


def test_destination_must_be_empty(repo: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("keep")
    with pytest.raises(InvalidContextError, match="empty folder") as info:
        materialize_context(repo["url"], tmp_path / "c", timeout=60)
    assert isinstance(info.value, UsageError)
    assert (tmp_path / "c" / "x").read_text() == "keep"


def test_git_head_revision_errors_give_empty(tmp_path: Path) -> None:
    assert git_head_revision(tmp_path / "missing") == ""
    assert git_head_revision(tmp_path) == ""


def test_credentials_go_to_scoped_env_header_not_argv(tmp_path: Path) -> None:
    from tasks_engine.source.git import _Runner

    runner = _Runner(tmp_path, "https://host.example/u/r.git", GitAuth("pat"), deadline=1e18, local=False)
    pairs = {
        runner.env[f"GIT_CONFIG_KEY_{i}"]: runner.env[f"GIT_CONFIG_VALUE_{i}"]
        for i in range(int(runner.env["GIT_CONFIG_COUNT"]))
    }
    header = pairs["http.https://host.example/.extraHeader"]
    assert header == "Authorization: Basic " + base64.b64encode(b"dummy:pat").decode()
    assert "protocol.file.allow" not in pairs  # remote contexts may not pull file:// submodules
    assert runner.env["GIT_TERMINAL_PROMPT"] == "0"


def test_git_egress_pins_checks_every_host_and_pins_http() -> None:
    from tasks_engine.egress import EgressPolicy
    from tasks_engine.source.errors import EgressContextError
    from tasks_engine.source.git import egress_pins

    answers = {"git.example": ["203.0.113.9"], "evil.example": ["169.254.169.254"]}
    policy = EgressPolicy(resolver=lambda host, port: answers[host])
    pins = egress_pins(["https://git.example/org/repo.git", "git@git.example:org/other.git", "/local/repo.git"],
                       policy)
    assert pins == [("http.curloptResolve", "git.example:443:203.0.113.9"), ("http.followRedirects", "false")]
    with pytest.raises(EgressContextError, match=r"evil.example resolves to 169.254.169.254"):
        egress_pins(["https://evil.example/x.git"], policy)
    with pytest.raises(EgressContextError, match=r"169.254.169.254 is a link-local"):
        egress_pins(["ssh://git@169.254.169.254/x.git"], policy)
