"""docs/performance.md is shared by several benchmarks: each writes its own marked section and keeps the rest.

A section is the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; ``bench.run_all`` writes the
page's head and its own rows and keeps every marked section as it was, so running one benchmark never erases
another's latest results.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
_SECTION = re.compile(r"<!-- (?P<name>[a-z0-9-]+):start -->.*?<!-- (?P=name):end -->", re.DOTALL)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()


def write_section(name: str, lines: list[str], doc: Path = DOC) -> None:
    """Replace (or append) section ``name`` with ``lines``."""
    start, end = markers(name)
    section = "\n".join([start, *lines, end])
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def kept_sections(doc: Path = DOC) -> str:
    """Every marked section of the current page, in order, for a writer that rewrites the rest."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    return "\n\n".join(m.group(0) for m in _SECTION.finditer(text))


class Row(Protocol):
    name: str
    summary: str
    ok: bool


def results_table(title: str, command: str, setup: str, client: str, results: Iterable[Row],
                  targets: Mapping[str, str]) -> list[str]:
    """A section's head: its title, the command that produced it, when and where, and one row per result."""
    lines = ["", f"## {title}", "", f"Command: `{command}` (after `./scripts/setup.sh`; {setup}).", "",
             f"Results ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, {os.cpu_count()} cores, "
             f"{client} on the same machine):", "",
             "| benchmark | result | target | met |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {r.summary} | {targets[r.name]} | {'yes' if r.ok else '**no**'} |")
    return lines
