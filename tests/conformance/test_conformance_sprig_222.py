"""Sprig 2.22 functions that were missing: ``semver``/``semverCompare`` (Masterminds/semver v1.5.0 rules),
the random-string functions and ``shuffle``. In ACR a template using them renders; here it failed with
``function "semverCompare" not defined``. Expected values follow semver v1.5.0's ``constraints.go``.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from conformance_helpers import render
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.errors import DefinitionError
from tasks_engine.templating.gotemplate import TemplateError
from tasks_engine.templating.gotemplate import render as go_render
from tasks_engine.templating.sprig import sprig_functions


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">=1.2", "1.3.0", True),
        (">= 1.2.3, < 2", "1.9.0", True),
        ("^1.2", "1.9.9", True),
        ("^1.2", "2.0.0", False),
        ("~1.2.3", "1.2.9", True),
        ("~1.2.3", "1.3.0", False),
        ("~1", "1.2.0", False),  # v1: "1" is not a wildcard, so ~1 means ~1.0.0
        ("1.x", "1.9.9", True),
        ("1.2.x", "1.3.0", False),
        ("*", "4.5.6", True),
        ("*", "0.0.1-rc1", False),  # pre-releases only match constraints that name one
        (">=1.0", "1.1.0-alpha", False),
        (">=1.0-0", "1.1.0-alpha", True),
        (">0.0.0", "0.0.0-rc", True),  # v1.5.0's isNonZero special case
        ("1.0 - 2.0", "1.5.0", True),
        ("1.0 - 2.0", "2.0.1", False),
        ("<1.0 || >=3", "3.1.0", True),
        ("<1.0 || >=3", "2.0.0", False),
        ("!=1.2.3", "1.2.3", False),
        ("!=1.x", "1.5.0", False),
        ("<=1.x", "1.9.0", True),
        ("=v1.2.3", "1.2.3", True),
        ("1.2.3-beta.2", "1.2.3-beta.10", False),
        (">1.2.3-beta.2", "1.2.3-beta.10", True),  # numeric identifiers compare as numbers
        (">1.2.3-beta", "1.2.3-alpha", False),
        ("<1.2.3", "1.2.3-rc.1", False),
    ],
)
def test_semver_compare(constraint: str, version: str, expected: bool) -> None:
    assert render(f'{{{{ semverCompare "{constraint}" "{version}" }}}}') == str(expected).lower()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ semver "v1.2" }}', "1.2.0"),
        ('{{ semver "1.2.3-beta.1+b5" }}', "1.2.3-beta.1+b5"),
        ('{{ (semver "1.2.3-beta.1+b5").Prerelease }}', "beta.1"),
        ('{{ (semver "1.2.3-beta.1+b5").Metadata }}', "b5"),
        ('{{ (semver "v1.2.3").Original }}', "v1.2.3"),
        ('{{ (semver "1.2.3").Major }}.{{ (semver "1.2.3").Minor }}', "1.2"),
        ('{{ (semver "1.2.3").LessThan (semver "1.10.0") }}', "true"),
        ('{{ (semver "1.2.3").Compare (semver "1.2.3") }}', "0"),
        ('{{ typeOf (semver "1.0.0") }}', "*semver.Version"),
        ('{{ if semverCompare ">=2.0.0" .Values.v }}new{{ else }}old{{ end }}', "new"),
    ],
)
def test_semver_values(template: str, expected: str) -> None:
    assert render(template, sets=["v=2.1.0"]) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{ semver "x" }}', "error calling semver: Invalid Semantic Version"),
        ('{{ semverCompare "bad" "1.0.0" }}', "improper constraint: bad"),
        ('{{ semverCompare ">1" "1.0.0.0" }}', "Invalid Semantic Version"),
    ],
)
def test_semver_errors(template: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        render(template)


def _funcs(seed: int) -> dict[str, Callable[..., object]]:
    return sprig_functions(
        now=lambda: datetime(2010, 5, 20, tzinfo=UTC), environ={}, new_uuid=lambda: "u", rng=random.Random(seed)
    )


@pytest.mark.parametrize(
    ("name", "alphabet"),
    [
        ("randAlphaNum", string.ascii_letters + string.digits),
        ("randAlpha", string.ascii_letters),
        ("randNumeric", string.digits),
        ("randAscii", "".join(chr(c) for c in range(32, 127))),
    ],
)
def test_random_strings(name: str, alphabet: str) -> None:
    out = go_render(f"{{{{ {name} 40 }}}}", {}, funcs=_funcs(1)).text
    assert len(out) == 40
    assert set(out) <= set(alphabet)
    assert go_render(f"{{{{ {name} 0 }}}}|{{{{ {name} -3 }}}}", {}, funcs=_funcs(1)).text == "|"


def test_random_strings_in_a_task_render_and_are_seedable() -> None:
    template = "{{ randAlphaNum 8 | lower }}"
    first = go_render(template, {}, funcs=_funcs(7)).text
    assert first == go_render(template, {}, funcs=_funcs(7)).text
    assert len(render("tag: {{ randAlphaNum 6 | lower }}")) == len("tag: ") + 6


def test_shuffle_keeps_the_runes() -> None:
    out = go_render('{{ shuffle "héllo wörld" }}', {}, funcs=_funcs(3)).text
    assert sorted(out) == sorted("héllo wörld")


_SEMVERISH = st.text(alphabet="0123456789.xX*^~<>=!|, -+vabrc", max_size=24)


@settings(max_examples=300, deadline=None)
@given(constraint=_SEMVERISH, version=_SEMVERISH)
def test_semver_compare_gives_a_bool_or_a_template_error(constraint: str, version: str) -> None:
    funcs = _funcs(0)
    try:
        out = go_render("{{ semverCompare .c .v }}", {"c": constraint, "v": version}, funcs=funcs).text
    except TemplateError as exc:
        assert "semverCompare" in str(exc)
    else:
        assert out in ("true", "false")
