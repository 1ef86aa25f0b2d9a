"""Every line remote mode prints around a run's log, worded as ``az acr build``/``run``/``task`` words them.

Why one module: az prints these as warnings on stderr and users (and their scripts) match on them, so their
text is a contract (service-spec §6.4); and upload progress, a later addition, belongs next to them. Each
line passes the command line's masker: a context path or a message can quote a secret.

Progress (``Progress``): on a terminal only, one status line on stderr redrawn in place — bytes packed,
bytes uploaded with the rate, the run's place in its queue — and erased before any other line is printed, so
what remains on the screen, and everything written to a pipe or a file, is exactly az's lines and the log.
Off when stderr is not a TTY, when ``TERM=dumb``, and with ``--no-progress``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from tasks_engine.runtime.masking import SecretMasker

RESUME = "tasks-engine task logs --run-id {run_id}"


def stdin_is_tty() -> bool:
    try:
        return bool(sys.stdin) and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def ask(prompt: str) -> str:
    """A question on stderr (stdout may be a pipe a script reads), the answer from stdin."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()


def human_size(size: float) -> tuple[float, str]:
    """az's ``upload_source_code`` units: Bytes below 1 KiB, then KiB, MiB, GiB."""
    for unit in ("Bytes", "KiB", "MiB", "GiB"):
        if size < 1024:
            return size, unit
        size /= 1024.0
    return size, "GiB"


def unsuccessful_message(run_id: str, status: str) -> str:
    """az's ``RunPolling`` error, with our command names."""
    return (f"The run with ID '{run_id}' finished with unsuccessful status '{status}'. "
            f"Show run details by 'tasks-engine task show-run --run-id {run_id}'. "
            f"Show run logs by '{RESUME.format(run_id=run_id)}'.")


def human_rate(size: float, seconds: float) -> str:
    value, unit = human_size(size / seconds if seconds > 0 else 0.0)
    return f"{value:.1f} {unit}/s"


def _size(size: float) -> str:
    value, unit = human_size(size)
    return f"{value:.0f} {unit}" if unit == "Bytes" else f"{value:.1f} {unit}"


@dataclass
class Progress:
    """One status line on a terminal, redrawn in place at most every ``interval`` seconds (``update``), erased
    by ``clear``. Only ever made for a TTY (``progress_for``); it writes nothing else."""

    stream: TextIO
    interval: float = 0.1
    clock: Callable[[], float] = time.monotonic
    width: Callable[[], int] = field(default=lambda: shutil.get_terminal_size((80, 24)).columns)
    _shown: bool = False
    _last: float = -1.0
    _text: str = ""

    def update(self, text: str, *, force: bool = False) -> None:
        now = self.clock()
        # Throttled while a line is up; the first line after an erase is drawn at once.
        if self._shown and (text == self._text or (not force and now - self._last < self.interval)):
            return
        self._last, self._text = now, text
        # The line is cut to the terminal's width: a wrapped line could not be erased by one carriage return.
        self.stream.write("\r" + text[: max(self.width() - 1, 10)] + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
            self._text = ""


def progress_for(args: argparse.Namespace, stream: Any = None) -> Progress | None:
    """A ``Progress`` on stderr when it is a terminal and ``--no-progress`` was not given; else None."""
    out = stream if stream is not None else sys.stderr
    if getattr(args, "no_progress", False) or os.environ.get("TERM") == "dumb":
        return None
    try:
        if not out.isatty():
            return None
    except (AttributeError, ValueError, OSError):
        return None
    return Progress(out)


@dataclass
class Console:
    """The stderr side of a remote command (the run's log goes to stdout)."""

    masker: SecretMasker = field(default_factory=lambda: SecretMasker(()))
    stream: TextIO | None = None
    progress: Progress | None = None
    _started: float = 0.0

    def line(self, text: str) -> None:
        out = self.stream or sys.stderr
        self.done()
        print(self.masker.mask(text), file=out, flush=True)

    # -- progress (a terminal only; see the module docstring) -------------------------------------------------

    def done(self) -> None:
        """Erase the progress line (before a line of az's, or the run's log, is printed)."""
        if self.progress is not None:
            self.progress.clear()

    def packed(self, size: int) -> None:
        if self.progress is not None:
            self.progress.update(f"Packing: {_size(size)}")

    def upload_started(self) -> None:
        self._started = time.monotonic()

    def uploaded(self, sent: int, total: int) -> None:
        if self.progress is None:
            return
        elapsed = time.monotonic() - self._started
        share = f" ({100 * sent // total}%)" if total else ""
        self.progress.update(f"Uploading: {_size(sent)} of {_size(total)}{share}, {human_rate(sent, elapsed)}",
                             force=sent >= total)

    def in_queue(self, info: dict[str, Any], waited: float) -> None:
        """Where a queued run stands: ``GET /v1/runs/{id}``'s ``queueInfo``."""
        if self.progress is None:
            return
        position, length = info.get("position"), info.get("length")
        place = f"position {position} of {length}" if isinstance(position, int) and position > 0 else "queued"
        workers = info.get("workersListening")
        listening = f", {workers} worker{'s' if workers != 1 else ''} listening" if isinstance(workers, int) else ""
        queue = f" {info['queue']}" if info.get("queue") else ""
        self.progress.update(f"In queue{queue}: {place}{listening} ({waited:.0f}s)")

    # -- packing and uploading (az's _archive_utils.py) -------------------------------------------------------

    def packing(self) -> None:
        self.line("Packing source code into tar to upload...")

    def excluding(self, name: str) -> None:
        self.line(f"Excluding '{name}' based on default ignore rules")

    def overriding_dockerignore(self, path: str) -> None:
        self.line(f"Overriding .dockerignore with {path}")

    def uploading(self, archive: str) -> None:
        self.line(f"Uploading archived source code from '{archive}'...")

    def sent_context(self, size: int, server: str) -> None:
        value, unit = human_size(size)
        self.line(f"Sending context ({value:.3f} {unit}) to registry: {server}...")

    def remote_context(self, server: str) -> None:
        self.line(f"Sending context to registry: {server}...")

    # -- queueing and waiting (az's build.py, run.py, task.py) ------------------------------------------------

    def queued(self, run_id: str, *, build: bool) -> None:
        self.line(f"Queued a {'build' if build else 'run'} with ID: {run_id}")

    def waiting(self) -> None:
        self.line("Waiting for an agent...")

    def no_worker(self, reason: str) -> None:
        """Beyond az (ACR has no such state): the run cannot start until a worker serves its queue."""
        self.line(f"tasks-engine: {reason}")

    def unsuccessful(self, run_id: str, status: str) -> None:
        self.line(unsuccessful_message(run_id, status))

    def last_run(self, task: str | None, run_id: str) -> None:
        self.line(f"Showing logs of the last created run{f' for task {task!r}' if task else ''}.")
        self.line(f"Run ID: {run_id}")

    # -- interruption -----------------------------------------------------------------------------------------

    def stopped_following(self, run_id: str) -> None:
        self.line(f"Stopped following run {run_id}; it keeps running on the server. "
                  f"Resume with: {RESUME.format(run_id=run_id)}")

    def canceling(self, run_id: str) -> None:
        self.line(f"Canceling run {run_id}...")

    def lost_connection(self, run_id: str, reason: str) -> None:
        self.line(f"tasks-engine: error: {reason}. The run goes on; resume with: {RESUME.format(run_id=run_id)}")
