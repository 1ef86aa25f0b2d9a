"""Per-step value rules of acr-builder that do not depend on the rest of the task.

Each function is pure and raises :class:`StepValueError` with ACR's own wording; the compiler turns that into
a :class:`~tasks_engine.errors.Problem` that points at the step.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

# Go's path.Clean: one implementation, shared with Sprig's `clean`.
from tasks_engine.templating.sprig.misc import path_clean as go_path_clean

#: Where the shared run workspace is mounted in every step container.
WORKSPACE_DIR = "/workspace"

# Go's unicode.IsSpace; Python's str.isspace() also counts the ASCII separators 0x1c-0x1f.
_NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


class StepValueError(ValueError):
    """A step value the compiler cannot use; the message is ready for the user."""


def merge_envs(step_env: Sequence[str], task_env: Sequence[str]) -> list[str]:
    """acr-builder's ``mergeEnvs(step, task)``: the step's entries, then task entries whose key it lacks.

    Quirks kept on purpose (task files depend on them): each *task* entry is split on ``,`` (so ``A=1,B=2``
    is two variables and ``A=x,y`` is an error), and step entries are only checked when the task has an env.
    """
    if not task_env:
        return list(step_env)
    task_entries = [part for entry in task_env for part in entry.split(",")]
    step_keys: set[str] = set()
    for entry in step_env:
        key, sep, _ = entry.partition("=")
        if not sep:
            raise StepValueError(f"cannot parse step environment variable {entry} correctly")
        step_keys.add(key)
    merged = list(step_env)
    for entry in task_entries:
        key, sep, _ = entry.partition("=")
        if not sep:
            raise StepValueError(f"cannot parse task environment variable {entry} correctly")
        if key not in step_keys:
            merged.append(entry)
    return merged


def normalize_workdir(workdir: str) -> str:
    """acr-builder's ``normalizeWorkDir``: absolute -> cleaned, relative -> under ``/workspace``, cleaned."""
    if workdir.startswith("/"):
        return go_path_clean(workdir)
    return go_path_clean(f"{WORKSPACE_DIR}/{workdir}")


def go_trim_space(text: str) -> str:
    start, end = 0, len(text)
    while start < end and text[start].isspace() and text[start] not in _NOT_GO_SPACE:
        start += 1
    while end > start and text[end - 1].isspace() and text[end - 1] not in _NOT_GO_SPACE:
        end -= 1
    return text[start:end]


def expand_command_alias(cmd: str, aliases: Mapping[str, str]) -> str:
    """acr-builder's ``ExpandCommandAliases`` for one ``cmd``.

    The text is trimmed and split on single spaces; when the first piece is an alias key it is replaced and
    the pieces re-joined with single spaces. Nothing else is touched (``bash\\techo`` is not expanded).
    """
    if not aliases:
        return cmd
    parts = go_trim_space(cmd).split(" ")
    replacement = aliases.get(parts[0])
    if replacement is None:
        return cmd
    parts[0] = replacement
    return " ".join(parts)


def split_cmd(cmd: str) -> tuple[str, list[str]]:
    """``cmd`` -> (image, argv) with POSIX shell word splitting and no host shell (spec preface, item 1)."""
    try:
        words = shlex.split(cmd, comments=False, posix=True)
    except ValueError as exc:
        raise StepValueError(f"cannot split cmd into words like a shell would: {exc}") from exc
    if not words or words[0] == "":
        raise StepValueError("cmd names no image (the first word of cmd is the image to run)")
    return words[0], words[1:]


def remove_quotes(text: str) -> str:
    """The shell's quote removal, and nothing else: no word splitting, no ``$`` expansion, no host shell.

    ACR passes each ``env`` entry as ``--env <entry>`` through ``/bin/sh -c``, so ``NAME="a b"`` reaches the
    container as ``NAME=a b``. Rules (POSIX 2.2): ``'...'`` is literal; inside ``"..."`` a backslash escapes
    only ``$ ` " \\`` and newline; outside quotes a backslash makes the next character literal.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise StepValueError(f"unterminated single quote in {text!r}")
            out.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise StepValueError(f"unterminated double quote in {text!r}")
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        out.append(text[i + 1])
                    i += 2
                    continue
                out.append(ch)
                i += 1
        elif ch == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
