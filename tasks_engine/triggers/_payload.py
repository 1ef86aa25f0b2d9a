"""Typed reads from an untrusted JSON body: every wrong shape is a ``TriggerError(400)`` naming the field.

Forge payloads are big, versioned by someone else and sometimes hand-made (the generic hook, replays); a
``KeyError`` or ``TypeError`` deep in a parser would be a 500 and a retry storm, so every read goes through
:class:`Fields`, which says *which* field was missing or had the wrong type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tasks_engine.triggers.errors import bad_request

SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
ZERO_SHA_RE = re.compile(r"^0+$")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (HTTP names are case-insensitive; frameworks differ in what they pass)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def decode_json_object(body: bytes, what: str) -> Fields:
    """The body as a JSON object; invalid UTF-8, invalid JSON or a non-object are 400s."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("the webhook body must be the raw request bytes")
    raw = bytes(body)
    if not raw.strip():
        raise bad_request(f"{what}: the body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"{what}: the body is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad_request(f"{what}: the body is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except RecursionError as exc:
        raise bad_request(f"{what}: the JSON body is nested too deeply") from exc
    if not isinstance(data, dict):
        raise bad_request(f"{what}: the body must be a JSON object, not {_kind(data)}")
    return Fields(data, "")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Fields:
    """A JSON object with a path, for messages such as ``pull_request.head.sha: expected a string``."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _get(self, key: str, *, required: bool) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise bad_request(f"{self.path(key)}: required field is missing")
            return None
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key, required=True)
        if not isinstance(value, str):
            raise bad_request(f"{self.path(key)}: expected a string, got {_kind(value)}")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, required=False)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{self.path(key)}: expected a string, got {_kind(value)}")
        return value

    def nonempty(self, key: str) -> str:
        value = self.text(key).strip()
        if not value:
            raise bad_request(f"{self.path(key)}: must not be empty")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key, required=True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{self.path(key)}: expected an integer, got {_kind(value)}")
        return value

    def opt_integer(self, key: str) -> int | None:
        if self._get(key, required=False) is None:
            return None
        return self.integer(key)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise bad_request(f"{self.path(key)}: expected a boolean, got {_kind(value)}")
        return value

    def obj(self, key: str) -> Fields:
        value = self._get(key, required=True)
        if not isinstance(value, dict):
            raise bad_request(f"{self.path(key)}: expected an object, got {_kind(value)}")
        return Fields(value, self.path(key))

    def opt_obj(self, key: str) -> Fields | None:
        if self._get(key, required=False) is None:
            return None
        return self.obj(key)

    def array(self, key: str, *, required: bool = False) -> list[Any]:
        value = self._get(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise bad_request(f"{self.path(key)}: expected an array, got {_kind(value)}")
        return value

    def objects(self, key: str, *, required: bool = False) -> list[Fields]:
        out: list[Fields] = []
        for index, item in enumerate(self.array(key, required=required)):
            where = f"{self.path(key)}[{index}]"
            if not isinstance(item, dict):
                raise bad_request(f"{where}: expected an object, got {_kind(item)}")
            out.append(Fields(item, where))
        return out

    def strings(self, key: str) -> list[str]:
        out: list[str] = []
        for index, item in enumerate(self.array(key)):
            if not isinstance(item, str):
                raise bad_request(f"{self.path(key)}[{index}]: expected a string, got {_kind(item)}")
            out.append(item)
        return out

    def sha(self, key: str) -> str:
        value = self.text(key).strip().lower()
        if not SHA_RE.fullmatch(value):
            raise bad_request(f"{self.path(key)}: expected a 40- or 64-digit hex commit id, got {value[:80]!r}")
        return value

    def opt_sha(self, key: str) -> str | None:
        """A commit id, or None when absent or all zeros (a created or deleted ref)."""
        value = self.opt_text(key)
        if value is None or ZERO_SHA_RE.fullmatch(value.strip()):
            return None
        return self.sha(key)
