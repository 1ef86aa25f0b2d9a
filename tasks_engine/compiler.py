"""From task-file text to a run plan in one pure call: render → validate → compile.

Why a facade: the CLI today and the worker later must run *exactly* the same stages in the same order with the
same inputs, so the order lives here once. Nothing in this module touches Docker, the network or the clock: the
caller passes the run information, the values, the secrets, the alias loader, ``now`` and ``new_uuid``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tasks_engine.definition import parse_definition
from tasks_engine.definition.model import TaskDefinition
from tasks_engine.errors import Problem
from tasks_engine.plan.compile import compile_plan
from tasks_engine.plan.model import RunPlan
from tasks_engine.templating.pipeline import RenderedTask, render_quick_cmd, render_task
from tasks_engine.templating.rundata import RunInfo


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class CompileInputs:
    """Everything that decides what a task file means for one run."""

    text: str
    filename: str
    run: RunInfo
    # Not in the repr: values include the --set-secret values, and the environment may hold tokens.
    values: Mapping[str, object] = field(default_factory=dict, repr=False)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    image_aliases: Mapping[str, str] | None = None
    load_alias_source: Callable[[str], str] | None = None
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    strict: bool = False
    total_timeout: int | None = None
    # ``run --cmd``: the command ACR wraps into a one-step task (``text`` is then ignored).
    quick_cmd: str | None = None


@dataclass(frozen=True)
class CompiledTask:
    rendered: RenderedTask
    definition: TaskDefinition
    warnings: list[Problem]
    plan: RunPlan


def render(inputs: CompileInputs, *, now: Callable[[], datetime] = _utc_now,
           new_uuid: Callable[[], str] = _new_uuid) -> RenderedTask:
    """Stage 1 only (``tasks-engine render``)."""
    if inputs.quick_cmd is not None:
        return render_quick_cmd(
            inputs.quick_cmd,
            run=inputs.run,
            values=inputs.values,
            secrets=inputs.secrets,
            image_aliases=inputs.image_aliases,
            environ=inputs.environ,
            now=now,
            new_uuid=new_uuid,
        )
    return render_task(
        inputs.text,
        filename=inputs.filename,
        run=inputs.run,
        values=inputs.values,
        secrets=inputs.secrets,
        image_aliases=inputs.image_aliases,
        load_alias_source=inputs.load_alias_source,
        environ=inputs.environ,
        now=now,
        new_uuid=new_uuid,
    )


def compile_task(inputs: CompileInputs, *, now: Callable[[], datetime] = _utc_now,
                 new_uuid: Callable[[], str] = _new_uuid) -> CompiledTask:
    """All three stages; the plan is ready for ``execute_plan``.

    Raises ``DefinitionError`` with every problem found. Build-flag and ``cmd`` quoting problems only surface
    while compiling (the definition layer cannot know docker's flags), so validation runs this too.
    """
    rendered = render(inputs, now=now, new_uuid=new_uuid)
    definition, warnings = parse_definition(
        rendered.text, filename=inputs.filename, strict=inputs.strict, locate=rendered.locate
    )
    plan = compile_plan(
        definition,
        run_id=inputs.run.id,
        registry=inputs.run.registry,
        task_name=inputs.run.task_name,
        command_aliases=rendered.aliases if rendered.aliases_enabled else {},
        total_timeout=inputs.total_timeout,
        filename=inputs.filename,
    )
    return CompiledTask(rendered=rendered, definition=definition, warnings=list(warnings), plan=plan)


def validate(inputs: CompileInputs, *, now: Callable[[], datetime] = _utc_now,
             new_uuid: Callable[[], str] = _new_uuid) -> list[Problem]:
    """Every check a run would make before touching Docker; returns the warnings, raises on errors."""
    return compile_task(inputs, now=now, new_uuid=new_uuid).warnings
