"""Math and conversions: Sprig v2.22 numeric_test.go, ACR's TestRenderMath argument order, Go int64 rules."""

from __future__ import annotations

import math

import pytest
from sprig_helpers import call

from tasks_engine.templating.gotemplate.values import MISSING

FOO, BAR = 5, 10


def test_acr_render_math_argument_order() -> None:
    # {{.foo | add .bar}}, {{- .bar | sub .foo }}, {{- .foo | mul .bar}} with foo=5, bar=10 -> 15,-5,50
    assert call("add", BAR, FOO) == 15
    assert call("sub", FOO, BAR) == -5
    assert call("mul", BAR, FOO) == 50


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        ("abc", 0),
        (1.9, 1),
        (-1.9, -1),
        (True, 1),
        (False, 0),
        (None, 0),
        (MISSING, 0),
        ("+7", 7),
        ("-7", -7),
        ("0x10", 0),
        ("017", 17),
        ("12.0", 0),
        (" 12", 0),
        ("1_000", 0),
        ("٣", 0),
        ("9223372036854775808", 0),
        ([1], 0),
        ({"a": 1}, 0),
        (102, 102),
        (102.1234, 102),
    ],
)
def test_to_int64(value: object, expected: int) -> None:
    assert call("int64", value) == expected
    assert call("int", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("102", 102.0),
        ("frankie", 0.0),
        (102, 102.0),
        (102.1234, 102.1234),
        (True, 1.0),
        (None, 0.0),
        ("1e3", 1000.0),
        ("1e400", 0.0),
        (".5", 0.5),
        ("1_0", 0.0),
        ("0x1p-2", 0.25),
        (" 1", 0.0),
    ],
)
def test_to_float64(value: object, expected: float) -> None:
    assert call("float64", value) == expected


def test_to_float64_special_values() -> None:
    assert call("float64", "Inf") == math.inf
    assert call("float64", "-infinity") == -math.inf
    f = call("float64", "NaN")
    assert isinstance(f, float)
    assert math.isnan(f)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("add", (1, 2, 3), 6),
        ("add", (), 0),
        ("add", ("1", 2.9, True, None), 4),
        ("add1", ("41",), 42),
        ("mul", (1, "2", 3, "4"), 24),
        ("div", (7, 2), 3),
        ("div", (-7, 2), -3),  # truncation toward zero
        ("div", (7, -2), -3),
        ("mod", (-7, 2), -1),  # sign of the dividend
        ("mod", (7, -2), 1),
        ("biggest", (1, 2, 3, 345, 5, 6, 7), 345),
        ("max", (345,), 345),
        ("min", (1, 2, 3, 345, 5, 6, 7), 1),
        ("min", (345,), 345),
        ("ceil", (123,), 123.0),
        ("ceil", ("123",), 123.0),
        ("ceil", (123.01,), 124.0),
        ("ceil", ("123.01",), 124.0),
        ("floor", (123,), 123.0),
        ("floor", ("123.9999",), 123.0),
        ("round", (123.5555, 3), 123.556),
        ("round", ("123.55555", 3), 123.556),
        ("round", (123.500001, 0), 124.0),
        ("round", (123.49999999, 0), 123.0),
        ("round", (123.2329999, 2, 0.3), 123.23),
        ("round", (123.233, 2, 0.3), 123.24),
        ("round", (-2.5, 0), -3.0),  # Modf keeps the sign, so -0.5 < .5 and floor wins
        ("atoi", ("42",), 42),
        ("atoi", ("4x",), 0),
        ("toDecimal", ("0777",), 511),
        ("toDecimal", (777,), 511),
        ("toDecimal", ("8",), 0),
    ],
)
def test_math_table(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_int64_wraps_like_go() -> None:
    big = 9223372036854775807
    assert call("add", big, 1) == -9223372036854775808
    assert call("mul", big, 2) == -2
    assert call("div", -9223372036854775808, -1) == -9223372036854775808
    assert call("mod", -9223372036854775808, -1) == 0


def test_division_by_zero_is_an_error() -> None:
    with pytest.raises(ValueError, match="integer divide by zero"):
        call("div", 1, 0)
    with pytest.raises(ValueError, match="integer divide by zero"):
        call("mod", 1, "abc")


def test_round_handles_infinities() -> None:
    r = call("round", 1.5, 400)
    assert isinstance(r, float)
    assert math.isnan(r) or math.isinf(r)
