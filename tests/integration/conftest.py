"""Service fixtures shared by every integration test: Docker daemon, registry, base image, Redis.

A missing service skips the test on a developer machine but fails it when ``CI=true``: CI must never go
green by skipping everything. Addresses come from ``TE_REGISTRY``, ``TE_BASE_IMAGE`` and ``TE_REDIS_URL``
(written by scripts/setup.sh), with the defaults of that script.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

DEFAULT_REGISTRY = "127.0.0.1:5000"
DEFAULT_BASE_IMAGE = "127.0.0.1:5000/tasks-engine/busybox:latest"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _missing(what: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: integration services must be running; see scripts/setup.sh)")
    pytest.skip(f"{what}; run scripts/setup.sh to start the integration services")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:
        _missing(f"Docker daemon not reachable: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def registry() -> str:
    """``host:port`` of a registry without auth."""
    address = os.environ.get("TE_REGISTRY", DEFAULT_REGISTRY)
    try:
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=3) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        _missing(f"registry at {address} not reachable: {exc}")
    return address


@pytest.fixture(scope="session")
def base_image(docker_client: Any) -> str:
    """A small busybox image (sh, echo, wget, httpd, nc ...), present locally."""
    ref = os.environ.get("TE_BASE_IMAGE", DEFAULT_BASE_IMAGE)
    try:
        docker_client.images.get(ref)
    except Exception:
        try:
            docker_client.images.pull(ref)
        except Exception as exc:
            _missing(f"base image {ref} not available: {exc}")
    return ref


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TE_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        _missing(f"Redis at {url} not reachable: {exc}")
    return url
