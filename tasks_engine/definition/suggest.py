"""'Did you mean' suggestions for unknown keys.

ACR ignores unknown keys silently, so ``entrypoint:`` (wrong case) or ``totalTimout:`` do nothing there.
We keep accepting them (a warning, an error only with ``strict``) but say what was probably meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from tasks_engine.definition.decode import UnknownKey, child_path
from tasks_engine.errors import Problem, Severity


def suggest(key: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``key``: a case-insensitive match first, then the closest spelling."""
    candidates = sorted(set(known))
    folded = {name.casefold(): name for name in candidates}
    if key.casefold() in folded:
        return folded[key.casefold()]
    close = difflib.get_close_matches(key.casefold(), list(folded), n=1, cutoff=0.7)
    return folded[close[0]] if close else None


def unknown_key_problem(
    unknown: UnknownKey, *, task_keys: Iterable[str], step_keys: Iterable[str], strict: bool = False
) -> Problem:
    message = f'unknown property "{unknown.key}"'
    task_set, step_set = set(task_keys), set(step_keys)
    exact = {name.casefold(): name for name in unknown.known}.get(unknown.key.casefold())
    if exact is not None:
        message += f'; did you mean "{exact}"?'
    elif unknown.parent_def == "" and unknown.key in step_set:
        message += f'; "{unknown.key}" is a step property: put it in an entry of "steps"'
    elif unknown.parent_def == "step" and unknown.key in task_set:
        message += f'; "{unknown.key}" is a task-level property: put it at the top of the file'
    else:
        guess = suggest(unknown.key, unknown.known)
        if guess is not None:
            message += f'; did you mean "{guess}"?'
    return Problem(
        Severity.ERROR if strict else Severity.WARNING,
        message,
        unknown.line,
        unknown.column,
        child_path(unknown.parent_path, unknown.key),
    )
