"""Run ids: validated when given, generated when not.

Why validation lives here, once: the id names the run folder (created and later removed recursively),
containers and image tags, so it must be one plain name; ``--id ../..`` would otherwise make cleanup delete a
folder outside the engine's state root. The CLI and the worker both pass every id through ``checked_run_id``.
"""

from __future__ import annotations

import re
import uuid

from tasks_engine.errors import UsageError

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", re.ASCII)


def new_run_id() -> str:
    """A local run's id: unique across machines yet short enough for image tags (service runs get ``ca1``...)."""
    return "r" + uuid.uuid4().hex[:12]


def checked_run_id(run_id: str | None) -> str:
    """``run_id`` when it is one plain name, a new id when None; ``UsageError`` otherwise."""
    if run_id is None:
        return new_run_id()
    if not RUN_ID.fullmatch(run_id):
        raise UsageError(
            f"invalid run id {run_id!r}: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return run_id
