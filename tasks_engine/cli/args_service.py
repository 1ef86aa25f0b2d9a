"""The grammar of the service commands, ``task ...`` and ``token ...``, with ``az acr task``'s flag names.

Part of the one grammar (``args.build_parser`` adds these); kept apart only to keep modules small. Flag
names and destinations are a contract: ``redact.py`` masks the values of ``--set-secret``, ``--secret-arg``
(``secret_build_args``), ``--credential``, ``--git-access-token``, ``--webhook-secret`` and ``--token`` by their
destinations.
"""

from __future__ import annotations

import argparse
from typing import Any

RUN_STATUSES = ("Queued", "Started", "Running", "Succeeded", "Failed", "Canceled", "Error", "Timeout")
ROLES = ("reader", "runner", "admin")
TABLE_OR_JSON = ("table", "json")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def true_false(text: str) -> bool:
    """az's boolean flag values: ``true``/``false`` (also yes/no, 1/0)."""
    value = text.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def add_server_options(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument("--server", default=None, metavar="URL",
                   help="Tasks Engine server, e.g. http://127.0.0.1:8080 (default: $TASKS_ENGINE_SERVER)")
    p.add_argument("--token", default=None, metavar="TOKEN",
                   help="API token (default: $TASKS_ENGINE_TOKEN; prefer the variable: a token on the command "
                        "line shows in ps and in shell history)")


def add_progress_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--no-progress`` (build, run, task run): no progress line on a terminal (never shown on a pipe)."""
    p.add_argument("--no-progress", action="store_true",
                   help="no progress line (packing, upload, place in the queue) even on a terminal")


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", choices=TABLE_OR_JSON, default="table", help="table (default) or json")


def _values(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="set_values", action="append", default=[], metavar="K=V",
                   help="a value for {{.Values.K}}; repeatable")
    p.add_argument("--set-secret", dest="set_secrets", action="append", default=[], metavar="K=V",
                   help="like --set, but stored encrypted and masked in every log line and output")


def _wait(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-logs", action="store_true", help="wait for the run without streaming its log")
    p.add_argument("--no-wait", action="store_true", help="print the queued run id and return")
    add_progress_option(p)


def _task_definition(p: argparse.ArgumentParser, *, creating: bool) -> None:
    """``az acr task create``/``update``: what the task runs, from where, with what."""
    p.add_argument("-f", "--file", default=None, metavar="FILE",
                   help="a .yaml/.yml task file (in the context for a git/tarball context, else read here); any "
                        "other name is a Dockerfile, making a build task")
    p.add_argument("-c", "--context", default=None, metavar="CONTEXT",
                   help="git URL (repo.git#branch:folder), tarball URL, or /dev/null for none")
    p.add_argument("--cmd", default=None, help='a single command step: "IMAGE ARGS..."')
    _values(p)
    p.add_argument("--values", default=None, metavar="FILE",
                   help="values file (in the context for a file task, else read here)")
    p.add_argument("--timeout", type=int, default=3600 if creating else None, metavar="SECONDS",
                   help="run timeout, 300-28800" + (" (default 3600)" if creating else ""))
    p.add_argument("--agent-pool", default=None, metavar="POOL", help="agent pool the task's runs queue on")
    p.add_argument("--status", choices=("Enabled", "Disabled"), default="Enabled" if creating else None)
    p.add_argument("--platform", default=None, metavar="OS/ARCH", help="platform (default linux/amd64)")
    p.add_argument("-t", "--image", dest="tags", action="append", default=[], metavar="IMAGE",
                   help="image name of a build task; repeatable")
    p.add_argument("--arg", dest="build_args", action="append", default=[], metavar="K=V",
                   help="build argument of a build task; repeatable")
    p.add_argument("--secret-arg", dest="secret_build_args", action="append", default=[], metavar="K=V",
                   help="secret build argument of a build task (masked in logs); repeatable")
    p.add_argument("--target", default=None, help="build stage of a build task")
    p.add_argument("--no-push", action="store_true", default=None, help="build task: do not push the image")
    p.add_argument("--no-cache", action="store_true", default=None, help="build task: build without cache")
    p.add_argument("--credential", dest="credentials", action="append", default=[], metavar="CRED",
                   help='registry credential: \'{"registry":..,"username":..,"password":..}\' or '
                        "REGISTRY=USER:PASSWORD; repeatable")
    p.add_argument("--git-access-token", dest="git_access_token", default=None, metavar="TOKEN",
                   help="token for a private git context (stored encrypted, never printed)")
    p.add_argument("--max-concurrent-runs", type=positive_int, default=None, metavar="N",
                   help="at most N runs of the task at once, whatever starts them; the rest wait queued")
    _triggers(p, creating=creating)


def _triggers(p: argparse.ArgumentParser, *, creating: bool) -> None:
    """The trigger flags (docs/triggers.md); az's names where az has the setting."""
    g = p.add_argument_group("triggers")
    g.add_argument("--commit-trigger-enabled", type=true_false, default=None, metavar="true|false",
                   help="run on every push to the branch (default true with a git context, as az)")
    g.add_argument("--pull-request-trigger-enabled", type=true_false, default=None, metavar="true|false",
                   help="run on pull requests to the branch (default false, as az)")
    g.add_argument("--branch", default=None, metavar="GLOB",
                   help="branch the source trigger watches (default: the context's #branch, else main)")
    g.add_argument("--path-filter", dest="path_filters", action="append", default=None, metavar="GLOB",
                   help="run only when a push changes a matching file (gitignore rules, !negation); repeatable")
    g.add_argument("--tag-trigger-enabled", type=true_false, default=None, metavar="true|false",
                   help="also run on tag pushes (default false)")
    g.add_argument("--tag-pattern", default=None, metavar="GLOB", help="the tags that run (default *)")
    g.add_argument("--pull-request-secrets", type=true_false, default=None, metavar="true|false",
                   help="give pull-request runs the task's secrets and registry credentials (default false)")
    g.add_argument("--webhook-secret", dest="webhook_secret", nargs="?", const="", default=None, metavar="SECRET",
                   help="the repository webhook's secret (generated and printed once when not given"
                        + ("" if creating else "; without a value: a new one is generated") + ")")
    g.add_argument("--base-image-trigger-enabled", type=true_false, default=None, metavar="true|false",
                   help="rebuild when a base image changes (default true, as az)")
    g.add_argument("--base-image-trigger-type", choices=("Runtime", "All"), default=None,
                   help="Runtime: only the final FROM (default, as az); All: every base")
    g.add_argument("--schedule", dest="schedules", action="append", default=None, metavar="CRON",
                   help='a timer: "min hour dom month dow" in UTC, or az\'s "name:cron"; repeatable'
                        + ("" if creating else " (replaces the task's timers)"))
    g.add_argument("--timer-name", default=None, metavar="NAME",
                   help="name of the timer of a single --schedule (default t1, t2, ...)")


def _timer_commands(task_commands: Any, command: Any) -> None:
    timer = task_commands.add_parser("timer", help="a task's timer triggers (like az acr task timer)",
                                     description="a task's timer triggers (like az acr task timer)")
    actions = timer.add_subparsers(dest="timer_command", metavar="COMMAND", required=True,
                                   parser_class=type(timer))
    for name, text in (("add", "add a timer"), ("update", "change a timer's schedule or status"),
                       ("remove", "remove a timer"), ("list", "list a task's timers and their next occurrence")):
        q: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
        add_server_options(q.add_argument_group("server options"))
        q.add_argument("-n", "--name", required=True, help="the task")
        if name != "list":
            q.add_argument("--timer-name", required=True, metavar="NAME")
        if name in ("add", "update"):
            q.add_argument("--schedule", required=name == "add", default=None, metavar="CRON",
                           help='"min hour dom month dow" in UTC (ACR\'s NCrontab syntax)')
            q.add_argument("--enabled", type=true_false, default=None, metavar="true|false")
        _output(q)


def _task_commands(sub: Any, kwargs: dict[str, Any]) -> None:
    task = sub.add_parser("task", help="named tasks and their runs on a server (like az acr task)", **kwargs)
    commands = task.add_subparsers(dest="task_command", metavar="COMMAND", required=True,
                                   parser_class=type(task))

    def command(name: str, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text, **kwargs)
        add_server_options(p.add_argument_group("server options"))
        return p

    p = command("create", "create a named task")
    p.add_argument("-n", "--name", required=True, help="task name: 5-50 of A-Z a-z 0-9 _ -")
    _task_definition(p, creating=True)
    _output(p)
    p = command("update", "change a task: only the flags given")
    p.add_argument("-n", "--name", required=True)
    _task_definition(p, creating=False)
    _output(p)
    _output(command("list", "list the tasks"))
    p = command("show", "show a task")
    p.add_argument("-n", "--name", required=True)
    _output(p)
    p = command("delete", "delete a task (asks first)")
    p.add_argument("-n", "--name", required=True)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p = command("run", "queue a run of a task and follow its log")
    p.add_argument("-n", "--name", required=True)
    _values(p)
    p.add_argument("--agent-pool", default=None, metavar="POOL")
    _wait(p)
    p.add_argument("-o", "--output", choices=("text", "json"), default="text",
                   help="json: the run record on stdout, the log on stderr")
    p = command("list-runs", "list runs, newest first")
    p.add_argument("-n", "--name", default=None, help="only runs of this task")
    p.add_argument("--run-status", choices=RUN_STATUSES, default=None)
    p.add_argument("--top", type=positive_int, default=15, metavar="N", help="at most N runs (default 15)")
    _output(p)
    p = command("show-run", "show a run (a queued one says why it waits)")
    p.add_argument("--run-id", required=True)
    _output(p)
    p = command("logs", "print a run's log; follows a running run to its end")
    p.add_argument("--run-id", default=None)
    p.add_argument("-n", "--name", default=None, help="without --run-id: the last run of this task")
    p = command("cancel-run", "cancel a queued or running run")
    p.add_argument("--run-id", required=True)
    _output(p)
    _timer_commands(commands, command)


def _deps_commands(sub: Any, kwargs: dict[str, Any]) -> None:
    deps = sub.add_parser("deps", help="the base-image dependency index on a server", **kwargs)
    commands = deps.add_subparsers(dest="deps_command", metavar="COMMAND", required=True, parser_class=type(deps))
    p = commands.add_parser("impact", help="which tasks would rebuild if IMAGE changed, in which generation",
                            description="which tasks would rebuild if IMAGE changed, transitively, in which "
                                        "generation (nothing runs)", **kwargs)
    add_server_options(p.add_argument_group("server options"))
    p.add_argument("image", metavar="IMAGE", help="an image reference, e.g. 127.0.0.1:5000/base:1")
    _output(p)
    p = commands.add_parser("events", help="image updates the cascade did not turn into runs, and why",
                            description="recent image updates the cascade suppressed (cycle, depth limit, "
                                        "duplicate, coalesced, unchanged, disabled), newest first", **kwargs)
    add_server_options(p.add_argument_group("server options"))
    p.add_argument("--top", type=positive_int, default=20, metavar="N")
    _output(p)


def _token_commands(sub: Any, kwargs: dict[str, Any]) -> None:
    token = sub.add_parser("token", help="API tokens: on the server, or in the store on the server host",
                           **kwargs)
    commands = token.add_subparsers(dest="token_command", metavar="COMMAND", required=True,
                                    parser_class=type(token))

    def command(name: str, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text, **kwargs)
        add_server_options(p.add_argument_group("server options"))
        p.add_argument("--config", default=None, metavar="FILE",
                       help="service configuration, for the store on this host when no server is set")
        return p

    p = command("create", "create a token and print it, once")
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("-o", "--output", choices=("text", "json"), default="text",
                   help="text: the token alone on stdout; json: name, role and token")
    _output(command("list", "list the tokens (never their values)"))
    p = command("delete", "delete a token")
    p.add_argument("--name", required=True)


def add_service_commands(sub: Any, kwargs: dict[str, Any]) -> None:
    _task_commands(sub, kwargs)
    _token_commands(sub, kwargs)
    _deps_commands(sub, kwargs)
