"""The task-file templating pipeline: original text -> rendered YAML text, with a way back.

Order (acr-builder ``acb exec``): strip comment lines -> find ``version`` -> for v1.1.0+: split off the
``alias:`` block, render it, resolve and substitute aliases -> Go-template render with Sprig -> drop every
literal ``<no value>``. Each stage keeps a source map, so a problem found in the rendered YAML is reported
at the line and column of the file the user wrote.

Secrets: ACR renders twice when the text mentions ``secrets`` so it can resolve the task's Key Vault
secrets and expose them as ``.Secrets.<id>``. We have no Key Vault: secret values come from the caller
(``--set-secret``) and are exposed as ``.Secrets.<id>`` in a single render. (In the ACR service,
``az acr run --set-secret`` values arrive as ``.Values.<name>``; callers wanting that too merge them into
``values``.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tasks_engine.errors import DefinitionError, EngineError, Problem, Severity
from tasks_engine.templating._stagemap import MapBuilder
from tasks_engine.templating.alias_sources import AliasSourceError
from tasks_engine.templating.aliases import (
    RUN_ALIAS_NAMES,
    AliasError,
    builtin_aliases,
    parse_alias_block,
    resolve_aliases,
    separate_alias_block,
    substitute_aliases,
)
from tasks_engine.templating.comments import strip_comment_lines
from tasks_engine.templating.gotemplate import TemplateError, render
from tasks_engine.templating.gotemplate.sourcemap import SourceMap, line_col, offset_of
from tasks_engine.templating.rundata import RunInfo, build_template_data
from tasks_engine.templating.sprig import sprig_functions
from tasks_engine.templating.values import load_values, merge_values
from tasks_engine.templating.version import ALIAS_NOTE, aliases_enabled, find_version

NO_VALUE = "<no value>"
QUICK_CMD_FILENAME = "<--cmd>"
QUICK_CMD_TEMPLATE = "steps: \n  - cmd: {{ .Values.command }}\n"
QUICK_CMD_TIMEOUT_TEMPLATE = "    timeout: {{ .Values.timeout }}\n"

_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class RenderedTask:
    """The rendered task text plus what later layers need: the version found, the aliases (for
    ``cmd`` image expansion) and a map from positions in ``text`` to the original file."""

    text: str
    version: str
    aliases_enabled: bool
    aliases: dict[str, str]
    notes: list[str]
    source_map: SourceMap
    original_text: str
    filename: str = field(default="")

    def locate(self, rendered_line: int, rendered_col: int) -> tuple[int, int, bool]:
        """(line, column, exact) in the original file for a 1-based position in ``text``.

        ``exact`` is false when the character was produced by templating or alias expansion; the
        position is then where that expression starts.
        """
        offset = offset_of(self.text, rendered_line, rendered_col)
        source_offset, exact = self.source_map.to_source(offset)
        line, column = line_col(self.original_text, source_offset)
        return line, column, exact


@dataclass(frozen=True)
class _Context:
    filename: str
    original: str

    def problem(self, message: str, chain: SourceMap | None = None, offset: int | None = None) -> Problem:
        line = column = 0
        if chain is not None and offset is not None:
            source_offset, _ = chain.to_source(offset)
            line, column = line_col(self.original, source_offset)
        return Problem(Severity.ERROR, message, line=line, column=column, file=self.filename)

    def error(
        self, message: str, chain: SourceMap | None = None, offset: int | None = None
    ) -> DefinitionError:
        return DefinitionError([self.problem(message, chain, offset)])


def render_task(
    text: str,
    *,
    filename: str,
    run: RunInfo,
    values: Mapping[str, object],
    secrets: Mapping[str, str] = _EMPTY,
    image_aliases: Mapping[str, str] | None = None,
    load_alias_source: Callable[[str], str] | None = None,
    environ: Mapping[str, str] = _EMPTY,
    now: Callable[[], datetime],
    new_uuid: Callable[[], str],
) -> RenderedTask:
    """Renders a task file. Raises ``DefinitionError`` (one problem, at the original line/column) for
    template and alias errors. An empty or whitespace-only result is returned as is (zero steps).

    ``values`` are the already merged values (see ``values.merge_values``); ``secrets`` become
    ``.Secrets.<id>`` (see the module docstring: no Key Vault, one render); ``load_alias_source`` reads
    ``alias.src`` entries (see ``alias_sources.default_alias_source_loader``); ``image_aliases`` replaces
    the packaged ``image_aliases.yaml``.
    """
    ctx = _Context(filename, text)
    stripped, chain = strip_comment_lines(text)
    version = find_version(stripped)
    data = build_template_data(run, values, secrets)
    funcs = sprig_functions(now=now, environ=environ, new_uuid=new_uuid)
    notes: list[str] = []
    aliases: dict[str, str] = {}
    enabled = aliases_enabled(version)
    current = stripped
    if enabled:
        notes.append(ALIAS_NOTE)
        split = separate_alias_block(stripped)
        alias_chain = chain.then(split.alias_map)
        chain = chain.then(split.rest_map)
        aliases, directive = _resolve_alias_block(
            ctx,
            split.alias_text,
            alias_chain,
            data=data,
            funcs=funcs,
            run=run,
            image_aliases=image_aliases,
            load_alias_source=load_alias_source,
        )
        current, substitution_map = substitute_aliases(split.rest_text, aliases, directive)
        chain = chain.then(substitution_map)
    rendered, chain = _render_template(ctx, current, chain, data, funcs)
    return RenderedTask(
        text=rendered,
        version=version,
        aliases_enabled=enabled,
        aliases=aliases,
        notes=notes,
        source_map=chain,
        original_text=text,
        filename=filename,
    )


def _resolve_alias_block(
    ctx: _Context,
    alias_text: str,
    alias_chain: SourceMap,
    *,
    data: Mapping[str, Any],
    funcs: Mapping[str, Callable[..., Any]],
    run: RunInfo,
    image_aliases: Mapping[str, str] | None,
    load_alias_source: Callable[[str], str] | None,
) -> tuple[dict[str, str], str]:
    """Renders the ``alias:`` block with the task's data, then parses, loads and validates it.

    Every failure becomes a ``DefinitionError`` at the offending line of the block (ACR only logs these
    and carries on with unexpanded ``$names``, which then fail far from the cause).
    """
    rendered_alias, rendered_chain = _render_template(ctx, alias_text, alias_chain, data, funcs)
    builtins = builtin_aliases(os=run.os, image_aliases=image_aliases)
    try:
        spec = parse_alias_block(rendered_alias)
        return resolve_aliases(spec, builtins=builtins, load_source=load_alias_source)
    except AliasError as exc:
        if exc.offset is None:
            block_start = 0 if alias_text else None
            raise ctx.error(f"invalid alias block: {exc.message}", alias_chain, block_start) from exc
        raise ctx.error(f"invalid alias block: {exc.message}", rendered_chain, exc.offset) from exc
    except (AliasSourceError, OSError, ValueError, EngineError) as exc:
        message = exc.problems[0].message if isinstance(exc, DefinitionError) and exc.problems else str(exc)
        raise ctx.error(f"invalid alias block: {message}", alias_chain, 0 if alias_text else None) from exc


def _render_template(
    ctx: _Context,
    text: str,
    chain: SourceMap,
    data: Mapping[str, Any],
    funcs: Mapping[str, Callable[..., Any]],
) -> tuple[str, SourceMap]:
    """Go-template render plus ACR's ``<no value>`` removal; returns the text and the extended chain."""
    try:
        result = render(text, data, funcs=funcs, name=ctx.filename or "task")
    except TemplateError as exc:
        stage = "parse" if exc.kind == "parse" else "execute"
        offset: int | None = exc.offset
        if offset is None or offset < 0:
            offset = offset_of(text, exc.line, exc.column) if exc.line else None
        raise ctx.error(f"failed to {stage} template: {exc.message}", chain, offset) from exc
    chain = chain.then(result.source_map)
    cleaned, cleaned_map = remove_no_value(result.text)
    return cleaned, chain.then(cleaned_map)


def remove_no_value(text: str) -> tuple[str, SourceMap]:
    """``strings.ReplaceAll(out, "<no value>", "")`` with a map back to ``text``."""
    builder = MapBuilder(source_length=len(text))
    position = 0
    while True:
        found = text.find(NO_VALUE, position)
        if found < 0:
            builder.copy(text[position:], position)
            return builder.text(), builder.build()
        builder.copy(text[position:found], position)
        position = found + len(NO_VALUE)


def render_quick_cmd(
    cmd: str,
    *,
    run: RunInfo,
    values: Mapping[str, object] = _EMPTY,
    secrets: Mapping[str, str] = _EMPTY,
    timeout: int | None = None,
    image_aliases: Mapping[str, str] | None = None,
    environ: Mapping[str, str] = _EMPTY,
    now: Callable[[], datetime],
    new_uuid: Callable[[], str],
) -> RenderedTask:
    """``run --cmd``: the task ``az acr run --cmd`` generates (``steps: - cmd: {{ .Values.command }}``).

    As in ACR the command travels as a value, so ``{{ }}`` inside it is *not* rendered (azure-cli#9398),
    and it passes through a YAML values file (``command: <cmd>``), so it must be a valid YAML scalar.
    Aliases are on, as the ACR service does for quick runs: ``$Registry``/``$ID``... are replaced by the
    run's values directly (the command is never templated) and ``bash``/``az``... expand as images.
    """
    images = builtin_aliases(os=run.os, image_aliases=image_aliases)
    run_map = run.run_map()
    resolved = {name: run_map[name] if name in RUN_ALIAS_NAMES else value for name, value in images.items()}
    command, _ = substitute_aliases(cmd, resolved)
    template = QUICK_CMD_TEMPLATE
    values_text = f"command: {command}\n"
    if timeout is not None:
        template += QUICK_CMD_TIMEOUT_TEMPLATE
        values_text += f"timeout: {timeout}\n"
    try:
        file_values = load_values(values_text, QUICK_CMD_FILENAME)
    except DefinitionError as exc:
        detail = exc.problems[0].message if exc.problems else str(exc)
        raise DefinitionError(
            [
                Problem(
                    Severity.ERROR,
                    "the --cmd value must be usable as a YAML value "
                    f"(ACR passes it in a values file): {detail}",
                    file=QUICK_CMD_FILENAME,
                )
            ]
        ) from exc
    rendered = render_task(
        template,
        filename=QUICK_CMD_FILENAME,
        run=run,
        values=merge_values(file_values, values),
        secrets=secrets,
        environ=environ,
        now=now,
        new_uuid=new_uuid,
    )
    return dataclasses.replace(rendered, aliases_enabled=True, aliases=resolved, notes=[ALIAS_NOTE])
