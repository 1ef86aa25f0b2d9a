"""List and dict functions: expectations from Sprig v2.22's list_test.go and dict_test.go."""

from __future__ import annotations

import pytest
from sprig_helpers import call

from tasks_engine.templating.gotemplate.gofmt import format_value


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("list", (1, "a", "foo"), [1, "a", "foo"]),
        ("tuple", (1, "a"), [1, "a"]),
        ("append", ([1, 2, 3, 4], 5), [1, 2, 3, 4, 5]),
        ("push", (["foo", "bar"], "qux"), ["foo", "bar", "qux"]),
        ("prepend", ([1, 2, 3, 4], 0), [0, 1, 2, 3, 4]),
        ("first", ([1, 2, 3],), 1),
        ("first", ([],), None),
        ("last", ([1, 2, 3],), 3),
        ("last", ([],), None),
        ("initial", ([1, 2, 3],), [1, 2]),
        ("initial", ([],), []),
        ("rest", ([1, 2, 3],), [2, 3]),
        ("rest", ([],), []),
        ("reverse", ([1, 2, 3, 4],), [4, 3, 2, 1]),
        ("reverse", ([],), []),
        ("compact", ([1, 0, "", "hello"],), [1, "hello"]),
        ("compact", (["", ""],), []),
        ("uniq", ([1, 1, 1, 1, 2, 2, 2, 2],), [1, 2]),
        ("uniq", (["foo", 1, 1, 1, 1, "foo", "foo"],), ["foo", 1]),
        ("uniq", ([1, 1.0, True],), [1, 1.0, True]),  # reflect.DeepEqual: types differ
        ("without", ([1, 2, 3, 4], 1), [2, 3, 4]),
        ("without", ([1, 1, 1, 1, 2], 1), [2]),
        ("without", ([1, 2, 3],), [1, 2, 3]),
        ("has", (1, [1, 2, 3]), True),
        ("has", (4, [1, 2, 3]), False),
        ("has", ("1", [1, 2, 3]), False),
        ("has", (1, None), False),
        ("concat", ([1, 2], [3], []), [1, 2, 3]),
        ("slice", ([1, 2, 3, 4, 5], 1, 3), [2, 3]),
        ("slice", ([1, 2, 3, 4, 5], 3), [4, 5]),
        ("sortAlpha", (["c", "a", "b"],), ["a", "b", "c"]),
        ("sortAlpha", ([2, 1, 4, 3],), ["1", "2", "3", "4"]),
        ("sortAlpha", ("solo",), ["solo"]),
        ("join", ("-", ["a", "b", "c"]), "a-b-c"),
        ("join", ("-", [1, 2, 3]), "1-2-3"),
        ("join", ("-", "abc"), "abc"),
        ("join", ("-", ["1", None, "2"]), "1-2"),
        ("join", ("-", None), ""),
        ("toStrings", ([1, None, 2],), ["1", "2"]),
        ("until", (5,), [0, 1, 2, 3, 4]),
        ("until", (-5,), [0, -1, -2, -3, -4]),
        ("untilStep", (0, 5, 1), [0, 1, 2, 3, 4]),
        ("untilStep", (3, 6, 1), [3, 4, 5]),
        ("untilStep", (0, -10, -2), [0, -2, -4, -6, -8]),
        ("untilStep", (3, 0, 1), []),
        ("untilStep", (3, 99, 0), []),
        ("untilStep", (3, 99, -1), []),
        ("untilStep", (3, 0, 0), []),
        ("seq", (0,), "1 0"),
        ("seq", (5,), "1 2 3 4 5"),
        ("seq", (-3,), "1 0 -1 -2 -3"),
        ("seq", (2, 5), "2 3 4 5"),
        ("seq", (5, 2), "5 4 3 2"),
        ("seq", (0, 2, 10), "0 2 4 6 8 10"),
        ("seq", (10, -2, 0), "10 8 6 4 2 0"),
        ("seq", (10, 2, 0), ""),
        ("seq", (), ""),
    ],
)
def test_list_table(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_list_functions_do_not_modify_their_input() -> None:
    src = [1, 2, 3]
    call("append", src, 4)
    call("reverse", src)
    assert src == [1, 2, 3]


def test_non_lists_are_go_panics() -> None:
    with pytest.raises(ValueError, match="Cannot push on type string"):
        call("append", "abc", 1)
    with pytest.raises(ValueError, match="Cannot find first on type map"):
        call("first", {})
    with pytest.raises(ValueError, match="nil pointer dereference"):
        call("rest", None)
    with pytest.raises(ValueError, match="Cannot concat type int as list"):
        call("concat", [1], 2)


def test_ranges_are_capped() -> None:
    with pytest.raises(ValueError, match="too large"):
        call("until", 10**9)
    with pytest.raises(ValueError, match="too large"):
        call("seq", 1, 10**12)


def test_dict_and_accessors() -> None:
    d = call("dict", 1, 2, "three", "four", 5)
    assert d == {"1": 2, "three": "four", "5": ""}
    assert call("get", d, "three") == "four"
    assert call("get", d, "nope") == ""
    assert call("hasKey", d, "1") is True
    assert call("hasKey", None, "1") is False
    assert call("keys", {"foo": 1, "bar": 2}) == ["foo", "bar"]
    assert call("keys") == []
    assert call("values", {"a": 1}) == [1]


def test_set_and_unset_mutate_like_go_maps() -> None:
    d: dict[str, object] = {"one": 1, "two": 222222}
    assert call("set", d, "two", 2) is d
    call("set", d, "three", 3)
    call("unset", d, "one")
    assert d == {"two": 2, "three": 3}
    with pytest.raises(ValueError, match="nil map"):
        call("set", None, "k", "v")


def test_pluck_pick_omit() -> None:
    ds = [{"one": 1, "two": 222222}, {"one": 1, "two": 33333}, {"one": 1}, {"one": 1, "two": 4444}]
    assert format_value(call("pluck", "two", *ds)) == "[222222 33333 4444]"
    assert format_value(call("pick", {"one": 1, "two": 222222}, "two")) == "map[two:222222]"
    assert call("pick", {"one": 1, "two": 2}, "one", "two", "three") == {"one": 1, "two": 2}
    assert format_value(call("omit", {"one": 1, "two": 222222}, "one")) == "map[two:222222]"


def test_merge_follows_mergo() -> None:
    dst = {"a": "one", "c": 3, "d": {"f": 5}, "g": [8, 9], "i": "eye", "k": ""}
    src1 = {"a": 1, "b": 2, "d": {"e": "four"}, "g": [6, 7], "i": "aye", "j": "jay", "k": "filled"}
    src2 = {"h": 10, "i": "i", "j": "j"}
    out = call("merge", dst, src1, src2)
    assert out is dst
    assert dst == {
        "a": "one",
        "b": 2,
        "c": 3,
        "d": {"e": "four", "f": 5},
        "g": [8, 9],
        "h": 10,
        "i": "eye",
        "j": "jay",
        "k": "filled",
    }


def test_merge_overwrite() -> None:
    dst = {"default": "default", "overwrite": "me", "key": True}
    src = {"overwrite": "overwritten", "key": False}
    assert call("mergeOverwrite", dst, src) == {"default": "default", "overwrite": "overwritten", "key": False}


def test_deep_copy_is_independent() -> None:
    src = {"a": [1, {"b": 2}]}
    cp = call("deepCopy", src)
    assert cp == src
    assert isinstance(cp, dict)
    cp["a"][1]["b"] = 3
    assert src["a"][1]["b"] == 2  # type: ignore[index]


def test_dict_params_are_typed() -> None:
    with pytest.raises(TypeError, match=r"expected map\[string\]interface \{\}; got string"):
        call("hasKey", "notadict", "k")
