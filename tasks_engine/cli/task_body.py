"""``task create``/``update`` flags -> the JSON of ``POST``/``PATCH /v1/tasks`` (docs/api.md).

az's rule for ``--file`` (``create_task_step``, acr-tasks-spec §6.1): with a context, a name ending in one of
``ALLOWED_TASK_FILE_TYPES`` is a task file inside the context (a file task); any other name is a Dockerfile
(a build task). Without a context the task file is read here and stored encoded. One difference: a local
folder is refused as a task's context, because a stored task outlives any upload of it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from tasks_engine.cli.remote.requests import credentials_field, encoded, values_fields
from tasks_engine.errors import UsageError
from tasks_engine.service.files import read_text_file

Json = dict[str, Any]

ALLOWED_TASK_FILE_TYPES = (".yaml", ".yml", ".toml", ".json", ".sh", ".bash", ".zsh", ".ps1", ".ps", ".cmd",
                           ".bat", ".ts", ".js", ".php", ".py", ".rb", ".lua")
NULL_CONTEXT = "/dev/null"
_URL_PREFIXES = ("http://", "https://", "git://", "git@", "ssh://", "oci://")
_BUILD_FLAGS = (("tags", "-t/--image"), ("build_args", "--arg"), ("secret_build_args", "--secret-arg"),
                ("target", "--target"), ("no_push", "--no-push"), ("no_cache", "--no-cache"))


def is_task_file(name: str) -> bool:
    return name.endswith(ALLOWED_TASK_FILE_TYPES)


def task_context(text: str | None) -> str | None:
    """``-c``: a git or tarball URL, or None for ``/dev/null``."""
    if text is None or text.lower() == NULL_CONTEXT:
        return None
    if os.path.exists(text):
        raise UsageError(f"a task's context must be a git URL, a tarball URL or /dev/null, not the local path "
                         f"{text!r}: a stored task outlives an upload (use 'tasks-engine run' or 'build' here)")
    if not text.lower().startswith(_URL_PREFIXES):
        raise UsageError(f"'{text}' doesn't exist.")
    return text


def _build_flags_given(args: argparse.Namespace) -> list[str]:
    return [flag for attr, flag in _BUILD_FLAGS if getattr(args, attr, None)]


def build_object(args: argparse.Namespace, *, dockerfile: str | None, base: Json | None = None) -> Json:
    """The task's ``build``: the flags given over ``base`` (the stored one, when updating)."""
    build: Json = dict(base or {"tags": [], "dockerfile": None, "buildArgs": [], "target": None,
                                "noCache": False, "noPush": False})
    build.pop("secretBuildArgs", None)  # write-only: sent again only when given
    if dockerfile:
        build["dockerfile"] = dockerfile
    for attr, key in (("tags", "tags"), ("build_args", "buildArgs"), ("secret_build_args", "secretBuildArgs")):
        if getattr(args, attr, None):
            build[key] = list(getattr(args, attr))
    if args.target:
        build["target"] = args.target
    for attr, key in (("no_push", "noPush"), ("no_cache", "noCache")):
        if getattr(args, attr, None):
            build[key] = True
    return build


def definition(args: argparse.Namespace, *, context: str | None,
               base_build: Json | None = None) -> tuple[Json, str]:
    """What the task runs (``kind`` and its fields), and the file name for the problems a refusal lists."""
    if args.cmd and args.file:
        raise UsageError("Task can be created with either --cmd myCommand -c /dev/null or -f myFile -c myContext, "
                         "but not both.")
    body: Json
    filename = args.file or "<cmd>"
    if args.cmd:
        body = {"kind": "cmd", "cmd": args.cmd}
    elif not args.file:
        raise UsageError("missing --file/-f argument" if context else "one of -f/--file or --cmd is required")
    elif context and is_task_file(args.file):
        body = {"kind": "file", "taskFile": args.file}
    elif context:
        body = {"kind": "build", "build": build_object(args, dockerfile=args.file, base=base_build)}
    elif is_task_file(args.file):
        text, filename = read_text_file(args.file, what="task file")
        body = {"kind": "encoded", "encodedTask": encoded(text)}
    else:
        raise UsageError(f"{args.file} is taken for a Dockerfile (a task file ends in .yaml or .yml): a build task "
                         "needs a git or tarball --context")
    given = _build_flags_given(args)
    if given and body["kind"] != "build":
        raise UsageError(f"{given[0]} applies to build tasks only (-f Dockerfile with a --context)")
    if args.values:
        if body["kind"] == "build":
            raise UsageError("--values applies to task files and --cmd, not to build tasks")
        if body["kind"] == "file":
            body["valuesFile"] = args.values
        else:
            body["encodedValues"] = encoded(read_text_file(args.values, what="values file")[0])
    return body, filename


def _settings(args: argparse.Namespace) -> Json:
    body: Json = {**values_fields(args), **credentials_field(args)}
    for key, attr in (("timeout", "timeout"), ("status", "status"), ("agentPool", "agent_pool"),
                      ("platform", "platform")):
        value = getattr(args, attr, None)
        if value not in (None, ""):
            body[key] = value
    return body


_TRIGGER_FLAGS = (("commit_trigger_enabled", "commitTriggerEnabled"),
                  ("pull_request_trigger_enabled", "pullRequestTriggerEnabled"), ("branch", "branch"),
                  ("tag_trigger_enabled", "tagTriggerEnabled"), ("tag_pattern", "tagPattern"),
                  ("pull_request_secrets", "pullRequestSecrets"),
                  ("base_image_trigger_enabled", "baseImageTriggerEnabled"),
                  ("base_image_trigger_type", "baseImageTriggerType"), ("max_concurrent_runs", "maxConcurrentRuns"),
                  ("git_access_token", "gitAccessToken"))


def timer_arg(text: str, *, default_name: str) -> tuple[str, str]:
    """``--schedule "CRON"`` or az's ``name:cron`` form (a name has no spaces; a cron expression has four)."""
    head, sep, rest = text.partition(":")
    if sep and head.strip() and " " not in head.strip():
        return head.strip(), rest.strip()
    return default_name, text.strip()


def trigger_fields(args: argparse.Namespace, *, creating: bool) -> Json:
    """The trigger flags as API fields (docs/triggers.md). ``--schedule`` takes az's ``name:cron`` form too;
    on update it replaces the task's timers (``task timer add|update|remove`` change one)."""
    body: Json = {}
    for attr, key in _TRIGGER_FLAGS:
        value = getattr(args, attr, None)
        if value is not None:
            body[key] = value
    if getattr(args, "path_filters", None) is not None:
        body["pathFilters"] = list(args.path_filters)
    secret = getattr(args, "webhook_secret", None)
    if secret == "" and not creating:
        body["rotateWebhookSecret"] = True
    elif secret:
        body["webhookSecret"] = secret
    schedules = getattr(args, "schedules", None)
    timer_name = getattr(args, "timer_name", None)
    if schedules is not None:
        if timer_name and len(schedules) != 1:
            raise UsageError("--timer-name names the timer of a single --schedule; use NAME:CRON for several")
        timers = [timer_arg(text, default_name=timer_name or f"t{i + 1}") for i, text in enumerate(schedules)]
        body["timers"] = [{"name": name, "schedule": cron, "enabled": True} for name, cron in timers]
    elif timer_name:
        raise UsageError("--timer-name needs --schedule (or use 'task timer add')")
    return body


def create_body(args: argparse.Namespace) -> tuple[Json, str]:
    context = task_context(args.context)
    what, filename = definition(args, context=context)
    return {"name": args.name, **what, "context": context, **_settings(args),
            **trigger_fields(args, creating=True)}, filename


def update_body(args: argparse.Namespace, current: Callable[[], Json]) -> tuple[Json, str]:
    """Only what the flags change. The stored task is fetched (``current``) only when the new definition
    depends on it: a new ``-f`` without ``-c`` (is the context a URL?), or build flags alone."""
    body: Json = {}
    filename = args.file or args.name
    if args.context is not None:
        body["context"] = task_context(args.context)
    if args.file or args.cmd:
        if "context" in body:
            context = body["context"]
            base_build = None
        else:
            step = current().get("step") or {}
            context, base_build = step.get("context"), step.get("build")
        what, filename = definition(args, context=context, base_build=base_build)
        body.update(what)
    elif _build_flags_given(args):
        step = current().get("step") or {}
        if step.get("kind") != "build":
            raise UsageError(f"{_build_flags_given(args)[0]} applies to build tasks only; "
                             f"task {args.name!r} is not one")
        body.update(kind="build", build=build_object(args, dockerfile=None, base=step.get("build")))
    elif args.values:
        raise UsageError("--values needs -f or --cmd with it on update (it belongs to the task file)")
    body.update(_settings(args))
    body.update(trigger_fields(args, creating=False))
    if not body:
        raise UsageError("nothing to update: give at least one flag to change")
    return body, filename
