"""``tasks-engine task ...``: named tasks and their runs on a server, as ``az acr task`` manages them.

Every subcommand is one or two API calls; what is printed follows az (tables with its columns, its log
messages) except where ACR has nothing to say: ``show-run`` of a queued run explains why it waits (its place
in the queue and whether any worker serves that queue), which ACR only ever calls "Waiting for an agent...".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tasks_engine.cli.errors import CommandError
from tasks_engine.cli.output import emit
from tasks_engine.cli.problems import report_invalid
from tasks_engine.cli.redact import masker_for
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.console import Console, ask, stdin_is_tty
from tasks_engine.cli.remote.endpoint import required_endpoint
from tasks_engine.cli.remote.follow import INTERRUPTED, RunWaiter
from tasks_engine.cli.remote.requests import values_fields
from tasks_engine.cli.remote.run_cmds import queue, wait_and_report
from tasks_engine.cli.tables import RUN_COLUMNS, TASK_COLUMNS, run_row, task_row
from tasks_engine.cli.task_body import create_body, update_body
from tasks_engine.errors import DefinitionError, UsageError
from tasks_engine.runtime.masking import SecretMasker

Json = dict[str, Any]
CONFIRM = "Are you sure you want to perform this operation? (y/n): "


def queue_explanation(run: Json) -> list[str]:
    """Why a queued run waits, from the API's ``queueInfo`` (beyond ACR, which only says it waits)."""
    info = run.get("queueInfo")
    if run.get("status") != "Queued" or not isinstance(info, dict):
        return []
    queue_name, position, length = info.get("queue"), info.get("position"), info.get("length")
    where = (f"position {position} of {length}" if position else "not yet in the queue (it is being published)")
    workers = [str(w) for w in info.get("workers") or []]
    listening = int(info.get("workersListening") or 0)
    lines = [f"Waiting on queue '{queue_name}': {where}",
             f"Workers listening on it: {listening}" + (f" ({', '.join(workers)})" if workers else "")]
    if info.get("reason"):
        lines.append(f"Reason: {info['reason']}")
    return lines


def _save(client: ApiClient, args: argparse.Namespace, masker: SecretMasker,
          send: Callable[[], tuple[Json, str]], call: Callable[[Json], Json]) -> int:
    body, filename = send()
    try:
        task = call(body)
    except DefinitionError as exc:
        report_invalid(exc.problems, filename=filename, masker=masker)
        return 1
    emit(task, output=args.output, row=task_row, columns=TASK_COLUMNS, masker=masker)
    return 0


def _delete(client: ApiClient, args: argparse.Namespace) -> int:
    if not args.yes:
        if not stdin_is_tty():
            raise UsageError(f"refusing to delete task {args.name!r} without confirmation: pass --yes")
        if ask(CONFIRM).strip().lower() not in ("y", "yes"):
            raise CommandError("Operation cancelled.")
    client.delete_task(args.name)
    return 0


def _run(client: ApiClient, args: argparse.Namespace, masker: SecretMasker) -> int:
    body: Json = values_fields(args)
    if args.agent_pool:
        body["agentPool"] = args.agent_pool
    record = queue(client, body, filename=args.name, masker=masker,
                   submit=lambda b: client.run_task(args.name, b))
    if record is None:
        return 1
    return wait_and_report(client, Console(masker), args, record, build=False, masker=masker)


def _show_run(client: ApiClient, args: argparse.Namespace, masker: SecretMasker) -> int:
    run = client.get_run(args.run_id)
    emit(run, output=args.output, row=run_row, columns=RUN_COLUMNS, masker=masker)
    if args.output != "json":
        for line in queue_explanation(run):
            print(masker.mask(line))
    return 0


def _logs(client: ApiClient, args: argparse.Namespace, masker: SecretMasker) -> int:
    """az's ``acr_task_logs``: a run's log, or the last run's (of a task) when no run id is given."""
    console = Console(masker)
    run_id = args.run_id
    if not run_id:
        runs = client.list_runs(task=args.name, top=1)
        if not runs or not runs[0].get("runId"):
            raise CommandError("Could not find the last created run"
                               + (f" for task '{args.name}'." if args.name else "."))
        run_id = str(runs[0]["runId"])
        console.last_run(args.name, run_id)
    waiter = RunWaiter(client, console, run_id, out=sys.stdout, masker=masker)
    try:
        waiter.follow()
    except KeyboardInterrupt:
        return INTERRUPTED
    return 0


def cmd_task(args: argparse.Namespace) -> int:
    endpoint = required_endpoint(args)
    masker = masker_for(args)
    command = args.task_command
    with ApiClient(endpoint) as client:
        if command == "create":
            return _save(client, args, masker, lambda: create_body(args), client.create_task)
        if command == "update":
            return _save(client, args, masker, lambda: update_body(args, lambda: client.get_task(args.name)),
                         lambda body: client.update_task(args.name, body))
        if command == "list":
            emit(client.list_tasks(), output=args.output, row=task_row, columns=TASK_COLUMNS, masker=masker)
            return 0
        if command == "show":
            emit(client.get_task(args.name), output=args.output, row=task_row, columns=TASK_COLUMNS, masker=masker)
            return 0
        if command == "delete":
            return _delete(client, args)
        if command == "run":
            return _run(client, args, masker)
        if command == "list-runs":
            runs = client.list_runs(task=args.name, status=args.run_status, top=args.top)
            emit(runs, output=args.output, row=run_row, columns=RUN_COLUMNS, masker=masker)
            return 0
        if command == "show-run":
            return _show_run(client, args, masker)
        if command == "logs":
            return _logs(client, args, masker)
        if command == "cancel-run":
            emit(client.cancel_run(args.run_id), output=args.output, row=run_row, columns=RUN_COLUMNS,
                 masker=masker)
            return 0
    raise UsageError(f"unknown task command {command!r}")
