"""yaml.v2 (v2.4.0) scalar typing, re-implemented so a task file means here what it means in ACR.

ACR decodes the rendered task with ``yaml.Unmarshal`` from gopkg.in/yaml.v2 into Go structs. What a scalar
becomes depends on both its text and the Go field it lands in (``decode.go scalar``, ``resolve.go resolve``):

* any non-null scalar into a ``string`` field keeps its raw text (``cmd: 123`` -> ``"123"``, ``id: yes`` ->
  ``"yes"``, ``version: 1.0`` -> ``"1.0"``);
* an ``int`` field takes ints and floats (truncated), but not strings (quoted numbers), bools or timestamps;
* a ``bool`` field takes only YAML 1.1 booleans (``y``/``yes``/``on``/``true``... in their three spellings);
* null (``~``, ``null``, empty) leaves the zero value, which is the same as leaving the key out.

It lives in ``templating`` because values files (``--values``) are decoded by the same yaml.v2, into
``interface{}`` (see ``values.load_values``); ``definition`` re-exports it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass

from yaml.nodes import ScalarNode

TAG_PREFIX = "tag:yaml.org,2002:"

STR = "!!str"
INT = "!!int"
FLOAT = "!!float"
BOOL = "!!bool"
NULL = "!!null"
TIMESTAMP = "!!timestamp"
BINARY = "!!binary"
MERGE = "!!merge"

_RESOLVABLE = {"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP}

_RESOLVE_MAP: dict[str, tuple[str, object]] = {}
for _words, _tag, _value in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), BOOL, True),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), BOOL, False),
    (("", "~", "null", "Null", "NULL"), NULL, None),
    ((".nan", ".NaN", ".NAN"), FLOAT, math.nan),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), FLOAT, -math.inf),
    (("<<",), MERGE, "<<"),
):
    for _word in _words:
        _RESOLVE_MAP[_word] = (_tag, _value)

_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?))?$"
)
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


def short_tag(tag: str) -> str:
    if tag.startswith(TAG_PREFIX):
        return "!!" + tag[len(TAG_PREFIX) :]
    return tag


def _hint(text: str) -> str:
    if not text:
        return "N"
    first = text[0]
    if first in "+-":
        return "S"
    if first.isascii() and first.isdigit():
        return "D"
    if first in "yYnNtTfFoO~":
        return "M"
    if first == ".":
        return "."
    return ""


def _parse_digits(text: str, base: int) -> int | None:
    if not text or any(ch not in _DIGITS[base] for ch in text):
        return None
    return int(text, base)


def _parse_unsigned(text: str) -> int | None:
    """Go ``strconv.ParseUint(text, 0, 64)`` without the range check: base prefixes and leading-0 octal."""
    if len(text) > 1 and text[0] == "0":
        prefix = text[1]
        if prefix in "xX":
            return _parse_digits(text[2:], 16)
        if prefix in "oO":
            return _parse_digits(text[2:], 8)
        if prefix in "bB":
            return _parse_digits(text[2:], 2)
        return _parse_digits(text[1:], 8)
    return _parse_digits(text, 10)


def go_parse_int(text: str) -> int | None:
    """Go ``strconv.ParseInt(text, 0, 64)``: an int64, or ``None`` when Go would fail."""
    sign = 1
    body = text
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    value = _parse_unsigned(body)
    if value is None:
        return None
    value *= sign
    return value if INT64_MIN <= value <= INT64_MAX else None


def go_parse_uint(text: str) -> int | None:
    value = _parse_unsigned(text)
    return value if value is not None and value <= UINT64_MAX else None


class ResolveFailure(Exception):
    """yaml.v2 aborts the whole decode (``failf``) — e.g. ``!!int abc``."""


def resolve(tag: str, text: str) -> tuple[str, object]:
    """yaml.v2 ``resolve(tag, in)``: the (short) tag and the Go-ish value of a plain or tagged scalar."""
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve_untagged(tag, text)
    if tag in ("", rtag, STR, BINARY):
        return rtag, value
    if tag == FLOAT and rtag == INT and isinstance(value, int):
        return FLOAT, float(value)
    raise ResolveFailure(f"cannot decode {rtag} `{text}` as a {tag}")


def _resolve_untagged(tag: str, text: str) -> tuple[str, object]:
    hint = _hint(text)
    if hint and tag not in (STR, BINARY):
        if text in _RESOLVE_MAP:
            return _RESOLVE_MAP[text]
        if hint == "." and _DOT_FLOAT.match(text):
            return FLOAT, float(text)
        if hint in ("D", "S"):
            if tag in ("", TIMESTAMP) and _TIMESTAMP.match(text):
                return TIMESTAMP, text
            plain = text.replace("_", "")
            as_int = go_parse_int(plain)
            if as_int is not None:
                return INT, as_int
            as_uint = go_parse_uint(plain)
            if as_uint is not None:
                return INT, as_uint
            if _YAML_STYLE_FLOAT.match(plain):
                number = float(plain)
                if not math.isinf(number):
                    return FLOAT, number
            for prefix, sign in (("0b", 1), ("-0b", -1)):
                if plain.startswith(prefix):
                    digits = _parse_digits(plain[len(prefix) :], 2)
                    if digits is not None and INT64_MIN <= sign * digits <= INT64_MAX:
                        return INT, sign * digits
    return STR, text


@dataclass(frozen=True)
class Scalar:
    """A scalar as yaml.v2's decoder sees it: its tag, resolved value and raw text."""

    tag: str
    value: object
    text: str

    @property
    def is_null(self) -> bool:
        return self.tag == NULL


def resolve_node(node: ScalarNode) -> Scalar:
    """Type a scalar node: quoted and block scalars without a tag are strings; plain ones are resolved."""
    tag = short_tag(node.tag) if node.tag and node.tag != "!" else ""
    if not tag and node.style is not None:
        return Scalar(STR, node.value, node.value)
    rtag, value = resolve(tag, node.value)
    if rtag == BINARY:
        try:
            decoded = base64.b64decode(node.value.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ResolveFailure("!!binary value contains invalid base64 data") from exc
        return Scalar(BINARY, decoded.decode("utf-8", errors="replace"), node.value)
    return Scalar(rtag, value, node.value)


def type_error(tag: str, text: str | None, go_type: str) -> str:
    """yaml.v2 ``terror`` text: ``cannot unmarshal !!str `600` into int`` (long values abbreviated)."""
    if text is None:
        return f"cannot unmarshal {tag} into {go_type}"
    shown = text if len(text) <= 10 else text[:7] + "..."
    return f"cannot unmarshal {tag} `{shown}` into {go_type}"


def to_go_int(scalar: Scalar) -> tuple[int | None, bool]:
    """Value for a Go ``int`` field and whether a float was truncated; ``(None, False)`` = type error."""
    value = scalar.value
    if scalar.tag == INT and isinstance(value, int) and not isinstance(value, bool):
        return (value, False) if INT64_MIN <= value <= INT64_MAX else (None, False)
    if scalar.tag == FLOAT and isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or not (INT64_MIN <= value < 2.0**63):
            return None, False
        whole = int(value)
        return whole, float(whole) != value
    return None, False


def to_go_bool(scalar: Scalar) -> bool | None:
    if scalar.tag == BOOL and isinstance(scalar.value, bool):
        return scalar.value
    return None


def to_go_string(scalar: Scalar) -> str:
    """Any non-null scalar into a string field: the raw text (``!!binary`` decoded)."""
    if scalar.tag == BINARY and isinstance(scalar.value, str):
        return scalar.value
    return scalar.text
