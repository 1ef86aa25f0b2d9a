"""Fixtures for the trigger core: payload files (tests/triggers/payloads, shaped after the forges'
documented payload schemas and examples) as raw bytes, the way the API hands them over."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PAYLOADS = Path(__file__).parent / "payloads"


@pytest.fixture
def payload_bytes() -> Callable[[str], bytes]:
    def load(name: str) -> bytes:
        return (PAYLOADS / name).read_bytes()

    return load


@pytest.fixture
def payload_json() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
        return data

    return load
