"""Pure per-value rules: push refs, env merge, working directory, command aliases, cmd splitting."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.plan.normalize import (
    StepValueError,
    expand_command_alias,
    go_path_clean,
    merge_envs,
    normalize_workdir,
    split_cmd,
)
from tasks_engine.plan.refs import has_tag_or_digest, normalize_push_ref, normalize_push_refs

# --- push references (spec §8.15) --------------------------------------------------------------------------


def test_push_refs_spec_example() -> None:
    digest = "b@sha256:" + "a" * 64
    assert normalize_push_refs(["a", "a:latest", digest]) == ["a:latest", digest]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("app", "app:latest"),
        ("app:1", "app:1"),
        ("host:5000/app", "host:5000/app:latest"),  # ACR would leave this untagged
        ("host:5000/team/app:2", "host:5000/team/app:2"),
        ("registry.local:5000/x@sha256:abc", "registry.local:5000/x@sha256:abc"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
    ],
)
def test_push_ref_normalisation(ref: str, expected: str) -> None:
    assert normalize_push_ref(ref) == expected
    assert has_tag_or_digest(expected)


def test_push_refs_keep_first_order() -> None:
    assert normalize_push_refs(["b", "a:1", "b:latest", "a:1", "c"]) == ["b:latest", "a:1", "c:latest"]


# --- env merge (spec §2.4, TestMergeEnvs) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "step", "expected"),
    [
        (["k1=v1", "k2=v2", "k3=v3"], ["k1=n1", "k2=n2"], ["k1=n1", "k2=n2", "k3=v3"]),
        (["key1=val1,key2=val2"], [], ["key1=val1", "key2=val2"]),
        (["foo=taskEnv"], ["eric=foo", "foo=bar"], ["eric=foo", "foo=bar"]),
        ([], ["K=a=b"], ["K=a=b"]),
        (["K=a=b"], [], ["K=a=b"]),
        (["HOME=/x"], [], ["HOME=/x"]),
        ([], ["NOEQUALS"], ["NOEQUALS"]),  # ACR checks step entries only when the task has env
    ],
)
def test_merge_envs(task: list[str], step: list[str], expected: list[str]) -> None:
    assert merge_envs(step, task) == expected


@pytest.mark.parametrize(
    ("task", "step", "message"),
    [
        (["A=x,y"], [], "cannot parse task environment variable y correctly"),
        (["A=1,"], [], "cannot parse task environment variable  correctly"),
        (["A"], [], "cannot parse task environment variable A correctly"),
        (["A=1"], ["B"], "cannot parse step environment variable B correctly"),
    ],
)
def test_merge_env_errors(task: list[str], step: list[str], message: str) -> None:
    with pytest.raises(StepValueError, match=message):
        merge_envs(step, task)


# --- working directory (normalizeWorkDir / path.Clean) -----------------------------------------------------


@pytest.mark.parametrize(
    ("workdir", "expected"),
    [
        ("", "/workspace"),
        ("src", "/workspace/src"),
        ("./src/", "/workspace/src"),
        ("../x", "/x"),
        ("../../..", "/"),
        ("a/../../b", "/b"),
        ("/abs//dir/./x/..", "/abs/dir"),
        ("//double", "/double"),
        ("/", "/"),
        ("pullDir", "/workspace/pullDir"),
    ],
)
def test_normalize_workdir(workdir: str, expected: str) -> None:
    assert normalize_workdir(workdir) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab./", max_size=20))
def test_go_clean_matches_posix_normpath_except_double_slash(p: str) -> None:
    cleaned = go_path_clean(p)
    expected = posixpath.normpath(p) if p else "."
    if expected.startswith("//"):
        expected = expected[1:]
    if expected.startswith("/.."):  # normpath keeps nothing above the root either, but be explicit
        expected = posixpath.normpath(expected)
    assert cleaned == expected
    assert go_path_clean(cleaned) == cleaned


# --- command aliases (ExpandCommandAliases) ----------------------------------------------------------------

ALIASES = {"bash": "mcr.microsoft.com/acr/bash:2ff604c", "purge": "acr purge"}


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("bash echo hi", "mcr.microsoft.com/acr/bash:2ff604c echo hi"),
        ("  purge --x", "acr purge --x"),
        ("bashful echo", "bashful echo"),
        ("bash\techo", "bash\techo"),
        ("echo bash", "echo bash"),
        ("bash  two  spaces", "mcr.microsoft.com/acr/bash:2ff604c  two  spaces"),
    ],
)
def test_expand_command_alias(cmd: str, expected: str) -> None:
    assert expand_command_alias(cmd, ALIASES) == expected


def test_no_aliases_leaves_cmd_untouched() -> None:
    assert expand_command_alias("  bash echo", {}) == "  bash echo"


# --- cmd splitting ----------------------------------------------------------------------------------------


def test_split_cmd_shell_words() -> None:
    image, args = split_cmd("""busybox sh -c 'echo "$HOME" > /workspace/out' # not a comment""")
    assert image == "busybox"
    assert args == ["sh", "-c", 'echo "$HOME" > /workspace/out', "#", "not", "a", "comment"]


def test_split_cmd_multiline_block() -> None:
    assert split_cmd("busybox\n  echo\n  hi\n") == ("busybox", ["echo", "hi"])


@pytest.mark.parametrize(
    ("cmd", "needle"), [("busybox 'open", "No closing quotation"), ("   ", "no image"), ("''", "no image")]
)
def test_split_cmd_errors(cmd: str, needle: str) -> None:
    with pytest.raises(StepValueError, match=needle):
        split_cmd(cmd)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_split_cmd_never_raises_foreign_errors(cmd: str) -> None:
    try:
        image, _ = split_cmd(cmd)
    except StepValueError:
        return
    assert image
