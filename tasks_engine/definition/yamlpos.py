"""YAML text -> PyYAML node tree that keeps every value's source position.

We stop at *composition* (no construction): PyYAML's own typing is YAML 1.1 but not quite yaml.v2's, so the
typing is done later against the schema with yaml.v2's rules (``yamlv2.py``). To keep the nodes untyped, the
loader's resolver returns an empty tag; a non-empty ``node.tag`` therefore always means an explicit tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tasks_engine.errors import Problem, Severity

MERGE_TAG = "tag:yaml.org,2002:merge"


class _UntypedLoader(yaml.SafeLoader):
    """A SafeLoader whose resolver leaves implicit tags empty (we only ever compose with it)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return ""


def position(node: Node) -> tuple[int, int]:
    """1-based (line, column) where ``node`` starts."""
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _yaml_error_problem(exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = _one_line(exc.problem or exc.context or "invalid YAML")
        if exc.context and exc.problem:
            ctx = _one_line(exc.context)
            if exc.context_mark is not None and exc.context_mark is not exc.problem_mark:
                ctx += f" at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
            message += f" ({ctx})"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return Problem(Severity.ERROR, f"YAML syntax error: {message}", line, column)
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _offset_position(text, exc.position) if isinstance(exc.position, int) else (0, 0)
        message = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        if isinstance(exc.character, bytes | bytearray):
            message = f"invalid {exc.encoding} byte: {exc.reason}"
        return Problem(Severity.ERROR, f"YAML syntax error: {message}", line, column)
    return Problem(Severity.ERROR, f"YAML syntax error: {_one_line(str(exc))}")


@dataclass
class ComposedYaml:
    """The first document's root node (``None`` for an empty document) and any problems found."""

    root: Node | None
    problems: list[Problem] = field(default_factory=list)


def compose(text: str) -> ComposedYaml:
    """Parse ``text`` into nodes; syntax errors become problems, never exceptions.

    Like yaml.v2's ``Unmarshal`` only the first document counts; a second one gets a warning.
    """
    try:
        loader = _UntypedLoader(text)
    except yaml.YAMLError as exc:
        return ComposedYaml(None, [_yaml_error_problem(exc, text)])
    try:
        try:
            root = loader.get_node() if loader.check_node() else None
        except yaml.YAMLError as exc:
            return ComposedYaml(None, [_yaml_error_problem(exc, text)])
        except RecursionError:
            return ComposedYaml(None, [Problem(Severity.ERROR, "YAML nesting is too deep")])
        problems: list[Problem] = []
        try:
            more = loader.check_node()
        except (yaml.YAMLError, RecursionError):
            more = True
        if more:
            event = _peek(loader)
            line, column = (event.start_mark.line + 1, 1) if event is not None else (0, 0)
            problems.append(
                Problem(
                    Severity.WARNING,
                    "only the first YAML document is used (as ACR does); the rest of the file is ignored",
                    line,
                    column,
                )
            )
        return ComposedYaml(root, problems)
    finally:
        loader.dispose()


def _peek(loader: _UntypedLoader) -> Any:
    try:
        return loader.peek_event()  # type: ignore[no-untyped-call]
    except (yaml.YAMLError, RecursionError):
        return None


def is_merge_key(node: Node) -> bool:
    """yaml.v2 ``isMerge``: a plain ``<<`` key, or one explicitly tagged ``!!merge``."""
    if not isinstance(node, ScalarNode) or node.value != "<<":
        return False
    return (node.tag == "" and node.style is None) or node.tag == MERGE_TAG


@dataclass
class MappingEntries:
    """A mapping's key/value pairs in decode order, merges (``<<``) expanded in place as yaml.v2 does."""

    entries: list[tuple[Node, Node]]
    problems: list[Problem] = field(default_factory=list)


def mapping_entries(node: MappingNode, path: str, describe: Callable[[str, str], str]) -> MappingEntries:
    """Expand ``<<`` merges and warn about duplicate keys (the last one wins, as in yaml.v2).

    ``describe(path, key)`` renders the child path for a key, so messages use the caller's path syntax.
    """
    result = MappingEntries([])
    seen: dict[str, Node] = {}
    for key, value in node.value:
        if is_merge_key(key):
            result.entries.extend(_merged(value, result.problems, depth=0))
            continue
        if isinstance(key, ScalarNode):
            earlier = seen.get(key.value)
            if earlier is not None:
                line, column = position(key)
                result.problems.append(
                    Problem(
                        Severity.WARNING,
                        f'duplicate key "{key.value}": the value at line {position(earlier)[0]} is ignored '
                        "and the last one wins (as in ACR)",
                        line,
                        column,
                        describe(path, key.value),
                    )
                )
            seen[key.value] = key
        result.entries.append((key, value))
    return result


def _merged(value: Node, problems: list[Problem], *, depth: int) -> list[tuple[Node, Node]]:
    """Entries a ``<<`` value contributes: a mapping, or a sequence of mappings (later ones lose)."""
    if depth > 32:
        return []
    if isinstance(value, MappingNode):
        out: list[tuple[Node, Node]] = []
        for key, sub in value.value:
            if is_merge_key(key):
                out.extend(_merged(sub, problems, depth=depth + 1))
            else:
                out.append((key, sub))
        return out
    if isinstance(value, SequenceNode) and all(isinstance(item, MappingNode) for item in value.value):
        out = []
        for item in reversed(value.value):
            out.extend(_merged(item, problems, depth=depth + 1))
        return out
    line, column = position(value)
    problems.append(Problem(Severity.ERROR, "map merge requires map or sequence of maps as the value", line, column))
    return []


__all__ = [
    "ComposedYaml",
    "MappingEntries",
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "compose",
    "is_merge_key",
    "mapping_entries",
    "position",
]
