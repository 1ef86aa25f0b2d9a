"""The grammar of the service commands, ``task ...`` and ``token ...``, with ``az acr task``'s flag names.

Part of the one grammar (``args.build_parser`` adds these); kept apart only to keep modules small. Flag
names and destinations are a contract: ``redact.py`` masks the values of ``--set-secret``, ``--secret-arg``
(``secret_build_args``), ``--credential`` and ``--token`` by their destinations.
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


def add_server_options(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument("--server", default=None, metavar="URL",
                   help="Tasks Engine server, e.g. http://127.0.0.1:8080 (default: $TASKS_ENGINE_SERVER)")
    p.add_argument("--token", default=None, metavar="TOKEN",
                   help="API token (default: $TASKS_ENGINE_TOKEN; prefer the variable: a token on the command "
                        "line shows in ps and in shell history)")


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
