"""Command-line options -> a ``RunJob``: the CLI's only job before handing a run to the shared runner.

All run rules (ids, files, values, template environment, credentials) live in ``tasks_engine.service``;
this module only maps flag names onto the job's fields, so local and remote mode read flags the same way.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from tasks_engine import compiler
from tasks_engine.config import EngineConfig
from tasks_engine.credentials import parse_credentials
from tasks_engine.service.quick import BuildRequest
from tasks_engine.service.runids import checked_run_id
from tasks_engine.service.runner import RunJob, compile_inputs_for, run_info_for


def build_request_from(args: argparse.Namespace) -> BuildRequest:
    return BuildRequest(
        tags=tuple(args.tags),
        dockerfile=args.dockerfile,
        build_args=tuple(args.build_args),
        secret_build_args=tuple(args.secret_build_args),
        target=args.target,
        platform=args.platform,
        no_cache=args.no_cache,
        pull=args.pull,
        no_push=args.no_push,
    )


def job_from_args(args: argparse.Namespace, *, run_id: str | None = None, task_text: str | None = None,
                  task_filename: str = "<task>") -> RunJob:
    """The job ``run``/``build``/``validate``/``render``/``plan`` describe. ``task_text`` replaces ``-f``
    (validate/render/plan read the file before any context exists)."""
    command = getattr(args, "command", "")
    build = build_request_from(args) if command == "build" else None
    cmd = getattr(args, "cmd", None) if build is None else None
    file = getattr(args, "file", None) if build is None and cmd is None and task_text is None else None
    return RunJob(
        run_id=run_id if run_id is not None else getattr(args, "run_id", None),
        task_file=file,
        task_text=task_text,
        task_filename=task_filename,
        cmd=cmd,
        build=build,
        context=getattr(args, "context", None),
        values_file=getattr(args, "values", None),
        set_values=tuple(getattr(args, "set_values", ()) or ()),
        set_secrets=tuple(getattr(args, "set_secrets", ()) or ()),
        registry=getattr(args, "registry", None) or "",
        commit=getattr(args, "commit", "") or "",
        branch=getattr(args, "branch", "") or "",
        repository=getattr(args, "repository", "") or "",
        git_tag=getattr(args, "git_tag", "") or "",
        triggered_by=getattr(args, "triggered_by", "") or "",
        task_name=getattr(args, "name", "") or "",
        credentials=tuple(parse_credentials(getattr(args, "credentials", ()) or ())),
        timeout=getattr(args, "timeout", None),
        max_parallel=getattr(args, "max_parallel", None),
        strict=bool(getattr(args, "strict", False)),
    )


def static_inputs(args: argparse.Namespace, config: EngineConfig, *, text: str,
                  filename: str) -> compiler.CompileInputs:
    """``validate``/``render``/``plan``: the task as a run would see it, without a context or a run."""
    job = job_from_args(args, task_text=text, task_filename=filename)
    run = run_info_for(job, run_id=checked_run_id(job.run_id), context=None, now=datetime.now(UTC))
    return compile_inputs_for(job, config, run=run, context_dir=None, host_files=True)
