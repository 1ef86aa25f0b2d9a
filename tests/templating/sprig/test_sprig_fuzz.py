"""Property tests: any function with any arguments returns or raises TypeError/ValueError, quickly."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sprig_helpers import FUNCS

from tasks_engine.templating.gotemplate.values import MISSING
from tasks_engine.templating.sprig import format_go_time, parse_go_duration, parse_go_time, translate_re2

_scalars = st.one_of(
    st.none(),
    st.just(MISSING),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "a",
            "2006-01-02",
            "15:04",
            "$1",
            "(a",
            "a*",
            "UTC",
            "Europe/Berlin",
            "0777",
            "12",
            "YQ==",
            "-1.5h",
            "[[:alpha:]]",
            "\\d+",
            "${x}",
            '{"a": 1}',
        ]
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=8,
)
_names = st.sampled_from(sorted(FUNCS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_names, args=st.lists(_values, max_size=4))
def test_every_function_returns_or_raises_go_like_errors(name: str, args: list[object]) -> None:
    start = time.monotonic()
    with contextlib.suppress(TypeError, ValueError):
        FUNCS[name](*args)
    assert time.monotonic() - start < 3, f"{name}{tuple(args)!r} is too slow"


@settings(max_examples=150, deadline=None)
@given(name=_names, arg=_values)
def test_single_argument_calls(name: str, arg: object) -> None:
    for args in ((arg,), ("x", arg), (1, arg), (arg, arg), (0, 3, arg)):
        with contextlib.suppress(TypeError, ValueError):
            FUNCS[name](*args)


@settings(max_examples=300, deadline=None)
@given(layout=st.text(max_size=30), value=st.text(max_size=30))
def test_time_parsing_never_crashes(layout: str, value: str) -> None:
    with contextlib.suppress(ValueError):
        parse_go_time(layout, value)
    with contextlib.suppress(ValueError):
        parse_go_duration(value)


@settings(max_examples=300, deadline=None)
@given(
    layout=st.text(max_size=40),
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_time_formatting_is_total(layout: str, when: datetime, offset: int) -> None:
    tz = timezone(timedelta(minutes=offset))
    assert isinstance(format_go_time(when.replace(tzinfo=tz), layout), str)


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab()[]{}|*+?.^$\\:dwsbzQEPx0123-,=!<>i", max_size=12), s=st.text("ab\n", max_size=10))
def test_regex_translation_is_total(pattern: str, s: str) -> None:
    with contextlib.suppress(ValueError):
        translate_re2(pattern)
    for name, args in (
        ("regexMatch", (pattern, s)),
        ("regexFindAll", (pattern, s, -1)),
        ("regexReplaceAll", (pattern, s, "<$1>")),
        ("regexSplit", (pattern, s, -1)),
    ):
        with contextlib.suppress(ValueError):
            FUNCS[name](*args)
