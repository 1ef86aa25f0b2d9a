"""Printing a task file's problems: one format for ``validate``, local runs and the server's refusals.

Why a module of its own: a remote ``run -f`` must print the server's ``422 invalid_task`` problems exactly as
``tasks-engine validate`` prints them, without importing the compiler that ``validate`` needs.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable
from typing import TextIO

from tasks_engine.errors import Problem, Severity
from tasks_engine.runtime.masking import SecretMasker


def print_problems(problems: Iterable[Problem], *, stream: TextIO | None = None,
                   masker: SecretMasker | None = None) -> None:
    out = stream or sys.stderr
    for p in problems:
        text = p.format()
        print(masker.mask(text) if masker else text, file=out)


def invalid_summary(filename: str, problems: list[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return f"{filename}: invalid: {errors} error(s), {len(problems) - errors} warning(s)"


def report_invalid(problems: list[Problem], *, filename: str, masker: SecretMasker | None = None) -> None:
    """``validate``'s text report of an invalid file, on stderr. Problems the server could not place in a
    named file (an encoded task has none) are given the name the user knows the file by."""
    named = [p if p.file and not p.file.startswith("<") else dataclasses.replace(p, file=filename)
             for p in problems]
    print_problems(named, masker=masker)
    summary = invalid_summary(filename, named)
    print(masker.mask(summary) if masker else summary, file=sys.stderr)
