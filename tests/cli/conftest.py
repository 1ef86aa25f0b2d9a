"""CLI unit-test fixtures: a clean environment (no server configured unless a test asks) and the fake API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeapi import FakeApi

from tasks_engine.cli.remote import follow
from tasks_engine.cli.remote.client import ApiClient

SERVER = "http://tasks.example:8080"


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own TASKS_ENGINE_SERVER must not turn the local-mode tests into remote ones."""
    for name in ("TASKS_ENGINE_SERVER", "TASKS_ENGINE_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """Remote mode configured through the environment, answered by an in-memory API; waits are instant."""
    fake = FakeApi()
    monkeypatch.setattr(ApiClient, "transport", fake.transport())
    monkeypatch.setenv("TASKS_ENGINE_SERVER", SERVER)
    monkeypatch.setenv("TASKS_ENGINE_TOKEN", fake.token)
    monkeypatch.setattr(follow, "POLL_FIRST", 0.001)
    monkeypatch.setattr(follow, "POLL_MAX", 0.001)
    yield fake
