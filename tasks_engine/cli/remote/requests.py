"""Flags -> the JSON bodies of ``POST /v1/runs`` (docs/api.md), as az turns its flags into ACR's run requests.

The four kinds follow az (acr-tasks-spec §6.4): ``build`` (``DockerBuildRequest``); ``file`` (a task file
inside a git or tarball context, ``FileTaskRunRequest``); ``encoded`` (the task file read here,
``EncodedTaskRunRequest``); ``cmd``. One deliberate difference: with a *local* context, ``run -f FILE``
reads FILE here and sends it encoded beside the uploaded context, so an invalid file is refused with its
FILE:LINE:COL problems before anything is queued, as ``tasks-engine validate`` would report them.
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import Any

from tasks_engine.credentials import parse_credentials
from tasks_engine.errors import UsageError
from tasks_engine.service.files import read_text_file
from tasks_engine.templating.values import parse_set

Json = dict[str, Any]

# Flags that shape a local run but that a server decides itself (run ids, run metadata) or does not take.
_LOCAL_ONLY = (
    ("run_id", "--id", "the server assigns run ids"),
    ("name", "--name", "a server run belongs to a task only through 'tasks-engine task run'"),
    ("repository", "--repository", "the server does not take it"),
    ("git_tag", "--git-tag", "the server does not take it"),
    ("triggered_by", "--triggered-by", "the server does not take it"),
    ("strict", "--strict", "the server does not take it"),
)
_REMOTE_ONLY = (("no_logs", "--no-logs"), ("no_wait", "--no-wait"), ("agent_pool", "--agent-pool"),
                ("run_platform", "--platform"))


def reject_local_only(args: argparse.Namespace) -> None:
    for attr, flag, why in _LOCAL_ONLY:
        if getattr(args, attr, None):
            raise UsageError(f"{flag} cannot be used with a server ({why}); pass --local to run on this host")


def reject_remote_only(args: argparse.Namespace) -> None:
    for attr, flag in _REMOTE_ONLY:
        if getattr(args, attr, None):
            raise UsageError(f"{flag} needs a server: set TASKS_ENGINE_SERVER and TASKS_ENGINE_TOKEN "
                             "(or pass --server/--token)")


def encoded(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def values_fields(args: argparse.Namespace) -> Json:
    """``--set``/``--set-secret`` as the API's maps (later pairs win, as acb's ``parseValues``)."""
    body: Json = {}
    if getattr(args, "set_values", None):
        body["values"] = parse_set(args.set_values)
    if getattr(args, "set_secrets", None):
        body["secretValues"] = parse_set(args.set_secrets)
    return body


def credentials_field(args: argparse.Namespace) -> Json:
    creds = parse_credentials(getattr(args, "credentials", None) or ())
    if not creds:
        return {}
    return {"credentials": [{"registry": c.registry, "username": c.username, "password": c.password}
                            for c in creds]}


def _run_options(args: argparse.Namespace) -> Json:
    body: Json = {**values_fields(args), **credentials_field(args)}
    optional = (("registry", "registry"), ("commit", "commit"), ("branch", "branch"), ("timeout", "timeout"),
                ("maxParallel", "max_parallel"), ("agentPool", "agent_pool"), ("platform", "run_platform"))
    for key, attr in optional:
        value = getattr(args, attr, None)
        if value not in (None, ""):
            body[key] = value
    return body


def build_fields(args: argparse.Namespace) -> Json:
    """``az acr build``'s flags as the API's ``build`` object (shared by ``build`` and Dockerfile tasks)."""
    return {
        "tags": list(args.tags), "dockerfile": args.dockerfile, "buildArgs": list(args.build_args),
        "secretBuildArgs": list(args.secret_build_args), "target": args.target, "platform": args.platform,
        "noCache": bool(args.no_cache), "pull": bool(getattr(args, "pull", False)),
        "noPush": bool(args.no_push),
    }


def build_body(args: argparse.Namespace, *, context: str) -> Json:
    return {"kind": "build", "build": build_fields(args), "context": context, **_run_options(args)}


def _read_local(path: str, *, what: str, folder: str | None) -> tuple[str, str]:
    return read_text_file(path, what=what, search_dirs=(Path(folder),) if folder else ())


def run_body(args: argparse.Namespace, *, local_folder: str | None, url_context: bool) -> tuple[Json, str]:
    """The body of a remote ``run`` (without its ``context``), and the task file's name for the problems a
    refusal lists. ``local_folder`` is the folder to be uploaded, where a relative ``-f``/``--values`` is also
    looked for (as local mode does); with a git or tarball URL (``url_context``) both name files inside it."""
    body: Json = dict(_run_options(args))
    filename = "<cmd>"
    if args.cmd:
        body.update(kind="cmd", cmd=args.cmd)
    elif url_context:
        body.update(kind="file", taskFile=args.file)
        filename = args.file
    else:
        text, filename = _read_local(args.file, what="task file", folder=local_folder)
        body.update(kind="encoded", encodedTask=encoded(text))
    if args.values:
        if url_context:
            body["valuesFile"] = args.values
        else:
            body["encodedValues"] = encoded(_read_local(args.values, what="values file", folder=local_folder)[0])
    return body, filename
