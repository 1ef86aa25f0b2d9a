"""ACR task aliases (``version: v1.1.0`` and later): the ``alias:`` block, ``$name`` substitution, and
command-image expansion — a port of acr-builder ``graph/preprocessor.go``.

The substitution is a character state machine, not a regex, and its quirks are part of the contract:
``$$`` is an escape for ``$``, unknown names (``$HOME``, ``${X}``, ``$(cmd)``) are left alone, ``$a$b``
chains, ``$unknown$ID`` leaves ``$ID`` unexpanded, and text inside ``{{ }}`` is substituted too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from tasks_engine.errors import DefinitionError, EngineError
from tasks_engine.templating._gostrings import go_trim_space
from tasks_engine.templating._stagemap import MapBuilder
from tasks_engine.templating.alias_sources import AliasSourceError
from tasks_engine.templating.gotemplate.sourcemap import SourceMap
from tasks_engine.templating.yamlmaps import (
    Entry,
    YamlShapeError,
    compose,
    mapping_items,
    scalar_text,
    string_list,
    string_map,
)

DEFAULT_DIRECTIVE = "$"
RUN_ALIAS_NAMES = (
    "ID",
    "SharedVolume",
    "Registry",
    "RegistryName",
    "Date",
    "OS",
    "Architecture",
    "Commit",
    "Branch",
)

_GO_SPACE_CLASS = r"[\t\n\f\r ]"  # RE2 \s is ASCII-only and has no \v
_ALIAS_START = re.compile(rf"alias{_GO_SPACE_CLASS}*:.*")
_TOP_LEVEL = re.compile(r"[^\t\n\f\r :]+[^:]*:.*")
_COMMENT = re.compile(rf"{_GO_SPACE_CLASS}*#")
_KEY_FORMAT = re.compile(r"[a-zA-Z0-9]+")


class AliasError(Exception):
    """An alias definition is wrong; ``offset`` points into the alias block text it was found in
    (``None`` when the problem is in an external ``src`` file)."""

    def __init__(self, message: str, offset: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def is_alphanumeric(ch: str) -> bool:
    """ASCII letters and digits only, as acr-builder's ``isAlphanumeric``."""
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("0" <= ch <= "9")


@dataclass(frozen=True)
class AliasSplit:
    """The ``alias:`` block and the rest of the task, each with a map back to the split's input."""

    alias_text: str
    alias_map: SourceMap
    rest_text: str
    rest_map: SourceMap
    alias_offset: int | None  # where ``alias:`` starts in the input, if there is a block


def _scan_lines(text: str) -> list[tuple[str, int, int]]:
    """``bufio.ScanLines``: (line without its ``\r``, start offset, offset of its ``\n`` or ``len(text)``)."""
    result = []
    offset = 0
    while offset < len(text):
        newline = text.find("\n", offset)
        stop = len(text) if newline < 0 else newline
        line = text[offset:stop]
        result.append((line[:-1] if line.endswith("\r") else line, offset, stop))
        offset = stop + 1
    return result


def separate_alias_block(text: str) -> AliasSplit:
    """acr-builder ``SeparateAliasFromRest``: the block starts at a column-0 ``alias:`` line and ends at the
    next column-0 ``key:`` line (a column-0 ``- x: y`` also ends it). Comment lines are dropped; every kept
    line is re-terminated with ``\\n``."""
    alias = MapBuilder(source_length=len(text))
    rest = MapBuilder(source_length=len(text))
    inside = False
    alias_offset: int | None = None
    for line, start, newline in _scan_lines(text):
        if _COMMENT.match(line):
            continue
        if not inside and _ALIAS_START.fullmatch(line):
            inside = True
            if alias_offset is None:
                alias_offset = start
        elif inside and _TOP_LEVEL.fullmatch(line):
            inside = False
        target = alias if inside else rest
        target.copy(line, start)
        if newline < len(text):
            target.copy("\n", newline)
        else:
            target.emit("\n", max(newline - 1, 0), newline)
    return AliasSplit(alias.text(), alias.build(), rest.text(), rest.build(), alias_offset)


@dataclass(frozen=True)
class AliasSpec:
    """The parsed ``alias:`` block; offsets point into the (rendered) block text."""

    sources: list[Entry]
    values: list[Entry]
    directive: str
    directive_offset: int
    block_offset: int


def parse_alias_block(text: str) -> AliasSpec:
    """Reads ``alias: {src: [...], values: {...}, directive: x}`` with yaml.v2's string semantics."""
    try:
        root = compose(text)
        top = mapping_items(root, "the alias block")
        node, block_offset = top.get("alias", (None, 0))
        fields = mapping_items(node, "alias")
        src_node, _ = fields.get("src", (None, block_offset))
        values_node, _ = fields.get("values", (None, block_offset))
        directive_node, directive_offset = fields.get("directive", (None, block_offset))
        directive = "" if directive_node is None else scalar_text(directive_node, "alias directive")
        return AliasSpec(
            sources=string_list(src_node, "alias src"),
            values=string_map(values_node, "alias values"),
            directive=directive,
            directive_offset=directive_offset,
            block_offset=block_offset,
        )
    except YamlShapeError as exc:
        raise AliasError(exc.message, exc.offset) from exc


@cache
def _packaged_image_aliases() -> tuple[tuple[str, str], ...]:
    text = resources.files("tasks_engine.templating").joinpath("image_aliases.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return tuple((str(k), str(v)) for k, v in data.items())


def default_image_aliases() -> dict[str, str]:
    """The packaged ``image_aliases.yaml`` (ACR's Linux image aliases)."""
    return dict(_packaged_image_aliases())


def builtin_aliases(*, os: str = "linux", image_aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """ACR's global aliases: ``$ID``-style run aliases (rendered later by the template engine) plus image
    aliases. ``image_aliases`` replaces the packaged defaults entirely; Windows runs get none, as in ACR."""
    result = {name: f"{{{{.Run.{name}}}}}" for name in RUN_ALIAS_NAMES}
    if os.lower() != "windows":
        result.update(default_image_aliases() if image_aliases is None else image_aliases)
    return result


def parse_alias_source(text: str, source: str) -> dict[str, str]:
    """An external alias file: a flat YAML map of strings (an empty file is fine)."""
    try:
        return {entry.key: entry.value for entry in string_map(compose(text), f"alias source {source}")}
    except YamlShapeError as exc:
        raise AliasError(f"alias source {source}: {exc.message}", None) from exc


def resolve_aliases(
    spec: AliasSpec,
    *,
    builtins: Mapping[str, str],
    load_source: Callable[[str], str] | None,
) -> tuple[dict[str, str], str]:
    """Merges ``values`` > ``src`` (later files win) > built-ins, validates, returns (aliases, directive).

    ``load_source`` returns a source's text; it is required only when ``src`` is not empty. Its
    failures (``AliasSourceError``, ``OSError``...) become an ``AliasError`` at the ``src`` entry.
    """
    aliases: dict[str, str] = {}
    key_offsets: dict[str, int | None] = {}
    for entry in spec.values:
        aliases[entry.key] = entry.value
        key_offsets[entry.key] = entry.offset
    for entry in reversed(spec.sources):
        if load_source is None:
            raise AliasError(
                f"alias src {entry.value!r} cannot be loaded here: no alias source loader", entry.offset
            )
        try:
            loaded = parse_alias_source(load_source(entry.value), entry.value)
        except AliasError as exc:
            raise AliasError(exc.message, entry.offset) from exc
        except (AliasSourceError, EngineError, OSError, ValueError) as exc:
            raise AliasError(_error_text(exc), entry.offset) from exc
        for key, value in loaded.items():
            if key not in aliases:
                aliases[key] = value
                key_offsets[key] = entry.offset
    for key, value in builtins.items():
        aliases.setdefault(key, value)
    directive = validate_directive(spec.directive, spec.directive_offset)
    for key in aliases:
        if not _KEY_FORMAT.fullmatch(key):
            raise AliasError(
                f"alias key names only support alphanumeric characters: {key!r}",
                key_offsets.get(key, spec.block_offset),
            )
    return aliases, directive


def _error_text(exc: Exception) -> str:
    if isinstance(exc, DefinitionError) and exc.problems:
        return exc.problems[0].message
    return str(exc) or type(exc).__name__


def validate_directive(directive: str, offset: int | None = None) -> str:
    """Empty means ``$``; otherwise exactly one character (one rune, so ``🐳`` is fine), not ASCII
    alphanumeric."""
    if directive == "":
        return DEFAULT_DIRECTIVE
    if len(directive) != 1:
        raise AliasError(
            f"$ directive can only be overwritten by a single character, got {directive!r}", offset
        )
    if is_alphanumeric(directive):
        raise AliasError(
            f"overwritten directives may not be alphanumeric characters, got {directive!r}", offset
        )
    return directive


def substitute_aliases(
    text: str, aliases: Mapping[str, str], directive: str = DEFAULT_DIRECTIVE
) -> tuple[str, SourceMap]:
    """Replaces ``<directive>name`` tokens; returns the new text and a map back to ``text``.

    A space is appended before scanning (so a token at the very end is flushed) and removed afterwards.
    Alias values are inserted as they are: they are not scanned again.
    """
    scanned = text + " "
    out = MapBuilder(source_length=len(text))
    name: list[str] = []
    in_alias = False
    start = 0  # offset of the directive that opened the current token
    index, size = 0, len(scanned)
    while index < size:
        if not in_alias:  # copy everything up to the next directive in one piece
            found = scanned.find(directive, index)
            if found < 0:
                out.copy(scanned[index:], index)
                break
            out.copy(scanned[index:found], index)
            in_alias, start, index = True, found, found + 1
            continue
        ch = scanned[index]
        if ch == directive and not name:  # "$$": an escaped directive
            out.emit(directive, start, index + 1)
            in_alias = False
        elif not is_alphanumeric(ch):
            key = "".join(name)
            name.clear()
            if key not in aliases:
                out.copy(scanned[start : index + 1], start)
                in_alias = False
            else:
                out.emit(aliases[key], start, index)
                if ch == directive:
                    start = index  # chaining: this directive opens the next token
                else:
                    in_alias = False
                    out.copy(ch, index)
        else:
            name.append(ch)
        index += 1
    if out.ends_with(" "):
        out.drop_last_char()
    return out.text(), out.build()


def expand_command_alias(cmd: str, aliases: Mapping[str, str]) -> str:
    """acr-builder ``ExpandCommandAliases`` for one ``cmd``: if its first space-separated token (after
    trimming) is an alias key, replace it (``bash echo`` -> ``mcr.microsoft.com/acr/bash:<tag> echo``).

    Only an exact token matches; when nothing matches the command is returned untouched (not trimmed).
    """
    parts = go_trim_space(cmd).split(" ")
    if parts[0] in aliases:
        parts[0] = aliases[parts[0]]
        return " ".join(parts)
    return cmd
