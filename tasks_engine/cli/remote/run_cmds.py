"""``build`` and ``run`` against a server, and the wait every queued run shares (``task run`` too).

The sequence is az's (service-spec §6.4): pack and upload a local context (or pass a URL on), queue the
run, ``Queued a build with ID: X``, ``Waiting for an agent...``, the log live on stdout (it ends with the
run's ``Run ID: X was successful after Ns`` line, which is part of the stored log), exit 0 only for
``Succeeded``. Console lines go to stderr; with ``-o json`` the log does too and stdout carries the record.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tasks_engine.cli.args import check_run_args
from tasks_engine.cli.output import emit, print_json
from tasks_engine.cli.problems import report_invalid
from tasks_engine.cli.redact import masker_for
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.console import Console, progress_for
from tasks_engine.cli.remote.endpoint import Endpoint
from tasks_engine.cli.remote.follow import SUCCEEDED, RunWaiter
from tasks_engine.cli.remote.requests import build_body, reject_local_only, run_body
from tasks_engine.cli.remote.upload import NO_CONTEXT, is_local_folder, upload_folder
from tasks_engine.cli.tables import RUN_COLUMNS, run_row
from tasks_engine.errors import DefinitionError, UsageError
from tasks_engine.runtime.masking import SecretMasker

Json = dict[str, Any]
_URL_PREFIXES = ("http://", "https://", "git://", "git@", "ssh://", "oci://")


def resolve_context(client: ApiClient, console: Console, context: str | None, *, dockerfile: str | None,
                    archive_prefix: str) -> str | None:
    """What the server is given as ``context``: an upload of a local folder, a URL as it is, or None."""
    if not context or context == NO_CONTEXT:
        return None
    if is_local_folder(context):
        return upload_folder(client, console, context, dockerfile=dockerfile, archive_prefix=archive_prefix)
    if not context.lower().startswith(_URL_PREFIXES):
        raise UsageError(f"'{context}' doesn't exist.")
    console.remote_context(client.server)
    return context


def queue(client: ApiClient, body: Json, *, filename: str, masker: SecretMasker,
          submit: Callable[[Json], Json] | None = None) -> Json | None:
    """``POST`` the run; an invalid task is reported as ``validate`` reports it (None: exit 1)."""
    try:
        return dict(submit(body) if submit else client.create_run(body))
    except DefinitionError as exc:
        report_invalid(exc.problems, filename=filename, masker=masker)
        return None


def wait_and_report(client: ApiClient, console: Console, args: argparse.Namespace, record: Json, *,
                    build: bool, masker: SecretMasker) -> int:
    """After queueing: the az lines, then follow (or poll, or return at once); the exit code."""
    run_id = str(record.get("runId") or "")
    if not run_id:
        raise UsageError(f"the server at {client.server} did not return a run id")
    console.queued(run_id, build=build)
    as_json = getattr(args, "output", "text") == "json"
    if getattr(args, "no_wait", False):
        if as_json:
            print_json(record, masker)
        else:
            print(run_id)
        return 0
    console.waiting()
    waiter = RunWaiter(client, console, run_id, out=sys.stderr if as_json else sys.stdout, masker=masker)
    waiter.explain_queue(record)
    no_logs = bool(getattr(args, "no_logs", False))
    try:
        final = waiter.poll() if no_logs else None
        status = str(final.get("status")) if final else waiter.follow()
    except KeyboardInterrupt:
        return waiter.interrupted(no_logs=no_logs)
    if as_json:
        print_json(final or client.get_run(run_id), masker)
    elif final is not None and status == SUCCEEDED:
        emit(final, output="table", row=run_row, columns=RUN_COLUMNS, masker=masker)
    if status != SUCCEEDED:
        if no_logs:
            console.unsuccessful(run_id, status)
        return 1
    return 0


def cmd_build(args: argparse.Namespace, endpoint: Endpoint) -> int:
    from tasks_engine.service.quick import SKIP_PUSH_WARNING

    reject_local_only(args)
    masker = masker_for(args)
    console = Console(masker, progress=progress_for(args))
    with ApiClient(endpoint) as client:
        context = resolve_context(client, console, args.context, dockerfile=args.dockerfile,
                                  archive_prefix="build")
        if context is None:
            raise UsageError("build needs a context: a local folder, a git URL or a tarball URL")
        if not args.tags:
            console.line(SKIP_PUSH_WARNING)
        record = queue(client, build_body(args, context=context), filename=args.dockerfile or "Dockerfile",
                       masker=masker)
        if record is None:
            return 1
        return wait_and_report(client, console, args, record, build=True, masker=masker)


def cmd_run(args: argparse.Namespace, endpoint: Endpoint) -> int:
    check_run_args(args)
    reject_local_only(args)
    masker = masker_for(args)
    console = Console(masker, progress=progress_for(args))
    local_folder = args.context if is_local_folder(args.context) else None
    url_context = bool(args.context) and args.context != NO_CONTEXT and local_folder is None
    # The task file is read before anything is packed: a missing file fails at once.
    body, filename = run_body(args, local_folder=local_folder, url_context=url_context)
    with ApiClient(endpoint) as client:
        body["context"] = resolve_context(client, console, args.context, dockerfile=None, archive_prefix="run")
        record = queue(client, body, filename=filename, masker=masker)
        if record is None:
            return 1
        return wait_and_report(client, console, args, record, build=False, masker=masker)
