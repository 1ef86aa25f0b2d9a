"""Regex functions: Sprig v2.22 regex_test.go, Go iteration rules, RE2 -> Python translation."""

from __future__ import annotations

import time

import pytest
from sprig_helpers import call

from tasks_engine.templating.sprig import regex as regex_module
from tasks_engine.templating.sprig import translate_re2

EMAIL = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"


@pytest.mark.parametrize(
    ("s", "expected"),
    [("test@acme.com", True), ("Test@Acme.Com", True), ("test", False), ("test.com", False), ("test@acme", False)],
)
def test_regex_match(s: str, expected: bool) -> None:
    assert call("regexMatch", EMAIL, s) is expected


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("regexFindAll", ("a{2}", "aa", -1), ["aa"]),
        ("regexFindAll", ("a{2}", "aaaaaaaa", 1), ["aa"]),
        ("regexFindAll", ("a{2}", "aaaa", -1), ["aa", "aa"]),
        ("regexFindAll", ("a{2}", "none", -1), []),
        ("regexFindAll", ("a*", "baaa", -1), ["", "aaa"]),  # no empty match right after a match (Go)
        ("regexFindAll", ("a", "aaa", 0), []),
        ("regexFind", ("fo.?", "foorbar"), "foo"),
        ("regexFind", ("fo.?", "foo foe fome"), "foo"),
        ("regexFind", ("fo.?", "none"), ""),
        ("regexReplaceAll", ("a(x*)b", "-ab-axxb-", "T"), "-T-T-"),
        ("regexReplaceAll", ("a(x*)b", "-ab-axxb-", "$1"), "--xx-"),
        ("regexReplaceAll", ("a(x*)b", "-ab-axxb-", "$1W"), "---"),
        ("regexReplaceAll", ("a(x*)b", "-ab-axxb-", "${1}W"), "-W-xxW-"),
        ("regexReplaceAll", ("a(?P<x>x*)b", "-axb-", "[${x}|$x|$$|$]"), "-[x|x|$|$]-"),
        ("regexReplaceAll", ("a*", "baaac", "-"), "-b-c-"),
        ("regexReplaceAllLiteral", ("a(x*)b", "-ab-axxb-", "T"), "-T-T-"),
        ("regexReplaceAllLiteral", ("a(x*)b", "-ab-axxb-", "$1"), "-$1-$1-"),
        ("regexReplaceAllLiteral", ("a(x*)b", "-ab-axxb-", "${1}"), "-${1}-${1}-"),
        ("regexSplit", ("a", "banana", -1), ["b", "n", "n", ""]),
        ("regexSplit", ("a", "banana", 0), []),
        ("regexSplit", ("a", "banana", 1), ["banana"]),
        ("regexSplit", ("a", "banana", 2), ["b", "nana"]),
        ("regexSplit", ("z+", "pizza", -1), ["pi", "a"]),
        ("regexSplit", ("z+", "pizza", 1), ["pizza"]),
        ("regexSplit", ("z+", "pizza", 2), ["pi", "a"]),
        ("regexSplit", ("/", "foo/bar/baz", -1), ["foo", "bar", "baz"]),
        ("regexSplit", ("x", "", -1), [""]),
    ],
)
def test_regex_table(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


@pytest.mark.parametrize(
    ("pattern", "s", "expected"),
    [
        ("^abc$", "abc\n", False),  # Go's $ is end of text without (?m)
        ("(?m)^abc$", "x\nabc\ny", True),
        ("\\d+", "٣٣", False),  # \d is ASCII in RE2
        ("\\w+\\z", "abc", True),
        ("[[:alpha:]]+[[:digit:]]", "abc1", True),
        ("[[:upper:]]", "abc", False),
        ("a(?i)b", "aB", True),
        ("a(?i)b", "AB", False),
        ("(?i:A)b", "ab", True),
        ("(a(?i)b|c)", "C", True),  # the flag lasts to the end of the group, across |
        ("(?P<year>\\d{4})-(?<m>\\d\\d)", "2024-01", True),
        ("\\Qa.b\\E", "a.b", True),
        ("\\Qa.b\\E", "axb", False),
        ("\\x{41}\\101", "AA", True),
        ("a{,5}", "a{,5}", True),  # not a Go repeat: literal braces
    ],
)
def test_re2_semantics(pattern: str, s: str, expected: bool) -> None:
    assert call("regexMatch", pattern, s) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "(",
        "a)",
        "[a",
        "(?=a)",
        "(?!a)",
        "(?<=a)b",
        "(a)\\1",
        "a*+",
        "a{1001}",
        "(a{1000}){2}",
        "((a{10}){10}){11}",
        "\\pL",
        "\\Z",
        "(?U)a",
    ],
)
def test_unsupported_or_invalid_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match="error parsing regexp"):
        call("regexFind", pattern, "abc")
    assert call("regexMatch", pattern, "abc") is False  # Sprig v2.22 regexMatch swallows the error


def test_translation_examples() -> None:
    assert translate_re2("a$") == "a\\Z"
    assert translate_re2("\\d") == "[0-9]"
    assert translate_re2("[\\d_]") == "[0-9_]"
    assert translate_re2("(?<n>x)") == "(?P<n>x)"
    assert call("regexFind", "(a{10}){100}", "a" * 1000) == "a" * 1000  # product 1000 is still allowed


def test_catastrophic_backtracking_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regex_module, "_TIMEOUT_S", 0.3)
    start = time.monotonic()
    with pytest.raises(ValueError, match="too long"):
        call("regexMatch", "(a+)+$", "a" * 40 + "!")
    assert time.monotonic() - start < 10
    # The guard is transparent for patterns that finish quickly.
    assert call("regexFindAll", "(ab+)+", "abbbab " * 10, -1) == ["abbbab"] * 10
