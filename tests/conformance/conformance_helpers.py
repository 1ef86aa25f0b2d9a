"""Shared helpers: render a task file the way ``acb exec`` / ``acb render`` does, with a fixed clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tasks_engine.templating import RunInfo, load_values, merge_values, parse_set, render_task

FIXED_NOW = datetime(2010, 5, 20, 13, 14, 22, tzinfo=UTC)  # acr-builder's TestOverrideValuesWithBuildInfo date


def make_run(**fields: str) -> RunInfo:
    defaults = {"id": "ab1", "registry": "myreg.azurecr.io"}
    defaults.update(fields)
    return RunInfo(date=FIXED_NOW, **defaults)


def render(
    text: str,
    *,
    values_file: str = "",
    sets: Sequence[str] = (),
    run: RunInfo | None = None,
    secrets: Mapping[str, str] | None = None,
) -> str:
    """``values_file`` is the text of a ``--values`` file; ``sets`` are ``--set`` arguments."""
    values = merge_values(load_values(values_file, "values.yaml"), parse_set(sets))
    rendered = render_task(
        text,
        filename="acb.yaml",
        run=run or make_run(),
        values=values,
        secrets=secrets or {},
        now=lambda: FIXED_NOW,
        new_uuid=lambda: "00000000-0000-4000-8000-000000000000",
    )
    return rendered.text
