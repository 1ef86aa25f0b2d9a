"""The ACR dependency report of a build step (spec §5.3): base images from the Dockerfile, tags, git head.

Digests are left empty here; the executor fills them after the run through ``Backend.digest_of``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks_engine.deps.report import build_dependency_report
from tasks_engine.deps.scan import scan_dockerfile
from tasks_engine.errors import DefinitionError
from tasks_engine.source import git_head_revision


def git_head(path: Path) -> str:
    """``git rev-parse --verify HEAD`` of the context; "" when it is not a repository (ACR swallows errors)."""
    try:
        return git_head_revision(path)
    except Exception:  # ACR: errors are swallowed and the revision is ""
        return ""


def dependency_report(
    dockerfile: Path,
    *,
    tags: Sequence[str],
    build_args: Mapping[str, str | None],
    target: str | None,
    context: Path,
    commit: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """(report entries, None) or ([], the reason the scan failed). ``commit`` None: ask git in ``context``."""
    try:
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
        deps = scan_dockerfile(text, build_args=build_args, target=target, file=dockerfile.name)
        head = git_head(context) if commit is None else commit
        return build_dependency_report(tags, deps, head), None
    except DefinitionError as exc:
        return [], str(exc)
    except OSError as exc:
        return [], f"cannot read {dockerfile.name}: {exc.strerror}"
