"""The command-line grammar: one place that names every command and flag (a contract later checks rely on)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from tasks_engine.cli.args_service import add_progress_option, add_server_options, add_service_commands, positive_int
from tasks_engine.errors import UsageError

EXIT_CODES = """\
exit codes:
  0    success (for a run: it Succeeded)
  1    the task file is invalid, the run did not succeed, or the server refused or failed the request
  2    usage error: bad flags or arguments
  130  interrupted (Ctrl-C)

remote mode:
  With TASKS_ENGINE_SERVER and TASKS_ENGINE_TOKEN set (or --server/--token), build and run go to that
  server (--local runs them here); the task commands always need a server, token commands use it when set.
  Prefer TASKS_ENGINE_TOKEN to --token: a command-line token shows in ps and in shell history.
"""


class OneLineParser(argparse.ArgumentParser):
    """Usage errors are one line and exit 2: scripts grep them, humans read the first line only."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("run options")
    g.add_argument("--registry", "-r", default=None, help="registry login server ({{.Run.Registry}}, $Registry)")
    g.add_argument("--id", dest="run_id", default=None, help="run id ({{.Run.ID}}); default: a new unique id")
    g.add_argument("--commit", "-c", default="", help="{{.Run.Commit}}")
    g.add_argument("--branch", default="", help="{{.Run.Branch}}")
    g.add_argument("--name", default="", help="task name ({{.Run.TaskName}})")
    g.add_argument("--repository", default="", help="{{.Run.Repository}}")
    g.add_argument("--git-tag", default="", help="{{.Run.GitTag}}")
    g.add_argument("--triggered-by", default="", help="{{.Run.TriggeredBy}}")
    g.add_argument("--values", default=None, metavar="FILE", help="YAML values file ({{.Values}})")
    g.add_argument("--set", dest="set_values", action="append", default=[], metavar="K=V",
                   help="set a value (always a string); repeatable; wins over --values")
    g.add_argument("--set-secret", dest="set_secrets", action="append", default=[], metavar="K=V",
                   help="like --set, but the value is masked in every log line and output")
    g.add_argument("--config", default=None, metavar="FILE",
                   help="engine configuration (default: $TASKS_ENGINE_CONFIG or ~/.config/tasks-engine/config.yaml)")


def _add_file(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    p.add_argument("-f", "--file", required=required, metavar="FILE", help="task file ('-' reads stdin)")


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="tasks-engine",
        description="Run ACR Tasks files (acr-task.yaml) on your own Docker host, or on a Tasks Engine server.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version="tasks-engine 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub_kwargs: dict[str, Any] = {"epilog": EXIT_CODES, "formatter_class": argparse.RawDescriptionHelpFormatter}

    p = sub.add_parser("validate", help="check a task file: schema, semantics, templates")
    _add_file(p)
    _add_run_options(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")

    p = sub.add_parser("render", help="print the task file after aliases and templates")
    _add_file(p)
    _add_run_options(p)

    p = sub.add_parser("plan", help="print the compiled run plan")
    _add_file(p)
    _add_run_options(p)
    p.add_argument("--strict", action="store_true")
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")

    p = sub.add_parser("run", help="run a task file (or --cmd), locally on Docker or on a server (like az acr run)",
                       **sub_kwargs)
    _add_file(p, required=False)
    p.add_argument("--cmd", default=None, help='a single command step: "IMAGE ARGS..."')
    p.add_argument("context", nargs="?", default=None,
                   help="local folder, git URL (repo.git#ref:folder), tarball URL, or /dev/null")
    _add_run_options(p)
    _add_exec_options(p)
    _add_remote_run_options(p, platform=True)
    p.add_argument("--strict", action="store_true")

    p = sub.add_parser("build", help="build an image from a context and push it (like az acr build)", **sub_kwargs)
    p.add_argument("context", help="local folder, git URL or tarball URL")
    p.add_argument("-t", "--image", "--tag", dest="tags", action="append", default=[], metavar="TAG")
    p.add_argument("-f", "--file", dest="dockerfile", default=None, metavar="DOCKERFILE")
    p.add_argument("--build-arg", dest="build_args", action="append", default=[], metavar="K=V")
    p.add_argument("--secret-build-arg", dest="secret_build_args", action="append", default=[],
                   metavar="K=V", help="a build argument whose value is masked in logs")
    p.add_argument("--target", default=None)
    p.add_argument("--platform", default=None)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--pull", action="store_true")
    p.add_argument("--no-push", action="store_true")
    _add_run_options(p)
    _add_exec_options(p)
    _add_remote_run_options(p, platform=False)

    p = sub.add_parser("gc", help="remove containers, networks and volumes that killed runs left behind")
    p.add_argument("--older-than", default="1h", metavar="DURATION", help="e.g. 30m, 2h, 1d (default 1h)")
    p.add_argument("--config", default=None, metavar="FILE")

    add_service_commands(sub, sub_kwargs)
    return parser


def check_run_args(args: argparse.Namespace) -> None:
    """``run``'s one rule argparse cannot say: exactly one of ``-f`` and ``--cmd``."""
    if args.cmd and args.file:
        raise UsageError("--cmd and -f/--file cannot be used together")
    if not args.cmd and not args.file:
        raise UsageError("one of -f/--file or --cmd is required")


def _add_remote_run_options(p: argparse.ArgumentParser, *, platform: bool) -> None:
    g = p.add_argument_group("remote options (with a server)")
    add_server_options(g)
    g.add_argument("--local", action="store_true", help="run on this host even when a server is configured")
    g.add_argument("--no-logs", action="store_true", help="wait for the run without streaming its log")
    g.add_argument("--no-wait", action="store_true", help="print the queued run id and return")
    add_progress_option(g)
    g.add_argument("--agent-pool", default=None, metavar="POOL", help="queue the run on this agent pool")
    if platform:
        g.add_argument("--platform", dest="run_platform", default=None, metavar="OS/ARCH",
                       help="platform of the agent (default linux/amd64)")


def _add_exec_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("execution options")
    g.add_argument("--credential", dest="credentials", action="append", default=[], metavar="CRED",
                   help='registry credential: \'{"registry":..,"username":..,"password":..}\' or '
                        "REGISTRY=USER:PASSWORD; repeatable")
    g.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                   help="whole-run timeout (default: totalTimeout from the file, else 3600)")
    g.add_argument("--max-parallel", type=positive_int, default=None, metavar="N",
                   help="at most N steps at once (default: no limit, like ACR)")
    g.add_argument("-o", "--output", choices=["text", "json"], default="text",
                   help="json: the run record on stdout, logs on stderr")
