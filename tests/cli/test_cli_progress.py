"""Progress on a terminal (``Console.progress``): packing, upload bytes and rate, the run's place in its queue,
``--no-logs`` status; erased before every other line, never on a pipe, off with ``--no-progress`` or
``TERM=dumb``. What remains once the progress is erased is exactly what a pipe gets (tests compare that)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from fakeapi import FakeApi, ScriptedRun

from tasks_engine.cli.main import main
from tasks_engine.cli.remote import follow
from tasks_engine.cli.remote.console import Console, Progress, progress_for

PROGRESS = re.compile(r"\r[^\r\n]*?\x1b\[K")  # one redraw, or the erase ("\r\x1b[K")
ARCHIVE = re.compile(r"(build|run)_archive_[0-9a-f]{32}")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], *, tty: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), (Terminal() if tty else io.StringIO())
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def plain(err: str) -> str:
    return ARCHIVE.sub("ARCHIVE", PROGRESS.sub("", err))


@pytest.fixture
def queued(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """Every new run waits two looks in its queue, at position 2 of 3, one worker listening."""
    monkeypatch.setattr(follow, "QUEUE_POLL", 0.001)
    monkeypatch.delenv("TERM", raising=False)
    api.queue_info = {"queue": "runs", "position": 2, "length": 3, "workersListening": 1, "workers": ["w1"]}
    return api


def context(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM busybox\n")
    (root / "data.bin").write_bytes(os.urandom(1 << 20))  # 1 MiB that gzip cannot shrink: several upload chunks
    return root


def test_a_terminal_sees_packing_upload_and_queue_then_exactly_the_plain_lines(
        queued: FakeApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    queued.next_script = ScriptedRun(["hello\n", "Run ID: ca1 was successful after 1s\n"], polls_before_done=2)
    folder = str(context(tmp_path))
    rc, out, err = run_cli(monkeypatch, ["build", "-t", "app:1", folder], tty=True)
    assert rc == 0
    frames = PROGRESS.findall(err)
    texts = [f[1:-3] for f in frames if f != "\r\x1b[K"]
    assert any(t.startswith("Packing: ") for t in texts), texts
    upload = [t for t in texts if t.startswith("Uploading: ")]
    assert upload and re.fullmatch(r"Uploading: [\d.]+ (KiB|MiB) of [\d.]+ (KiB|MiB) \(100%\), [\d.]+ \w+/s",
                                   upload[-1]), upload
    assert "In queue runs: position 2 of 3, 1 worker listening (0s)" in texts
    assert err.count("\r\x1b[K") >= 3  # erased after packing/uploading, before the queue line, before the log
    assert out == "hello\nRun ID: ca1 was successful after 1s\n"  # the log itself is untouched

    queued.seq = 0
    queued.next_script = ScriptedRun(["hello\n", "Run ID: ca1 was successful after 1s\n"], polls_before_done=2)
    rc2, out2, err2 = run_cli(monkeypatch, ["build", "-t", "app:1", folder], tty=False)
    assert (rc2, out2) == (rc, out)
    assert "\r" not in err2 and "\x1b" not in err2
    assert plain(err) == plain(err2)


@pytest.mark.parametrize("how", ["flag", "dumb"])
def test_no_progress_or_a_dumb_terminal_prints_only_the_plain_lines(
        queued: FakeApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str) -> None:
    argv = ["build", "-t", "app:1", str(context(tmp_path))]
    if how == "flag":
        argv.insert(1, "--no-progress")
    else:
        monkeypatch.setenv("TERM", "dumb")
    rc, _, err = run_cli(monkeypatch, argv, tty=True)
    assert rc == 0 and "\r" not in err and "\x1b" not in err


def test_no_logs_shows_the_queue_then_the_status_as_it_polls(queued: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    queued.next_script = ScriptedRun(["x\n"], polls_before_done=2)
    rc, out, err = run_cli(monkeypatch, ["run", "--no-logs", "--cmd", "busybox true", "/dev/null"], tty=True)
    assert rc == 0
    assert "In queue runs: position 2 of 3, 1 worker listening" in err
    assert err.count("\r\x1b[K") == 1 and PROGRESS.sub("", err).splitlines() == [
        "Queued a run with ID: ca1", "Waiting for an agent..."]
    assert "ca1" in out and "Succeeded" in out


def test_task_run_has_the_flag(queued: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    queued.tasks["hello"] = {"name": "hello"}
    rc, _, err = run_cli(monkeypatch, ["task", "run", "-n", "hello", "--no-progress"], tty=True)
    assert rc == 0 and "\r" not in err
    rc, _, err = run_cli(monkeypatch, ["task", "run", "-n", "hello"], tty=True)
    assert rc == 0 and "In queue runs" in err


def test_progress_is_made_for_terminals_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    monkeypatch.delenv("TERM", raising=False)
    args = argparse.Namespace(no_progress=False)
    assert progress_for(args, io.StringIO()) is None
    assert isinstance(progress_for(args, Terminal()), Progress)
    assert progress_for(argparse.Namespace(no_progress=True), Terminal()) is None


def test_a_redraw_is_throttled_cut_to_the_width_and_erased_once() -> None:
    clock = iter([0.0, 0.05, 0.2, 0.3, 0.4])
    screen = Terminal()
    progress = Progress(screen, clock=lambda: next(clock), width=lambda: 20)
    console = Console(progress=progress, stream=screen)
    progress.update("a" * 50)
    progress.update("b")  # within 0.1 s of the last redraw: skipped
    progress.update("c")
    console.line("a line")  # erases the progress first
    console.done()  # nothing shown any more: writes nothing
    assert screen.getvalue() == "\r" + "a" * 19 + "\x1b[K" + "\rc\x1b[K" + "\r\x1b[K" + "a line\n"
