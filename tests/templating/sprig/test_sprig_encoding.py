"""Encodings, JSON/YAML and hashes, including ACR's b64enc override and Go's decoder error texts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from sprig_helpers import call

from tasks_engine.templating.gotemplate.values import MISSING


@pytest.mark.parametrize(
    ("value", "expected_plain"),
    [
        ("coffee", "coffee"),
        ("héllo", "héllo"),
        ("", ""),
        # ACR quirk (spec §3.1): non-strings encode reflect.Value.String() text, not the value.
        (5, "<int Value>"),
        (2.5, "<float64 Value>"),
        (True, "<bool Value>"),
        ([1, 2], "<[]interface {} Value>"),
        ({"a": 1}, "<map[string]interface {} Value>"),
    ],
)
def test_acr_b64enc(value: object, expected_plain: str) -> None:
    assert call("b64enc", value) == base64.b64encode(expected_plain.encode()).decode()


def test_acr_b64enc_of_nil_is_empty() -> None:
    assert call("b64enc", None) == ""
    assert call("b64enc", MISSING) == ""


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("Y29mZmVl", "coffee"),
        ("Y29m\nZmVl", "coffee"),  # newlines are skipped
        ("YQ==", "a"),
        ("Y29m=mVl", "illegal base64 data at input byte 4"),
        ("YQ", "illegal base64 data at input byte 0"),
        ("YQ=", "illegal base64 data at input byte 3"),
        ("YQ==YQ==", "illegal base64 data at input byte 4"),
        ("!!!!", "illegal base64 data at input byte 0"),
        ("Y29mZmVl!", "illegal base64 data at input byte 8"),
        ("", ""),
    ],
)
def test_b64dec_returns_go_error_text(encoded: str, expected: str) -> None:
    assert call("b64dec", encoded) == expected


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("MNXWMZTFMU======", "coffee"),
        ("MNXWMZTF", "cof" + "fe"),
        ("MNXWMZTFMU", "illegal base32 data at input byte 8"),
        ("MNXW1ZTF", "illegal base32 data at input byte 4"),
        ("", ""),
    ],
)
def test_b32(encoded: str, expected: str) -> None:
    assert call("b32dec", encoded) == expected


def test_b32enc() -> None:
    assert call("b32enc", "coffee") == "MNXWMZTFMU======"


def test_to_json_matches_encoding_json() -> None:
    top = {"bool": True, "string": "test", "number": 42}
    assert call("toJson", top) == '{"bool":true,"number":42,"string":"test"}'
    assert call("toPrettyJson", top) == '{\n  "bool": true,\n  "number": 42,\n  "string": "test"\n}'
    assert call("toJson", {"f": 1.0, "g": 1e21, "h": 1e-7, "i": 0.1}) == '{"f":1,"g":1e+21,"h":1e-7,"i":0.1}'
    assert call("toJson", "<a&b>\u2028") == '"\\u003ca\\u0026b\\u003e\\u2028"'
    assert call("toJson", None) == "null"
    assert call("toJson", []) == "[]"
    assert call("toPrettyJson", {"a": [], "b": {}}) == '{\n  "a": [],\n  "b": {}\n}'
    assert call("toJson", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == '"2024-01-02T03:04:05Z"'


def test_to_json_drops_errors_like_sprig() -> None:
    assert call("toJson", float("nan")) == ""
    cyclic: dict[str, object] = {}
    cyclic["self"] = cyclic
    assert call("toJson", cyclic) == ""


def test_from_json_decodes_numbers_as_float64() -> None:
    assert call("fromJson", '{"a": 1, "b": [true, null, "x"]}') == {"a": 1.0, "b": [True, None, "x"]}
    assert call("fromJson", "not json") is None
    assert call("fromJson", "NaN") is None


def test_to_yaml_like_helm() -> None:
    assert call("toYaml", {"b": "x", "a": [1, 2]}) == "a:\n- 1\n- 2\nb: x"
    assert call("toYaml", "plain") == "plain"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("sha256sum", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("sha1sum", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("adler32sum", "abc", "38600999"),
    ],
)
def test_hashes(name: str, value: str, expected: str) -> None:
    assert call(name, value) == expected
