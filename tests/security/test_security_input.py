"""Bad input gives a clear one-line error, never a traceback or an ``internal error``."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.cli.durations import parse_duration
from tasks_engine.cli.main import main
from tasks_engine.errors import UsageError


@given(st.text(max_size=30))
@settings(max_examples=300)
def test_parse_duration_returns_or_raises_usage_error(text: str) -> None:
    with contextlib.suppress(UsageError):
        assert isinstance(parse_duration(text), timedelta)


@pytest.mark.parametrize("text", ["99999999999999d", "9" * 40, "99999999999999999h1s"])
def test_huge_durations_are_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="too long"):
        parse_duration(text)


def test_gc_with_a_huge_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gc", "--older-than", "99999999999999d"]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "too long" in err


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_max_parallel_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cmd", "busybox true", "--max-parallel", value, "/dev/null"]) == 2
    assert "--max-parallel" in capsys.readouterr().err


@pytest.mark.parametrize(
    "context",
    ["http://[::1", "http://h:99999/x.tgz", "https://u:p@/x.tgz", "git@:.git", "oci://x", "ftp://x/y"],
)
def test_odd_contexts_are_clear_errors(tmp_path: Path, context: str, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text(f"stateRoot: {tmp_path / 'state'}\n", encoding="utf-8")
    rc = main(["run", "--cmd", "busybox true", "--config", str(conf), context])
    err = capsys.readouterr().err
    assert rc != 0
    assert "internal error" not in err
    assert "Traceback" not in err


def test_git_errors_naming_a_sha_with_503_are_not_transient() -> None:
    """The flake seen in the full suite: ``couldn't find remote ref a163e8503c`` was taken for an HTTP 503,
    so the non-shallow fallback fetch never ran."""
    import git

    from tasks_engine.source.errors import GitContextError, GitTransientError
    from tasks_engine.source.git import _translate

    def translate(stderr: str) -> Exception:
        return _translate(git.GitCommandError(["git", "fetch"], 128, stderr), "file:///tmp/p-503/r.git", ("fetch",))

    assert type(translate("fatal: couldn't find remote ref a163e8503c")) is GitContextError
    assert isinstance(translate("error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503"),
                      GitTransientError)
    assert isinstance(translate("fatal: unable to access 'x': The requested URL returned error: 502"),
                      GitTransientError)
