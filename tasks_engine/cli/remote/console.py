"""Every line remote mode prints around a run's log, worded as ``az acr build``/``run``/``task`` words them.

Why one module: az prints these as warnings on stderr and users (and their scripts) match on them, so their
text is a contract (service-spec §6.4); and upload progress, a later addition, belongs next to them. Each
line passes the command line's masker: a context path or a message can quote a secret.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

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


@dataclass
class Console:
    """The stderr side of a remote command (the run's log goes to stdout)."""

    masker: SecretMasker = field(default_factory=lambda: SecretMasker(()))
    stream: TextIO | None = None

    def line(self, text: str) -> None:
        out = self.stream or sys.stderr
        print(self.masker.mask(text), file=out, flush=True)

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
