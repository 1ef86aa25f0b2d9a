"""Fixtures for the service's integration tests: a private stack (Redis + workers + API) per test.

Needs redis-server on PATH and the shared Docker daemon, registry and base image (scripts/setup.sh); a
missing piece skips locally and fails under CI=true, like every integration test here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from harness import ServiceStack, missing, service_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(docker_client: Any, registry: str, base_image: str) -> Iterator[ServiceStack]:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(registry) as s:
        yield s


@pytest.fixture
def stack_factory(docker_client: Any, registry: str, base_image: str) -> Iterator[Any]:
    """For tests that need non-default settings: ``stack_factory(maxAttempts=1)``."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    opened: list[Any] = []

    def make(**settings: Any) -> ServiceStack:
        manager = service_stack(registry, settings=settings)
        opened.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(opened):
        manager.__exit__(None, None, None)
