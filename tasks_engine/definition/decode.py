"""Schema-driven decoding of the node tree into plain, correctly typed data (yaml.v2 semantics).

The JSON Schema says which Go type each property has (``string``, ``integer``, ``boolean``, array, object);
this module applies yaml.v2's conversion rules for that type, so the schema is the single list of properties.
Unknown keys are not decoded (yaml.v2 ignores them) but recorded, so ``suggest.py`` can warn about typos.
Null values are dropped: in Go they leave the zero value, which means "absent" for every task property.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.definition import yamlv2
from tasks_engine.definition.yamlpos import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    mapping_entries,
    position,
)
from tasks_engine.errors import Problem, Severity

#: Go type names of the schema's object definitions, for yaml.v2-style messages.
GO_TYPES = {
    "": "graph.Task",
    "step": "graph.Step",
    "secret": "secretmgmt.Secret",
    "network": "graph.Network",
    "volume": "volume.Volume",
    "volumeMount": "volume.Mount",
    "alias": "graph.Alias",
}

#: (object definition, property) pairs whose content is not decoded: ACR never decodes them into the task.
OPAQUE = {("", "alias"), ("step", "secret")}

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def child_path(path: str, key: str) -> str:
    """``steps[0]`` + ``cmd`` -> ``steps[0].cmd``; odd keys are quoted: ``secret["a.pem"]``."""
    part = key if _IDENT.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"
    if part.startswith("["):
        return path + part
    return f"{path}.{part}" if path else part


def index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


@dataclass(frozen=True)
class UnknownKey:
    """A key the schema does not know, with where it is and what the parent object does know."""

    parent_path: str
    key: str
    line: int
    column: int
    known: tuple[str, ...]
    parent_def: str


@dataclass
class Decoded:
    instance: Any
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    unknown: list[UnknownKey] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Paths whose value had a type error (left out of ``instance``), so lint does not also call them missing.
    failed: set[str] = field(default_factory=set)


class _Absent:
    """Marker for "leave the field out" (a null or a value that failed to decode)."""


ABSENT = _Absent()


class Decoder:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self.out = Decoded(None)

    # -- schema helpers -------------------------------------------------------------------------------------
    def _deref(self, sub: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
        ref = sub.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/") :]
            target: Mapping[str, Any] = self._schema["$defs"][name]
            return target, name
        return sub, ""

    @staticmethod
    def _types(sub: Mapping[str, Any]) -> list[str]:
        raw = sub.get("type", [])
        return [raw] if isinstance(raw, str) else list(raw)

    def _go_type(self, sub: Mapping[str, Any], def_name: str | None) -> str:
        types = self._types(sub)
        if "object" in types:
            if def_name is not None and def_name in GO_TYPES:
                return GO_TYPES[def_name]
            return "map[string]string"
        if "array" in types:
            items, name = self._deref(sub.get("items", {}))
            inner = self._go_type(items, name or None)
            return "[]" + ("*" + inner if name else inner)
        if "string" in types:
            return "string"
        if "integer" in types:
            return "int"
        if "boolean" in types:
            return "bool"
        return "interface {}"

    # -- problems -------------------------------------------------------------------------------------------
    def _problem(self, node: Node, message: str, path: str, severity: Severity = Severity.ERROR) -> None:
        if severity is Severity.ERROR:
            self.out.failed.add(path)
        line, column = position(node)
        self.out.problems.append(Problem(severity, message, line, column, path))

    def _type_error(self, node: Node, go_type: str, path: str, scalar: yamlv2.Scalar | None = None) -> None:
        if isinstance(node, SequenceNode):
            message = yamlv2.type_error("!!seq", None, go_type)
        elif isinstance(node, MappingNode):
            message = yamlv2.type_error("!!map", None, go_type)
        else:
            assert scalar is not None
            tag = yamlv2.short_tag(node.tag) if node.tag else scalar.tag
            message = yamlv2.type_error(tag, scalar.text, go_type)
            quoted = isinstance(node, ScalarNode) and node.style in ("'", '"')
            if scalar.tag == yamlv2.STR and go_type in ("int", "bool") and quoted:
                message += "; remove the quotes"
        self._problem(node, message, path)

    # -- decoding -------------------------------------------------------------------------------------------
    def decode_root(self, node: Node | None) -> Decoded:
        self.out.instance = {}
        if node is not None:
            value = self.decode(node, self._schema, "", def_name="")
            self.out.instance = value if isinstance(value, dict) else {}
        return self.out

    def decode(self, node: Node, sub: Mapping[str, Any], path: str, *, def_name: str | None = None) -> Any:
        sub, name = self._deref(sub)
        if name:
            def_name = name
        self.out.positions[path] = position(node)
        scalar: yamlv2.Scalar | None = None
        if isinstance(node, ScalarNode):
            try:
                scalar = yamlv2.resolve_node(node)
            except yamlv2.ResolveFailure as exc:
                self._problem(node, str(exc), path)
                return ABSENT
            if scalar.is_null:
                return ABSENT
        types = self._types(sub)
        go_type = self._go_type(sub, def_name)
        if "object" in types:
            if not isinstance(node, MappingNode):
                self._type_error(node, go_type, path, scalar)
                return ABSENT
            if "properties" in sub:
                return self._struct(node, sub, path, def_name or "")
            return self._string_map(node, sub, path)
        if "array" in types:
            if not isinstance(node, SequenceNode):
                self._type_error(node, go_type, path, scalar)
                return ABSENT
            return self._list(node, sub, path)
        if scalar is None:
            self._type_error(node, go_type, path)
            return ABSENT
        if "string" in types:
            return yamlv2.to_go_string(scalar)
        if "integer" in types:
            number, truncated = yamlv2.to_go_int(scalar)
            if number is None:
                self._type_error(node, go_type, path, scalar)
                return ABSENT
            if truncated:
                self._problem(
                    node,
                    f"{scalar.text} is not a whole number; it is truncated to {number} (as ACR does)",
                    path,
                    Severity.WARNING,
                )
            return number
        if "boolean" in types:
            flag = yamlv2.to_go_bool(scalar)
            if flag is None:
                self._type_error(node, go_type, path, scalar)
                return ABSENT
            return flag
        return ABSENT

    def _key_text(self, key: Node, path: str) -> str | None:
        if not isinstance(key, ScalarNode):
            self._problem(key, "a mapping key must be a plain value, not a list or a mapping", path)
            return None
        try:
            scalar = yamlv2.resolve_node(key)
        except yamlv2.ResolveFailure as exc:
            self._problem(key, str(exc), path)
            return None
        return "" if scalar.is_null else yamlv2.to_go_string(scalar)

    def _struct(self, node: MappingNode, sub: Mapping[str, Any], path: str, def_name: str) -> dict[str, Any]:
        props: Mapping[str, Any] = sub["properties"]
        merged = mapping_entries(node, path, child_path)
        self.out.problems.extend(merged.problems)
        result: dict[str, Any] = {}
        for key_node, value_node in merged.entries:
            key = self._key_text(key_node, path)
            if key is None:
                continue
            target = child_path(path, key)
            self.out.key_positions[target] = position(key_node)
            if key not in props:
                line, column = position(key_node)
                self.out.unknown.append(UnknownKey(path, key, line, column, tuple(props), def_name))
                continue
            if (def_name, key) in OPAQUE:
                result[key] = _opaque(value_node, target, self.out.positions, [10_000])
                continue
            value = self.decode(value_node, props[key], target)
            if value is ABSENT:
                result.pop(key, None)
            else:
                result[key] = value
        return result

    def _string_map(self, node: MappingNode, sub: Mapping[str, Any], path: str) -> dict[str, Any]:
        item_schema = sub.get("additionalProperties", {})
        if not isinstance(item_schema, Mapping):
            item_schema = {}
        merged = mapping_entries(node, path, child_path)
        self.out.problems.extend(merged.problems)
        result: dict[str, Any] = {}
        for key_node, value_node in merged.entries:
            key = self._key_text(key_node, path)
            if key is None:
                continue
            target = child_path(path, key)
            self.out.key_positions[target] = position(key_node)
            value = self.decode(value_node, item_schema, target)
            # A null value in a Go map still creates the key with the zero value.
            result[key] = "" if value is ABSENT else value
        return result

    def _list(self, node: SequenceNode, sub: Mapping[str, Any], path: str) -> list[Any]:
        """Elements keep their YAML index; one that fails to decode becomes ``None`` (its error is logged)."""
        items: Mapping[str, Any] = sub.get("items", {})
        target_items, name = self._deref(items)
        result: list[Any] = []
        for index, item in enumerate(node.value):
            value = self.decode(item, items, index_path(path, index))
            if value is ABSENT:
                # yaml.v2 stores the zero value for a null element.
                value = ({} if name else _zero(target_items)) if _is_null(item) else None
            result.append(value)
        return result


def _is_null(node: Node) -> bool:
    if not isinstance(node, ScalarNode):
        return False
    try:
        return yamlv2.resolve_node(node).is_null
    except yamlv2.ResolveFailure:
        return False


def _zero(sub: Mapping[str, Any]) -> Any:
    raw = sub.get("type", [])
    types = [raw] if isinstance(raw, str) else list(raw)
    if "string" in types:
        return ""
    if "integer" in types:
        return 0
    if "boolean" in types:
        return False
    return {}


def _opaque(node: Node, path: str, positions: dict[str, tuple[int, int]], budget: list[int]) -> Any:
    """A plain rendering of a node we do not decode, with a node budget so anchors cannot blow it up."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    positions.setdefault(path, position(node))
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SequenceNode):
        return [_opaque(item, index_path(path, i), positions, budget) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                out[key.value] = _opaque(value, child_path(path, key.value), positions, budget)
        return out
    return None


def decode_task(root: Node | None, schema: Mapping[str, Any]) -> Decoded:
    return Decoder(schema).decode_root(root)
