"""Turn command-line options into the pure compiler's inputs: files read, values merged, run facts fixed.

All I/O the compiler must not do (reading the task and values files, the clock, the run id, the host's
architecture) happens here, once, so ``validate``, ``render``, ``plan`` and ``run`` see the same inputs.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from tasks_engine.cli.config import EngineConfig
from tasks_engine.compiler import CompileInputs
from tasks_engine.errors import UsageError
from tasks_engine.templating.alias_sources import default_alias_source_loader
from tasks_engine.templating.aliases import default_image_aliases
from tasks_engine.templating.rundata import RunInfo
from tasks_engine.templating.values import load_values, merge_values, parse_set

_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
            "i386": "386", "i686": "386"}


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", re.ASCII)


def new_run_id() -> str:
    """Unique across machines (a worker fleet shares one id space) yet short enough for image tags."""
    return "r" + uuid.uuid4().hex[:12]


def checked_run_id(run_id: str | None) -> str:
    """``--id`` or a new id. The id names the run folder (created and later removed recursively), containers
    and image tags, so it must be one plain name: ``--id ../..`` would otherwise make cleanup delete a folder
    outside the engine's state root."""
    if run_id is None:
        return new_run_id()
    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(
            f"invalid run id {run_id!r}: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return run_id


def read_text_file(path: str, *, what: str, search_dirs: tuple[Path, ...] = ()) -> tuple[str, str]:
    """Read ``path`` (``-`` = stdin), falling back to the context folder for relative paths as ACR does."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    candidates = [Path(path)]
    if not os.path.isabs(path):
        candidates += [d / path for d in search_dirs]
    for index, candidate in enumerate(candidates):
        if index and candidate.exists() and not _inside(search_dirs[index - 1], candidate):
            # The context may be a stranger's repository: its symlinks must not read the worker's files.
            raise UsageError(f"{what} {path} leads outside the source context")
        if candidate.is_file():
            try:
                return candidate.read_text(encoding="utf-8-sig"), str(path)
            except UnicodeDecodeError as exc:
                raise UsageError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc
            except OSError as exc:
                raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from exc
    raise UsageError(f"{what} not found: {path}")


def _inside(root: Path, candidate: Path) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def run_info_from(args: argparse.Namespace, *, run_id: str | None = None, commit: str = "",
                  branch: str = "", shared_volume: str = "") -> RunInfo:
    """``shared_volume`` is the host folder mounted at /workspace (ACR names a Docker volume there; a host
    path serves the same purpose for steps that talk to the daemon)."""
    return RunInfo(
        id=run_id or checked_run_id(args.run_id),
        registry=args.registry or "",
        commit=args.commit or commit,
        branch=args.branch or branch,
        repository=args.repository,
        git_tag=args.git_tag,
        triggered_by=args.triggered_by,
        task_name=args.name,
        shared_volume=shared_volume,
        os="linux",
        architecture=_GO_ARCH.get(platform.machine().lower(), platform.machine().lower()),
        date=datetime.now(UTC),
    )


def values_from(
    args: argparse.Namespace, *, search_dirs: tuple[Path, ...] = ()
) -> tuple[dict[str, object], dict[str, str]]:
    """``(values, secrets)``: ``--values`` merged under ``--set``; ``--set-secret`` feeds both maps."""
    file_values: dict[str, object] = {}
    if args.values:
        text, name = read_text_file(args.values, what="values file", search_dirs=search_dirs)
        file_values = load_values(text, name)
    set_values: dict[str, object] = dict(parse_set(args.set_values))
    secrets = parse_set(args.set_secrets)
    set_values.update(secrets)
    return merge_values(file_values, set_values), secrets


def template_environment(config: EngineConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """Only the variables the operator listed in ``templateEnv``: a task file may come from a stranger's
    repository and must not read the worker's credentials through ``{{ env "..." }}``."""
    return {name: environ[name] for name in config.template_env if name in environ}


def compile_inputs(args: argparse.Namespace, config: EngineConfig, *, text: str, filename: str,
                   run: RunInfo, context_dir: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> CompileInputs:
    search = (context_dir,) if context_dir else ()
    values, secrets = values_from(args, search_dirs=search)
    return CompileInputs(
        text=text,
        filename=filename,
        run=run,
        values=values,
        secrets=secrets,
        # The operator's configuration overrides single targets; the rest keep ACR's defaults.
        image_aliases={**default_image_aliases(), **config.image_aliases},
        load_alias_source=default_alias_source_loader(context_dir),
        environ=dict(template_environment(config, os.environ) if environ is None else environ),
        strict=bool(getattr(args, "strict", False)),
        total_timeout=getattr(args, "timeout", None),
    )
