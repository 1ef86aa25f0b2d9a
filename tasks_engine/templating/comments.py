"""Comment-line stripping, exactly as acr-builder's ``NewTemplate`` does it.

ACR drops every line whose trimmed text starts with ``#`` *before* anything else looks at the file: YAML
comments, but also ``#!/bin/bash`` and ``# ...`` lines inside ``cmd: |`` block scalars. Task files in the
wild depend on this (a ``#`` line may hold ``{{`` that would not parse), so we keep the quirk.
"""

from __future__ import annotations

from tasks_engine.templating._gostrings import go_trim_space
from tasks_engine.templating._stagemap import MapBuilder
from tasks_engine.templating.gotemplate.sourcemap import SourceMap


def is_comment_line(line: str) -> bool:
    return go_trim_space(line).startswith("#")


def strip_comment_lines(text: str) -> tuple[str, SourceMap]:
    """Removes comment lines; returns the new text and a map from it back to ``text``.

    Lines are split on ``\\n`` only and re-joined with ``\\n`` (a ``\\r`` stays part of its line), so a
    file whose last line is a comment loses its final newline, as in ACR.
    """
    builder = MapBuilder(source_length=len(text))
    offset = 0
    first = True
    for line in text.split("\n"):
        start = offset
        offset += len(line) + 1
        if is_comment_line(line):
            continue
        if not first:
            # The joining newline maps to the newline that precedes this line in the original.
            builder.copy("\n", start - 1)
        builder.copy(line, start)
        first = False
    return builder.text(), builder.build()
