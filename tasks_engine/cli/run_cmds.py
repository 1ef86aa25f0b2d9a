"""``run`` and ``build`` on the local Docker host, and ``gc``.

The shared runner (``tasks_engine.service.runner``) does the run; this adapter chooses the console as the
log, Ctrl-C as the cancel flag, and allows the user's own files (``-f ../task.yaml``, a local context).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import TextIO

from tasks_engine.cli.args import check_run_args
from tasks_engine.cli.inputs import job_from_args
from tasks_engine.cli.problems import print_problems
from tasks_engine.cli.remote.requests import reject_remote_only
from tasks_engine.config import load_config
from tasks_engine.runtime.results import RunStatus
from tasks_engine.runtime.sinks import ConsoleSink
from tasks_engine.service.quick import SKIP_PUSH_WARNING
from tasks_engine.service.runner import RunJob, prepare_run


@contextmanager
def _signals_cancel(cancel: threading.Event, out: TextIO) -> Iterator[None]:
    """Ctrl-C or SIGTERM (a CI job being canceled) asks the executor to stop the containers, clean up and
    report Canceled; a second Ctrl-C aborts at once, leaving what remains to ``tasks-engine gc``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        if not cancel.is_set():
            print("Canceling the run (Ctrl-C again to abort without cleanup)...", file=out, flush=True)
        cancel.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_locally(args: argparse.Namespace, job: RunJob) -> int:
    """Execute ``job`` on this host with live console output; exit code 0 only for ``Succeeded``."""
    config = load_config(args.config)
    log_stream = sys.stderr if args.output == "json" else sys.stdout
    with prepare_run(job, engine=config, host_files=True) as run:
        print_problems(run.warnings, stream=sys.stderr, masker=run.masker)
        cancel = threading.Event()
        with _signals_cancel(cancel, log_stream):
            result = run.execute(sink=ConsoleSink(log_stream), cancel=cancel)
        if args.output == "json":
            # Image tags and references in the record can be built from secrets; the log lines already are masked.
            print(json.dumps(run.masker.mask_data(result.to_dict()), indent=2))
    return 0 if result.status is RunStatus.SUCCEEDED else 1


def cmd_run(args: argparse.Namespace) -> int:
    check_run_args(args)
    reject_remote_only(args)
    return run_locally(args, job_from_args(args))


def cmd_build(args: argparse.Namespace) -> int:
    reject_remote_only(args)
    job = job_from_args(args)
    if not args.tags:
        print(SKIP_PUSH_WARNING, file=sys.stderr)
    return run_locally(args, job)


def cmd_gc(args: argparse.Namespace) -> int:
    from tasks_engine.cli.durations import parse_duration

    older_than = parse_duration(args.older_than)
    config = load_config(args.config)
    from tasks_engine.backends.docker import collect_garbage_from_env

    report = collect_garbage_from_env(older_than=older_than, now=datetime.now(UTC), state_root=config.runs_root)
    print(f"removed {len(report.containers)} container(s), {len(report.networks)} network(s), "
          f"{len(report.volumes)} volume(s), {len(report.folders)} folder(s) older than {args.older_than}")
    for error in report.errors:
        print(f"could not remove: {error}", file=sys.stderr)
    return 1 if report.errors else 0
