"""Template data: .Run/.Build/.Values/.Secrets/.ValuesJSON/.RunJSON (acr-builder base_render_options)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tasks_engine.templating.rundata import RunInfo, build_template_data, go_json, shell_quote

DATE = datetime(2010, 5, 20, 13, 14, 22, tzinfo=UTC)


def make_run(**overrides: object) -> RunInfo:
    fields: dict[str, object] = {"id": "ab1", "registry": "myreg.azurecr.io", "date": DATE}
    fields.update(overrides)
    return RunInfo(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("", "''"),
        ("''", "''\"'\"''\"'\"''"),
        ("'single quotes'", "''\"'\"'single quotes'\"'\"''"),
        ("double quotes", "'double quotes'"),
        ("no quotes", "'no quotes'"),
        ("{;$\\}", "'{;$\\}'"),
        ("nothingtoescape", "nothingtoescape"),
        ('{"val": "foo", "bar": "something#@$!()"}', '\'{"val": "foo", "bar": "something#@$!()"}\''),
        ("a_b^c@d=e+f%g,h:i.j/k-l", "a_b^c@d=e+f%g,h:i.j/k-l"),
        ("é", "'é'"),
    ],
)
def test_shell_quote_matches_acr(original: str, expected: str) -> None:
    assert shell_quote(original) == expected


@pytest.mark.parametrize(
    ("registry", "name"),
    [
        ("", ""),
        ("foo", "foo"),
        ("foo.azurecr.io", "foo"),
        ("foo-bar.azurecr-test.io", "foo-bar"),
        ("  ", "  "),
    ],
)
def test_registry_name(registry: str, name: str) -> None:
    assert make_run(registry=registry).registry_name == name


def test_date_format_is_utc_with_literal_z() -> None:
    assert make_run().date_text == "20100520-131422z"
    other_zone = DATE.astimezone(timezone(timedelta(hours=5)))
    assert make_run(date=other_zone).date_text == "20100520-131422z"


def test_naive_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_run(date=datetime(2020, 1, 1))


def test_template_data_shape() -> None:
    run = make_run(
        commit="c0ffee", branch="main", task_name="t", shared_volume="acb_vol_X", os_version="1903"
    )
    data = build_template_data(run, {"k": "v"}, {"s": "secret"})
    assert data["Build"] == {"ID": "ab1"}
    assert data["Run"] == {
        "ID": "ab1",
        "Commit": "c0ffee",
        "Repository": "",
        "Branch": "main",
        "GitTag": "",
        "TriggeredBy": "",
        "Registry": "myreg.azurecr.io",
        "RegistryName": "myreg",
        "Date": "20100520-131422z",
        "SharedVolume": "acb_vol_X",
        "OS": "linux",
        "OSVersion": "1903",
        "Architecture": "amd64",
        "TaskName": "t",
    }
    assert data["Values"] == {"k": "v"}
    assert data["Secrets"] == {"s": "secret"}


def test_run_json_exact() -> None:
    data = build_template_data(make_run(), {}, {})
    expected_json = (
        '{"Architecture":"amd64","Branch":"","Commit":"","Date":"20100520-131422z","GitTag":"",'
        '"ID":"ab1","OS":"linux","OSVersion":"","Registry":"myreg.azurecr.io","RegistryName":"myreg",'
        '"Repository":"","SharedVolume":"","TaskName":"","TriggeredBy":""}'
    )
    assert data["RunJSON"] == f"'{expected_json}'"


def test_values_json_sorted_compact_and_quoted() -> None:
    values = {"b": "it's", "a": [1, 2.5, True, None], "c": {"z": 1, "y": "<&>"}}
    data = build_template_data(make_run(), values, {})
    assert data["ValuesJSON"] == (
        "'{\"a\":[1,2.5,true,null],\"b\":\"it'\"'\"'s\",\"c\":{\"y\":\"\\u003c\\u0026\\u003e\",\"z\":1}}'"
    )


def test_values_json_empty() -> None:
    assert build_template_data(make_run(), {}, {})["ValuesJSON"] == "'{}'"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.0, "0"),
        (1e6, "1000000"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-7, "1e-07"),
        (0.000001, "0.000001"),
        (-2.5, "-2.5"),
        (123456789.125, "123456789.125"),
    ],
)
def test_go_json_floats(value: float, text: str) -> None:
    assert go_json(value) == text


def test_go_json_strings_roundtrip() -> None:
    value = {"k": "line\nbreak \"q\" \\ \t \u2028 é \x01"}
    text = go_json(value)
    assert json.loads(text) == value
    assert "\\u2028" in text
    assert "\\u0001" in text
