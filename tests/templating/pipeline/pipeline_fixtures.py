"""A fixed clock and fixed uuids, so rendering is deterministic in every pipeline test."""

from __future__ import annotations

from datetime import UTC, datetime

FIXED_NOW = datetime(2010, 5, 20, 13, 14, 22, tzinfo=UTC)
FIXED_UUID = "00000000-0000-4000-8000-000000000000"


def fixed_now() -> datetime:
    return FIXED_NOW


def fixed_uuid() -> str:
    return FIXED_UUID
