"""Values-file scalars are typed as yaml.v2 types them (ACR decodes ``--values`` with gopkg.in/yaml.v2 into
``map[string]interface{}``), not as PyYAML's YAML 1.1 resolver does. What a value prints as in
``{{.Values.x}}`` depends on it, e.g. ``1e3`` is the float 1000 in ACR and the text ``1e3`` in PyYAML.
"""

from __future__ import annotations

import pytest

from tasks_engine.errors import DefinitionError
from tasks_engine.templating import load_values
from tasks_engine.templating.gotemplate import render


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("v: 1e3", 1000.0),  # yaml.v2 yamlStyleFloat: exponent without a dot or sign is a float
        ("v: 1.0e3", 1000.0),
        ("v: 1:30", "1:30"),  # no sexagesimal ints in yaml.v2 (PyYAML: 90)
        ("v: 12:30:45", "12:30:45"),
        ("v: 0o17", 15),  # strconv.ParseInt(s, 0, 64) accepts 0o
        ("v: y", True),  # yaml.v2 resolve table has y/Y/n/N
        ("v: N", False),
        ("v: =", "="),  # PyYAML: "could not determine a constructor for the tag ...value"
        ("v: 99999999999999999999", 1e20),  # overflows uint64 -> float
        ("v: !custom text", "text"),  # unknown tags keep the text
        ("v: 0x1F", 31),
        ("v: 010", 8),
        ("v: 1_000", 1000),
        ("v: .5", 0.5),
        ("v: yes", True),
        ("v: ~", None),
        ("v: 2024-01-02", "2024-01-02"),  # timestamps stay text when decoded into interface{}
        ("v: '1e3'", "1e3"),
        ("v: |\n  1e3\n", "1e3\n"),
    ],
)
def test_values_file_scalars_follow_yaml_v2(line: str, expected: object) -> None:
    value = load_values(line, "values.yaml")["v"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("line", "printed"),
    [("v: 1e3", "1000"), ("v: 1:30", "1:30"), ("v: y", "true"), ("v: 99999999999999999999", "1e+20")],
)
def test_values_print_as_go_prints_them(line: str, printed: str) -> None:
    assert render("{{.Values.v}}", {"Values": load_values(line, "values.yaml")}).text == printed


def test_nested_values_are_typed_too() -> None:
    values = load_values("m:\n  a: [1e3, y, '2']\n  b:\n    c: 1:30\n", "values.yaml")
    assert values == {"m": {"a": [1000.0, True, "2"], "b": {"c": "1:30"}}}


def test_anchors_and_merge_keys_still_work() -> None:
    text = "base: &b\n  a: 1\n  b: 2\nother:\n  <<: *b\n  b: 3\n"
    assert load_values(text, "values.yaml")["other"] == {"a": 1, "b": 3}


def test_nested_keys_are_typed_like_yaml_v2_map_keys() -> None:
    """yaml.v2 decodes a nested map into ``map[interface{}]interface{}``, so the key ``y`` is the bool
    true (printed ``true``), while a top-level key is decoded into a Go string and keeps its text."""
    values = load_values("y: top\ncoords:\n  x: 1\n  y: 2\n", "values.yaml")
    assert values == {"y": "top", "coords": {"x": 1, True: 2}}
    # Go orders keys of different types by type (unspecified across types); ours: bools before strings
    assert render("{{.Values.coords}}", {"Values": values}).text == "map[true:2 x:1]"


def test_nested_keys_keep_yaml_types_for_index() -> None:
    """The real file shape: ports keyed by number, looked up with ``index .Values.ports 80`` (ACR)."""
    values = load_values("ports:\n  80: http\n  443: https\nnames:\n  web: 80\n", "values.yaml")
    text = '{{ index .Values.ports 80 }} {{ index .Values.ports (index .Values.names "web") }} {{ .Values.names.web }}'
    assert render(text, {"Values": values}).text == "http http 80"


def test_bad_tagged_scalar_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match=r"values\.yaml"):
        load_values("v: !!int abc\n", "values.yaml")
