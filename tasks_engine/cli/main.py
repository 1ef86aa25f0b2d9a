"""``tasks-engine``: the command-line adapter.

Exit codes: 0 success; 1 the task file is invalid, the run did not succeed, or the server refused or failed the
request; 2 usage; 130 interrupted. ``run``/``build`` go to a server when one is configured (``--local`` keeps
them here); commands are imported lazily so that a remote ``run`` never loads the Docker backend.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from tasks_engine.cli.args import build_parser
from tasks_engine.cli.redact import masker_for
from tasks_engine.errors import DefinitionError, EngineError, UsageError
from tasks_engine.runtime.masking import SecretMasker


def _dispatch(command: str, args: Any) -> Callable[[Any], int]:
    if command in {"run", "build"}:
        from tasks_engine.cli.remote.endpoint import run_endpoint

        endpoint = run_endpoint(args)
        if endpoint is not None:
            from tasks_engine.cli.remote import run_cmds as remote

            remote_cmd = remote.cmd_run if command == "run" else remote.cmd_build
            return lambda a: remote_cmd(a, endpoint)
    if command == "task":
        from tasks_engine.cli.task_cmds import cmd_task

        return cmd_task
    if command == "token":
        from tasks_engine.cli.token_cmds import cmd_token

        return cmd_token
    if command == "deps":
        from tasks_engine.cli.deps_cmds import cmd_deps

        return cmd_deps
    if command in {"validate", "render", "plan"}:
        from tasks_engine.cli import inspect_cmds

        return {"validate": inspect_cmds.cmd_validate, "render": inspect_cmds.cmd_render,
                "plan": inspect_cmds.cmd_plan}[command]
    from tasks_engine.cli import run_cmds

    return {"run": run_cmds.cmd_run, "build": run_cmds.cmd_build, "gc": run_cmds.cmd_gc}[command]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # Error lines are masked with the secrets of the command line: they can quote a rendered value.
    masker = SecretMasker(())
    try:
        args = parser.parse_args(argv)
        masker = masker_for(args)
        if not args.command:
            parser.print_help(sys.stderr)
            return 2
        return _dispatch(args.command, args)(args)
    except UsageError as exc:
        print(masker.mask(f"tasks-engine: error: {exc}"), file=sys.stderr)
        return 2
    except DefinitionError as exc:
        for problem in exc.problems:
            print(masker.mask(problem.format()), file=sys.stderr)
        return 1
    except EngineError as exc:
        print(masker.mask(f"tasks-engine: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tasks-engine: aborted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the last line of defence: never a bare traceback for users
        if os.environ.get("TASKS_ENGINE_DEBUG"):
            print(masker.mask(traceback.format_exc()), file=sys.stderr, end="")
        print(masker.mask(f"tasks-engine: internal error: {type(exc).__name__}: {exc} "
                          "(set TASKS_ENGINE_DEBUG=1 for a traceback; please report it)"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
