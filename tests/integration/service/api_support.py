"""Talking to a stack's real API over HTTP: clients, tokens, live SSE reading, waiting on a run's status."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
from harness import ServiceStack, wait_until

from tasks_engine.api import sse

FINISHED = {"Succeeded", "Failed", "Canceled", "Error", "Timeout"}


def client(stack: ServiceStack, token: str | None = "admin", *, timeout: float = 30.0) -> httpx.Client:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {stack.admin_token if token == 'admin' else token}"
    return httpx.Client(base_url=stack.api_url, headers=headers, timeout=timeout)


def new_token(stack: ServiceStack, role: str, name: str | None = None) -> str:
    with client(stack) as admin:
        reply = admin.post("/v1/tokens", json={"name": name or f"{role}-token", "role": role})
    assert reply.status_code == 201, reply.text
    token: str = reply.json()["token"]
    return token


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def iter_events(response: httpx.Response) -> Iterator[sse.Event | str]:
    """SSE events as they arrive (a block is complete at its blank line)."""
    buffer = ""
    for text in response.iter_text():
        buffer += text
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield from sse.parse(block + "\n\n")


def wait_status(api: httpx.Client, run_id: str, wanted: set[str], *, timeout: float = 120.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        record: dict[str, Any] = api.get(f"/v1/runs/{run_id}").json()
        return record if record["status"] in wanted else None

    found: dict[str, Any] = wait_until(check, timeout=timeout, interval=0.2, what=f"run {run_id} in {wanted}")
    return found


def full_log(api: httpx.Client, run_id: str) -> bytes:
    """The whole stored log, by plain GETs from offset 0 until X-Log-Offset reaches X-Log-Size."""
    data, offset = b"", 0
    while True:
        reply = api.get(f"/v1/runs/{run_id}/logs", params={"offset": offset})
        assert reply.status_code == 200, reply.text
        data += reply.content
        offset = int(reply.headers["X-Log-Offset"])
        if offset >= int(reply.headers["X-Log-Size"]):
            return data
