"""Reading YAML the way acr-builder's yaml.v2 decodes it into ``map[string]string`` / ``[]string``.

yaml.v2 puts a scalar's *raw text* into a Go string (``010`` stays ``"010"``, ``yes`` stays ``"yes"``), so
alias values must come from the YAML node text, not from PyYAML's typed constructors. Working on nodes
also gives us each key's position for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

_NULL_TAG = "tag:yaml.org,2002:null"


class YamlShapeError(Exception):
    """The YAML parsed but does not have the expected shape; ``offset`` points into the parsed text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Entry:
    """One ``key: value`` of a string map, with the offset of its key in the parsed text."""

    key: str
    value: str
    offset: int


def compose(text: str) -> yaml.Node | None:
    """Parses one YAML document into nodes; raises ``YamlShapeError`` (with position) on invalid YAML."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        raise YamlShapeError(f"invalid YAML: {detail}", mark.index if mark else 0) from exc
    except yaml.YAMLError as exc:
        raise YamlShapeError(f"invalid YAML: {exc}", getattr(exc, "position", 0) or 0) from exc
    except RecursionError as exc:
        raise YamlShapeError("invalid YAML: nested too deeply", 0) from exc


def scalar_text(node: yaml.Node, what: str) -> str:
    """The Go-string value of a scalar node: raw text, ``""`` for a plain null."""
    if not isinstance(node, yaml.ScalarNode):
        kind = "list" if isinstance(node, yaml.SequenceNode) else "map"
        raise YamlShapeError(f"{what} must be a string, not a {kind}", node.start_mark.index)
    if node.tag == _NULL_TAG and not node.style:
        return ""
    return str(node.value)


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (
        isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and not node.style
    )


def string_map(node: yaml.Node | None, what: str) -> list[Entry]:
    """A ``map[string]string``: entries in file order (a later duplicate key wins when turned into a dict)."""
    if is_null(node):
        return []
    assert node is not None
    if not isinstance(node, yaml.MappingNode):
        raise YamlShapeError(f"{what} must be a map of names to strings", node.start_mark.index)
    entries = []
    for key_node, value_node in node.value:
        key = scalar_text(key_node, f"a key in {what}")
        value = scalar_text(value_node, f"{what} value {key!r}")
        entries.append(Entry(key, value, key_node.start_mark.index))
    return entries


def string_list(node: yaml.Node | None, what: str) -> list[Entry]:
    """A ``[]string``; each entry's ``key`` is its index as text."""
    if is_null(node):
        return []
    assert node is not None
    if not isinstance(node, yaml.SequenceNode):
        raise YamlShapeError(f"{what} must be a list", node.start_mark.index)
    return [
        Entry(str(i), scalar_text(item, f"{what}[{i}]"), item.start_mark.index)
        for i, item in enumerate(node.value)
    ]


def mapping_items(node: yaml.Node | None, what: str) -> dict[str, tuple[yaml.Node, int]]:
    """A map's values by key text (last duplicate wins), each with its key's offset."""
    if is_null(node):
        return {}
    assert node is not None
    if not isinstance(node, yaml.MappingNode):
        raise YamlShapeError(f"{what} must be a map", node.start_mark.index)
    items: dict[str, tuple[yaml.Node, int]] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            items[str(key_node.value)] = (value_node, key_node.start_mark.index)
    return items
