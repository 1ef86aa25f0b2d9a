"""Waiting for a remote run: follow its log live (one SSE request, resumed by byte offset when the connection
drops), or poll its status (``--no-logs``), and handle Ctrl-C the way ``az acr run`` does.

Why resumable by offset: the log is an append-only byte stream and every ``log`` event's id is the offset
after it, so a reconnect asks for exactly the bytes not yet printed — nothing is lost or printed twice, even
across an API restart. ``az`` stops following on Ctrl-C and leaves the run running; we ask first when a
human is at the terminal, because a build left running by mistake holds a worker for up to eight hours.

On a terminal (``Console.progress``) a queued run's place in its queue is shown while it waits, from
``GET /v1/runs/{id}``'s ``queueInfo`` polled every second (the log stream says nothing until the run starts),
and ``--no-logs`` shows the run's status as it polls; the line is erased before the log is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from tasks_engine.cli.errors import CommandError, ServerUnavailable
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.console import RESUME, Console, ask, stdin_is_tty
from tasks_engine.cli.remote.sse import EventParser
from tasks_engine.runtime.masking import SecretMasker

FINISHED = frozenset({"Succeeded", "Failed", "Canceled", "Error", "Timeout"})
SUCCEEDED = "Succeeded"
INTERRUPTED = 130
MAX_RECONNECTS = 30  # consecutive failed reconnects (about a minute) before giving up
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.5, 1.5, 5.0
QUEUE_POLL = 1.0  # seconds between looks at a queued run's place, on a terminal only
QUEUED = "Queued"

Json = dict[str, Any]


def decode_log_data(data: str) -> str:
    """A ``log`` event's data is a JSON string of the exact log text; anything else is shown as it came."""
    try:
        text = json.loads(data)
    except ValueError:
        return data + "\n"
    return text if isinstance(text, str) else data + "\n"


def write_log(out: TextIO, text: str) -> None:
    """The log's exact bytes: the server carries bytes that are not UTF-8 as lone surrogates
    (``surrogateescape``), which a text stream cannot encode, so they go to its binary buffer."""
    data = text.encode("utf-8", "surrogateescape")
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(data.decode("utf-8", "replace"))
        out.flush()
        return
    out.flush()
    buffer.write(data)
    buffer.flush()


def _loads(data: str) -> Json:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class RunWaiter:
    """Waits for one run; keeps the log offset so that following can resume after an interruption."""

    client: ApiClient
    console: Console
    run_id: str
    out: TextIO
    masker: SecretMasker = field(default_factory=lambda: SecretMasker(()))
    sleep: Callable[[float], None] = time.sleep
    # Looked up at call time, so a test can stand in for the terminal.
    interactive: Callable[[], bool] = field(default=lambda: stdin_is_tty())
    ask_user: Callable[[str], str] = field(default=lambda prompt: ask(prompt))
    parser: EventParser = field(default_factory=EventParser)
    offset: int = 0
    _hinted: bool = False

    def explain_queue(self, data: Json) -> None:
        """Once per run: say so when no worker serves the run's queue (it would wait forever)."""
        info = data.get("queueInfo")
        if self._hinted or data.get("status") != "Queued" or not isinstance(info, dict):
            return
        if info.get("workersListening") == 0 and info.get("reason"):
            self._hinted = True
            self.console.no_worker(str(info["reason"]))

    def _show_queue(self, record: Json, since: float) -> None:
        info = record.get("queueInfo")
        self.console.in_queue(info if isinstance(info, dict) else {}, time.monotonic() - since)

    def wait_in_queue(self) -> None:
        """On a terminal: while the run is queued, show where it stands (one ``GET`` a second)."""
        since = time.monotonic()
        while True:
            try:
                record = self.client.get_run(self.run_id)
            except ServerUnavailable:
                break  # following reconnects and says so
            if record.get("status") != QUEUED:
                break
            self.explain_queue(record)
            self._show_queue(record, since)
            self.sleep(QUEUE_POLL)
        self.console.done()

    def follow(self) -> str:
        """Print the log from ``offset`` to its end; returns the final status."""
        if self.console.progress is not None and self.offset == 0:
            self.wait_in_queue()
        failures = 0
        while True:
            try:
                for event in self.client.follow_log(self.run_id, self.parser, offset=self.offset):
                    failures = 0
                    if event.event == "log":
                        self.console.done()
                        write_log(self.out, self.masker.mask(decode_log_data(event.data)))
                        if event.id and event.id.isdigit():
                            self.offset = int(event.id)
                    elif event.event == "status":
                        self.explain_queue(_loads(event.data))
                    elif event.event == "eof":
                        status = _loads(event.data).get("status")
                        return str(status) if status else str(self.client.get_run(self.run_id).get("status"))
                    elif event.event == "error":
                        self._stream_error(_loads(event.data))
                reason = "the server ended the log stream early"
            except ServerUnavailable as exc:
                reason = str(exc)
            failures += 1
            if failures > MAX_RECONNECTS:
                raise ServerUnavailable(f"{reason}; the run goes on: resume with "
                                        f"{RESUME.format(run_id=self.run_id)}")
            self.sleep(self._backoff(failures))

    def _stream_error(self, data: Json) -> None:
        """An ``error`` event ends the stream: ``unavailable`` (Redis away) is worth a reconnect."""
        message = str(data.get("message") or "the log stream failed")
        if data.get("code") == "unavailable":
            raise ServerUnavailable(f"the server at {self.client.server} is unavailable: {message}")
        raise CommandError(message)

    def _backoff(self, failures: int) -> float:
        ceiling = (self.parser.retry_ms or 2000) / 1000.0
        return float(min(0.25 * 2 ** (failures - 1), max(ceiling, 0.25)))

    def poll(self) -> Json:
        """``--no-logs``: the run's record once it is finished, polled with backoff."""
        delay, failures, since = POLL_FIRST, 0, time.monotonic()
        while True:
            try:
                record = self.client.get_run(self.run_id)
                failures = 0
            except ServerUnavailable:
                failures += 1
                if failures > MAX_RECONNECTS:
                    self.console.done()
                    raise
                record = {}
            if record.get("status") in FINISHED:
                self.console.done()
                return record
            self.explain_queue(record)
            if self.console.progress is not None and record.get("status") == QUEUED:
                self._show_queue(record, since)
            elif self.console.progress is not None and record.get("status"):
                self.console.progress.update(f"Run {self.run_id}: {record['status']} "
                                             f"({time.monotonic() - since:.0f}s)")
            self.sleep(delay)
            delay = min(delay * POLL_FACTOR, POLL_MAX)

    def interrupted(self, *, no_logs: bool) -> int:
        """Ctrl-C: at a terminal, offer to cancel (then wait for the end); otherwise stop following."""
        answer = ""
        if self.interactive():
            try:
                answer = self.ask_user(f"Cancel the run {self.run_id} as well? [y/N] ")
            except (KeyboardInterrupt, EOFError):
                answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            self.console.stopped_following(self.run_id)
            return INTERRUPTED
        self.console.canceling(self.run_id)
        self.client.cancel_run(self.run_id)
        try:
            status = str(self.poll().get("status")) if no_logs else self.follow()
        except KeyboardInterrupt:
            self.console.stopped_following(self.run_id)
            return INTERRUPTED
        self.console.line(f"Run {self.run_id} ended with status '{status}'.")
        return INTERRUPTED
