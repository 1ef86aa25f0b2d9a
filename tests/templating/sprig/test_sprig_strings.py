"""String functions: expectations copied from Sprig v2.22's strings_test.go plus Go stdlib edge cases."""

from __future__ import annotations

import pytest
from sprig_helpers import call

from tasks_engine.templating.gotemplate.values import MISSING


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # Sprig strings_test.go
        ("substr", (0, 3, "fooo"), "foo"),
        ("substr", (0, 10, "foo"), "foo"),  # v2.19 fix: end past the string means "to the end"
        ("substr", (-1, 2, "foo"), "fo"),
        ("substr", (1, -1, "foo"), "oo"),
        ("trunc", (3, "foooooo"), "foo"),
        ("trunc", (0, "baaaaaz"), ""),
        ("trunc", (10, "short"), "short"),
        ("quote", ("a", "b", "c"), '"a" "b" "c"'),
        ("quote", ('"a"', "b", "c"), '"\\"a\\"" "b" "c"'),
        ("quote", (1, 2, 3), '"1" "2" "3"'),
        ("quote", (None,), ""),
        ("quote", ("tab\there\n",), '"tab\\there\\n"'),
        ("squote", ("a", "b", "c"), "'a' 'b' 'c'"),
        ("squote", (1, 2, 3), "'1' '2' '3'"),
        ("squote", (None,), ""),
        ("contains", ("cat", "fair catch"), True),
        ("hasPrefix", ("cat", "catch"), True),
        ("hasSuffix", ("cat", "ducat"), True),
        ("hasSuffix", ("dog", "ducat"), False),
        ("trim", ("   5.00   ",), "5.00"),
        ("trim", ("\x1c5\x1c",), "\x1c5\x1c"),  # Go's IsSpace excludes the ASCII separators
        ("trimAll", ("$", "$5.00$"), "5.00"),
        ("trimPrefix", ("$", "$5.00"), "5.00"),
        ("trimSuffix", ("$", "5.00$"), "5.00"),
        ("split", ("$", "foo$bar$baz"), {"_0": "foo", "_1": "bar", "_2": "baz"}),
        ("splitn", ("$", 2, "foo$bar$baz"), {"_0": "foo", "_1": "bar$baz"}),
        ("splitn", ("$", 0, "foo$bar"), {}),
        ("splitList", ("$", "foo$bar$baz"), ["foo", "bar", "baz"]),
        ("splitList", ("", "abc"), ["a", "b", "c"]),
        ("abbrev", (5, "hello world"), "he..."),
        ("abbrev", (3, "hello world"), "hello world"),
        ("abbrevboth", (5, 10, "1234 5678 9123"), "...5678..."),
        ("nospace", ("h e l l o ",), "hello"),
        ("untitle", ("First Try",), "first try"),
        ("initials", ("First Try",), "FT"),
        ("wrap", (5, "Hello World"), "Hello\nWorld"),
        ("wrapWith", (5, "\t", "Hello World"), "Hello\tWorld"),
        ("cat", ("a", "b", "c"), "a b c"),
        ("cat", ("a", "b", None), "a b"),
        ("cat", ("a", 1, [1, 2], {"k": "v"}), "a 1 [1 2] map[k:v]"),
        ("indent", (4, "a\nb\nc"), "    a\n    b\n    c"),
        ("nindent", (4, "a\nb\nc"), "\n    a\n    b\n    c"),
        ("replace", (" ", "-", "I Am Henry VIII"), "I-Am-Henry-VIII"),
        ("replace", ("", "-", "ab"), "-a-b-"),
        ("plural", ("1 char", "chars", 3), "chars"),
        ("plural", ("cheese", "%d chars", 1), "cheese"),
        ("repeat", (3, "ab"), "ababab"),
        ("upper", ("hello ß",), "HELLO ß"),  # one rune in, one rune out, as Go's ToUpper
        ("lower", ("HELLO",), "hello"),
        ("title", ("hello world-wide_web",), "Hello World-Wide_web"),
        ("title", ("hELLO",), "HELLO"),
        # xstrings v1.2
        ("snakecase", ("FirstName",), "first_name"),
        ("snakecase", ("HTTPServer",), "http_server"),
        ("snakecase", ("NoHTTPS",), "no_https"),
        ("snakecase", ("GO_PATH",), "go_path"),
        ("snakecase", ("GO PATH",), "go_path"),
        ("snakecase", ("GO-PATH",), "go_path"),
        ("snakecase", ("HTTP2XX",), "http_2xx"),
        ("snakecase", ("http2xx",), "http_2xx"),
        ("snakecase", ("HTTP20xOK",), "http_20x_ok"),
        ("kebabcase", ("FirstName",), "first-name"),
        ("kebabcase", ("HTTPServer",), "http-server"),
        ("camelcase", ("http_server",), "HttpServer"),
        ("camelcase", ("_camel_case",), "_CamelCase"),
        ("camelcase", ("no_https",), "NoHttps"),
        ("camelcase", ("_complex__case_",), "_Complex_Case_"),
        ("camelcase", ("all",), "All"),
        ("swapcase", ("This Is A.Test",), "tHIS iS a.tEST"),
    ],
)
def test_string_table(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_go_strings_are_bytes() -> None:
    # trunc/substr count UTF-8 bytes like Go; a cut rune becomes U+FFFD.
    assert call("trunc", 2, "héllo") == "h\ufffd"
    assert call("substr", 1, 3, "héllo") == "é"


def test_v222_panics_become_errors() -> None:
    with pytest.raises(ValueError, match="slice bounds out of range"):
        call("trunc", -3, "baaaaaar")  # negative trunc arrived in Sprig 3
    with pytest.raises(ValueError, match="slice bounds out of range"):
        call("substr", 5, 2, "foo")
    with pytest.raises(ValueError, match="negative Repeat count"):
        call("repeat", -1, "x")


def test_repeat_is_capped() -> None:
    with pytest.raises(ValueError, match="too large"):
        call("repeat", 10**9, "abc")


def test_argument_types_are_checked_like_text_template() -> None:
    with pytest.raises(TypeError, match="wrong type for value; expected string; got int"):
        call("upper", 5)
    with pytest.raises(TypeError, match="invalid value; expected string"):
        call("upper", MISSING)
    with pytest.raises(TypeError, match="wrong number of args for upper: want 1 got 2"):
        call("upper", "a", "b")
    with pytest.raises(TypeError, match="expected int; got string"):
        call("repeat", "3", "x")


def test_missing_is_nil_for_interface_parameters() -> None:
    assert call("quote", MISSING) == ""
    assert call("cat", "a", MISSING) == "a"
