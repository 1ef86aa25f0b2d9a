"""Values: the ``--values`` file, ``--set`` pairs, and ACR's merge of the two (``OverrideValues``).

Kept ACR quirks: ``--set`` values are always strings, keys are flat (``a.b`` is one key), and a ``null``
``--set`` value deletes the key from the file's values. The values file is parsed with PyYAML but its
scalars are typed by yaml.v2's rules (``templating.yamlv2``), as ACR decodes it with yaml.v2: ``y`` is
true, ``1e3`` is the float 1000, ``1:30`` stays text (PyYAML would give the sexagesimal int 90).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from tasks_engine.errors import DefinitionError, Problem, Severity, UsageError
from tasks_engine.templating.gotemplate.values import InterfaceMap
from tasks_engine.templating.yamlv2 import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    NULL,
    TIMESTAMP,
    ResolveFailure,
    resolve_node,
)

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _ValuesLoader(yaml.SafeLoader):
    """SafeLoader for composing only: implicit tags stay empty (so a non-empty tag is an explicit one, as
    ``yamlv2.resolve_node`` expects) except ``<<``, which ``flatten_mapping`` must still see as a merge key.
    Nodes are turned into values by ``_to_value``."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value == "<<":
            return _MERGE_TAG
        return ""


_MAX_DEPTH = 200


def _to_value(loader: yaml.SafeLoader, node: yaml.Node, depth: int = 0) -> object:
    """What yaml.v2 puts in an ``interface{}``: maps, lists and yaml.v2-typed scalars (timestamps stay text,
    unknown tags keep the text). Raises ``ValueError`` for what yaml.v2 rejects (``!!int abc``) and for
    nesting too deep to be a real values file (e.g. a recursive alias)."""
    if depth > _MAX_DEPTH:
        raise ValueError("values nested too deeply (recursive alias?)")
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # "<<" merge keys, as yaml.v2 supports them
        # yaml.v2 decodes a nested map into map[interface{}]interface{}: keys keep their YAML types.
        return InterfaceMap(
            (_typed_key(_to_value(loader, key, depth + 1)), _to_value(loader, value, depth + 1))
            for key, value in node.value
        )
    if isinstance(node, yaml.SequenceNode):
        return [_to_value(loader, item, depth + 1) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    try:
        scalar = resolve_node(node)
    except ResolveFailure as exc:
        raise ValueError(str(exc)) from exc
    if scalar.tag in (TIMESTAMP, BINARY):
        return scalar.text if scalar.tag == TIMESTAMP else scalar.value
    if scalar.tag in (NULL, BOOL, INT, FLOAT):
        return scalar.value
    return scalar.text


def _yaml_problem(exc: yaml.YAMLError, filename: str, prefix: str) -> Problem:
    line = column = 0
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    detail = str(getattr(exc, "problem", None) or exc).strip()
    return Problem(Severity.ERROR, f"{prefix}: {detail}", line=line, column=column, file=filename)


def _is_null(node: yaml.ScalarNode) -> bool:
    try:
        return resolve_node(node).is_null
    except ResolveFailure:
        return False


def _key_text(node: yaml.Node) -> str:
    """yaml.v2 decodes a top-level key into a Go ``string``: the key's raw text (``010`` stays ``010``)."""
    if isinstance(node, yaml.ScalarNode):
        return "" if _is_null(node) else str(node.value)
    raise DefinitionError(
        [
            Problem(
                Severity.ERROR,
                "values file keys must be plain names, not lists or maps",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        ]
    )


def load_values(text: str, filename: str) -> dict[str, Any]:
    """Parses a values file: a YAML map (an empty or comment-only file gives ``{}``).

    Raises ``DefinitionError`` with the file's line/column for invalid YAML or a non-map document.
    """
    try:
        loader = _ValuesLoader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        raise DefinitionError([_yaml_problem(exc, filename, "invalid values file")]) from exc
    try:
        node = loader.get_single_node()
        if node is None or (isinstance(node, yaml.ScalarNode) and _is_null(node)):
            return {}
        if not isinstance(node, yaml.MappingNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "single value"
            raise DefinitionError(
                [
                    Problem(
                        Severity.ERROR,
                        f"values file must be a YAML map of names to values, not a {kind}",
                        line=node.start_mark.line + 1,
                        column=node.start_mark.column + 1,
                        file=filename,
                    )
                ]
            )
        loader.flatten_mapping(node)  # "<<" merge keys, as yaml.v2 supports them
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            try:
                key = _key_text(key_node)
            except DefinitionError as exc:
                raise DefinitionError([dataclasses.replace(p, file=filename) for p in exc.problems]) from exc
            result[key] = _to_value(loader, value_node)
        return result
    except yaml.YAMLError as exc:
        raise DefinitionError([_yaml_problem(exc, filename, "invalid values file")]) from exc
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:  # scalars PyYAML cannot build
        raise DefinitionError(
            [Problem(Severity.ERROR, f"invalid values file: {exc}", file=filename)]
        ) from exc
    finally:
        loader.dispose()


def _typed_key(key: object) -> object:
    """A nested map key as yaml.v2 keeps it; lists and maps (unhashable here, rare in Go) become text."""
    if isinstance(key, list | dict):
        return str(key)
    return key


def split_set_argument(argument: str) -> list[str]:
    """Splits one ``--set`` argument at commas the way pflag's ``StringSlice`` does (a CSV record).

    Fields may be double-quoted to hold commas (``"k=a,b"``); ``""`` inside quotes is a quote. A bare
    ``"`` inside an unquoted field, an unterminated quote, or text after a closing quote is an error, as in
    Go's ``encoding/csv``. Unlike pflag we refuse a newline outside quotes instead of silently dropping
    everything after it.
    """
    if argument == "":
        return []
    fields: list[str] = []
    i, n = 0, len(argument)
    while True:
        if i < n and argument[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise UsageError(f"invalid --set argument {argument!r}: missing closing '\"'")
                ch = argument[i]
                if ch == '"':
                    if i + 1 < n and argument[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(ch)
                i += 1
            fields.append("".join(buf))
            if i < n and argument[i] not in ",":
                raise UsageError(f"invalid --set argument {argument!r}: text after a closing '\"'")
        else:
            end = argument.find(",", i)
            end = n if end < 0 else end
            field = argument[i:end]
            if '"' in field:
                raise UsageError(f"invalid --set argument {argument!r}: '\"' inside an unquoted field")
            if "\n" in field or "\r" in field:
                raise UsageError(
                    f"invalid --set argument {argument!r}: a newline must be inside double quotes"
                )
            fields.append(field)
            i = end
        if i >= n:
            return fields
        i += 1  # the comma
        if i == n:
            fields.append("")
            return fields


def parse_set(pairs: Sequence[str], *, split_commas: bool = False) -> dict[str, str]:
    """Turns ``key=value`` pairs into a flat map of strings (later pairs win), as acb's ``parseValues``.

    ``split_commas`` additionally splits each argument like pflag's ``StringSlice``
    (``k1=v1,k2=v2``). It is off by default because neither ``az acr run --set`` (one ``SetValue`` per
    flag) nor ``acb exec --set`` (urfave/cli v1 ``StringSlice`` appends verbatim) splits, so
    ``--set platforms=linux/amd64,linux/arm64`` keeps its comma in ACR.
    """
    result: dict[str, str] = {}
    items: list[str] = []
    for pair in pairs:
        items.extend(split_set_argument(pair) if split_commas else [pair])
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(
                f"failed to parse --set data; invalid format, no = assignment found in {item!r}"
            )
        if key == "":
            raise UsageError(f"failed to parse --set data; expected a key=val format, got {item!r}")
        result[key] = value
    return result


def _merge_maps(sink: dict[str, Any], source: Mapping[str, Any]) -> None:
    """acr-builder ``mergeMaps``: source wins for scalars; a map is never replaced by a scalar or back."""
    for key, value in source.items():
        if isinstance(value, Mapping):
            if key not in sink:
                sink[key] = copy.deepcopy(value) if isinstance(value, dict) else dict(value)
            elif isinstance(sink[key], dict):
                _merge_maps(sink[key], value)
            # else: ACR logs "Can't override a map with a scalar" and skips.
        elif isinstance(sink.get(key), dict):
            continue  # ACR: "is a map but ... is not" -> skipped
        else:
            sink[key] = copy.deepcopy(value)


def merge_values(
    file_values: Mapping[str, Any], set_values: Mapping[str, Any]
) -> dict[str, Any]:
    """ACR ``OverrideValues(valuesFile, setValues)``: start from ``--set``, then walk the file's keys.

    * key absent from ``--set`` -> copied from the file;
    * ``--set`` value is ``None`` -> the key is deleted (lets a caller drop a file value);
    * both are maps -> merged, the *file* winning for nested scalars (ACR's comment: "the to-be-merged
      value has precedence");
    * otherwise the ``--set`` value stays.
    """
    merged: dict[str, Any] = copy.deepcopy(dict(set_values))
    for key, value in file_values.items():
        if key in merged:
            current = merged[key]
            if current is None:
                del merged[key]
            elif isinstance(current, dict) and isinstance(value, Mapping):
                _merge_maps(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
