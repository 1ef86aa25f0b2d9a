"""``run`` and ``build``: a quick task on the local Docker host, start to finish, with live output.

The same compiler and executor a worker will use; only the adapters differ (console sink, Ctrl-C as the
cancel flag, a workspace folder under the engine's state root).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

import yaml

from tasks_engine import compiler
from tasks_engine.backends.docker import BackendOptions, DockerBackend, RegistryCredential, parse_credentials
from tasks_engine.cli.config import EngineConfig, load_config
from tasks_engine.cli.inputs import checked_run_id, compile_inputs, read_text_file, run_info_from
from tasks_engine.cli.inspect_cmds import print_problems
from tasks_engine.errors import UsageError
from tasks_engine.plan.model import RunPlan
from tasks_engine.runlock import hold_run_lock
from tasks_engine.runtime.events import LogLine
from tasks_engine.runtime.executor import execute_plan
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.runtime.results import RunResult, RunStatus
from tasks_engine.runtime.sinks import ConsoleSink
from tasks_engine.source import materialize_context, parse_context


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


def _credentials(args: argparse.Namespace, config: EngineConfig) -> list[RegistryCredential]:
    creds = [RegistryCredential(r.registry, r.username, r.password) for r in config.registries]
    return creds + list(parse_credentials(args.credentials))


def _plan_secrets(plan: RunPlan) -> list[str]:
    """Secret volume contents are masked in logs in both their decoded and base64 forms."""
    found: list[str] = []
    for volume in plan.volumes:
        for value in volume.secret.values():
            found.append(value)
            try:
                found.append(base64.b64decode(value, validate=True).decode("utf-8", "replace").strip())
            except (binascii.Error, ValueError):
                continue
    return found


def _final_line(result: RunResult) -> str:
    seconds = round(result.duration)
    if result.status is RunStatus.SUCCEEDED:
        return f"Run ID: {result.run_id} was successful after {seconds}s"
    reason = result.error.message if result.error else result.status.value
    return f"Run ID: {result.run_id} failed after {seconds}s. Error: {reason}"


def _execute(args: argparse.Namespace, config: EngineConfig, *, run_id: str, workspace: Path,
             context_path: Path, inputs: compiler.CompileInputs, extra_secrets: list[str]) -> int:
    log_stream = sys.stderr if args.output == "json" else sys.stdout
    credentials = _credentials(args, config)
    compiled = compiler.compile_task(inputs)
    secrets = [*inputs.secrets.values(), *extra_secrets, *_plan_secrets(compiled.plan),
               *(c.password for c in credentials)]
    print_problems(compiled.warnings, stream=sys.stderr, masker=SecretMasker(secrets))
    backend = DockerBackend(
        options=BackendOptions(
            state_root=config.runs_root,
            allow_privileged=config.allow_privileged,
            mount_docker_socket=config.mount_docker_socket,
            allow_host_network=config.allow_host_network,
        ),
        workspace=context_path,
        credentials=credentials,
        source_commit=inputs.run.commit,
    )
    cancel = threading.Event()
    sink = ConsoleSink(log_stream)
    for note in compiled.rendered.notes:
        sink.emit(LogLine(time=datetime.now(UTC), text=note))
    with _signals_cancel(cancel, log_stream):
        result = execute_plan(
            compiled.plan,
            backend,
            sink=sink,
            cancel=cancel,
            secrets=[s for s in secrets if s],
            max_parallel=args.max_parallel or config.max_parallel,
            total_timeout=args.timeout,
        )
    print(_final_line(result), file=log_stream, flush=True)
    if args.output == "json":
        # Image tags and references in the record can be built from secrets; the log lines already are masked.
        print(json.dumps(SecretMasker([s for s in secrets if s]).mask_data(result.to_dict()), indent=2))
    return 0 if result.status is RunStatus.SUCCEEDED else 1


@contextmanager
def _run_folder(config: EngineConfig, run_id: str) -> Iterator[Path]:
    """A private folder per run; the caller's context is copied in, never modified, and removed after."""
    folder = config.runs_root / run_id
    workspace = folder / "workspace"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)  # private before the context (maybe an .env the ignore rules keep) is copied in
        workspace.mkdir(exist_ok=False)
    except FileExistsError as exc:
        raise UsageError(f"run id {run_id} is already in use ({folder} exists); choose another --id") from exc
    except OSError as exc:
        raise UsageError(f"cannot create the run folder {folder}: {exc.strerror}") from exc
    try:
        with hold_run_lock(folder):  # tells `tasks-engine gc` this run is alive, however long it takes
            yield workspace
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cmd_run(args: argparse.Namespace) -> int:
    if args.cmd and args.file:
        raise UsageError("--cmd and -f/--file cannot be used together")
    if not args.cmd and not args.file:
        raise UsageError("one of -f/--file or --cmd is required")
    config = load_config(args.config)
    run_id = checked_run_id(args.run_id)
    spec = parse_context(args.context)
    with _run_folder(config, run_id) as workspace:
        ctx = materialize_context(spec, workspace)
        run = run_info_from(args, run_id=run_id, commit=ctx.commit or "", branch=ctx.branch or "",
                            shared_volume=str(ctx.path))
        if args.cmd:
            text, filename = "", "<--cmd>"
        else:
            text, filename = read_text_file(args.file, what="task file", search_dirs=(ctx.path,))
        inputs = compile_inputs(args, config, text=text, filename=filename, run=run, context_dir=ctx.path)
        if args.cmd:
            inputs = replace(inputs, quick_cmd=args.cmd)
        return _execute(args, config, run_id=run_id, workspace=workspace, context_path=ctx.path,
                        inputs=inputs, extra_secrets=[])


def _has_registry(tag: str) -> bool:
    first, sep, _ = tag.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def build_task_text(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The two-step task ``az acr build`` runs (build, then push when tags are given), as task-file text.

    Going through a task file keeps one code path: the same parser, the same plan, the same logs.
    """
    tags = [t if _has_registry(t) or not args.registry else f"{args.registry}/{t}" for t in args.tags]
    words: list[str] = []
    if args.dockerfile:
        words += ["-f", args.dockerfile]
    for tag in tags:
        words += ["-t", tag]
    for arg in [*args.build_args, *args.secret_build_args]:
        words += ["--build-arg", arg]
    if args.target:
        words += ["--target", args.target]
    if args.platform:
        words += ["--platform", args.platform]
    if args.no_cache:
        words.append("--no-cache")
    if args.pull:
        words.append("--pull")
    words.append(".")
    steps: list[dict[str, object]] = [{"id": "build", "build": shlex.join(words), "timeout": 28800}]
    if tags and not args.no_push:
        unqualified = [t for t in tags if not _has_registry(t)]
        if unqualified:
            raise UsageError(f"cannot push {unqualified[0]}: the tag names no registry; pass --registry or --no-push")
        steps.append({"id": "push", "push": tags, "when": ["build"], "timeout": 3600})
    text = yaml.safe_dump({"version": "v1.0.0", "steps": steps}, sort_keys=False)
    return text, tags


def cmd_build(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    run_id = checked_run_id(args.run_id)
    text, tags = build_task_text(args)
    if not tags:
        print("'--image or -t' is not provided. Skipping image push after build.", file=sys.stderr)
    secret_values = [a.partition("=")[2] for a in args.secret_build_args]
    spec = parse_context(args.context)
    with _run_folder(config, run_id) as workspace:
        ctx = materialize_context(spec, workspace, dockerfile=args.dockerfile)
        run = run_info_from(args, run_id=run_id, commit=ctx.commit or "", branch=ctx.branch or "",
                            shared_volume=str(ctx.path))
        inputs = compile_inputs(args, config, text=text, filename="<build>", run=run, context_dir=ctx.path)
        return _execute(args, config, run_id=run_id, workspace=workspace, context_path=ctx.path,
                        inputs=inputs, extra_secrets=secret_values)


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
