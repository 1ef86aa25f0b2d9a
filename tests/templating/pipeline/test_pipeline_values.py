"""Values file loading, --set parsing and ACR's OverrideValues merge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.errors import DefinitionError, UsageError
from tasks_engine.templating.values import load_values, merge_values, parse_set, split_set_argument


def test_load_values_map() -> None:
    text = "a: 1\nb:\n  c: yes\n  d: [1, 2]\n010: x\n"
    assert load_values(text, "v.yaml") == {"a": 1, "b": {"c": True, "d": [1, 2]}, "010": "x"}


def test_load_values_keeps_timestamps_as_text() -> None:
    assert load_values("d: 2020-01-02\nt: 2001-12-14t21:59:43.10-05:00\n", "v.yaml") == {
        "d": "2020-01-02",
        "t": "2001-12-14t21:59:43.10-05:00",
    }


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_load_values_empty_is_ok(text: str) -> None:
    assert load_values(text, "v.yaml") == {}


def test_load_values_not_a_map() -> None:
    with pytest.raises(DefinitionError) as info:
        load_values("- a\n- b\n", "values.yaml")
    problem = info.value.problems[0]
    assert problem.file == "values.yaml"
    assert problem.line == 1
    assert "map" in problem.message


def test_load_values_invalid_yaml_has_position() -> None:
    with pytest.raises(DefinitionError) as info:
        load_values("a: 1\nb: [unclosed\n", "values.yaml")
    problem = info.value.problems[0]
    assert problem.file == "values.yaml"
    assert problem.line >= 2


def test_parse_set_basic() -> None:
    assert parse_set(["a=1", "b=x=y", "c=", "a.b=1", "a=2"]) == {"a": "2", "b": "x=y", "c": "", "a.b": "1"}


def test_parse_set_values_are_strings() -> None:
    assert parse_set(["t=600", "f=true", "n=null"]) == {"t": "600", "f": "true", "n": "null"}


def test_parse_set_no_equals() -> None:
    with pytest.raises(UsageError, match="no = assignment found"):
        parse_set(["novalue"])


def test_parse_set_empty_key() -> None:
    with pytest.raises(UsageError, match="expected a key=val format"):
        parse_set(["=v"])


def test_parse_set_keeps_commas_by_default() -> None:
    # az acr run --set and acb exec --set (urfave/cli v1) both keep the comma.
    assert parse_set(["platforms=linux/amd64,linux/arm64"]) == {"platforms": "linux/amd64,linux/arm64"}


def test_parse_set_comma_form() -> None:
    assert parse_set(["k1=v1,k2=v2", "k3=v3"], split_commas=True) == {"k1": "v1", "k2": "v2", "k3": "v3"}


@pytest.mark.parametrize(
    ("argument", "fields"),
    [
        ("a=1,b=2", ["a=1", "b=2"]),
        ('"a=1,2",b=3', ["a=1,2", "b=3"]),
        ('"a=say ""hi"""', ['a=say "hi"']),
        ("a=1,", ["a=1", ""]),
        ("", []),
        ('"multi\nline"', ["multi\nline"]),
    ],
)
def test_split_set_argument_like_pflag_csv(argument: str, fields: list[str]) -> None:
    assert split_set_argument(argument) == fields


@pytest.mark.parametrize("argument", ['a="x"', '"open', '"a"b', "a\nb=1"])
def test_split_set_argument_errors(argument: str) -> None:
    with pytest.raises(UsageError):
        split_set_argument(argument)


def test_split_commas_empty_field_is_an_error() -> None:
    with pytest.raises(UsageError, match="no = assignment"):
        parse_set(["a=1,"], split_commas=True)


def test_merge_set_wins_at_top_level() -> None:
    assert merge_values({"a": "file", "b": "file"}, {"a": "set"}) == {"a": "set", "b": "file"}


def test_merge_nested_file_values_survive_a_string_set() -> None:
    file_values = {"img": {"name": "x", "tag": "1"}}
    assert merge_values(file_values, {"other": "1"}) == {"other": "1", "img": {"name": "x", "tag": "1"}}
    # a --set string for a map key wins (ACR keeps the --set value: it is not nil and not a map)
    assert merge_values(file_values, {"img": "flat"}) == {"img": "flat"}


def test_merge_nil_set_value_deletes_the_key() -> None:
    assert merge_values({"a": 1, "b": 2}, {"a": None}) == {"b": 2}


def test_merge_both_maps_file_wins_for_nested_scalars() -> None:
    merged = merge_values(
        {"m": {"x": "file", "n": {"deep": "file"}, "only_file": 1}},
        {"m": {"x": "set", "n": {"deep": "set", "keep": "set"}, "only_set": 2}},
    )
    assert merged == {
        "m": {"x": "file", "n": {"deep": "file", "keep": "set"}, "only_file": 1, "only_set": 2}
    }


def test_merge_map_never_replaced_by_scalar_in_nested_merge() -> None:
    merged = merge_values({"m": {"a": "scalar", "b": {"c": 1}}}, {"m": {"a": {"keep": 1}, "b": "s"}})
    assert merged == {"m": {"a": {"keep": 1}, "b": "s"}}


def test_merge_does_not_mutate_inputs() -> None:
    file_values = {"m": {"x": 1}}
    set_values = {"m": {"y": 2}}
    merge_values(file_values, set_values)
    assert file_values == {"m": {"x": 1}}
    assert set_values == {"m": {"y": 2}}


def test_merge_empty() -> None:
    assert merge_values({}, {}) == {}
    assert merge_values({"a": 1}, {}) == {"a": 1}
    assert merge_values({}, {"a": "1"}) == {"a": "1"}


YAMLISH = st.lists(
    st.sampled_from(["a", ":", " ", "\n", "- ", "[", "]", "{", "}", "'", '"', "#", "&x", "*x", "<<", "!!", "1", "\t"]),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(YAMLISH, st.text(max_size=60)))
def test_load_values_returns_a_map_or_definition_error(text: str) -> None:
    try:
        result = load_values(text, "v.yaml")
    except DefinitionError as exc:
        assert exc.problems[0].file == "v.yaml"
        return
    assert isinstance(result, dict)
    assert all(isinstance(key, str) for key in result)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list('ab=,"\n ')), max_size=12), max_size=4), st.booleans())
def test_parse_set_returns_strings_or_usage_error(pairs: list[str], split: bool) -> None:
    try:
        result = parse_set(pairs, split_commas=split)
    except UsageError as exc:
        assert str(exc)
        return
    assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in result.items())
