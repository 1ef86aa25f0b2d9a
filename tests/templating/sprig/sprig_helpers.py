"""Shared fixtures for the Sprig tests: a fixed clock, environment and UUID source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tasks_engine.templating.sprig import sprig_functions

NOW = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
ENV = {"HOME": "/root", "REGISTRY": "myregistry.azurecr.io", "EMPTY": ""}

FUNCS: dict[str, Callable[..., object]] = sprig_functions(
    now=lambda: NOW, environ=ENV, new_uuid=lambda: "00000000-0000-4000-8000-000000000000"
)


def call(name: str, *args: object) -> object:
    """Call a Sprig function the way the engine does: Go argument order, pipeline value last."""
    return FUNCS[name](*args)
