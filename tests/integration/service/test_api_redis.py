"""Redis down: the API answers 503 with Retry-After (never a 500 or a traceback) and recovers by itself."""

from __future__ import annotations

import pytest
from api_support import client
from harness import ServiceStack, wait_until

pytestmark = pytest.mark.integration


def test_redis_down_is_503_and_the_api_recovers_when_it_returns(stack: ServiceStack) -> None:
    api_process = stack.start_api()
    with client(stack) as api:
        run_id = api.post("/v1/runs", json={"kind": "cmd", "cmd": "busybox true", "agentPool": "nobody"}
                          ).json()["runId"]
        stack.redis.stop()
        assert api.get("/healthz").status_code == 200  # the process still serves
        ready = api.get("/readyz")
        assert ready.status_code == 503 and ready.json()["error"]["code"] == "unavailable"
        for method, path, body in (("POST", "/v1/runs", {"kind": "cmd", "cmd": "busybox true"}),
                                   ("GET", f"/v1/runs/{run_id}", None), ("GET", "/v1/runs", None),
                                   ("GET", f"/v1/runs/{run_id}/logs", None), ("GET", "/metrics", None),
                                   ("GET", f"/v1/runs/{run_id}/logs?follow=1", None)):
            reply = api.request(method, path, json=body)
            assert reply.status_code == 503, (method, path, reply.text)
            assert reply.headers["Retry-After"] == "2"
            assert reply.json()["error"]["code"] == "unavailable"
        stack.redis.start()
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout=20, what="the API to see Redis again")
        again = api.post("/v1/runs", json={"kind": "cmd", "cmd": "busybox true", "agentPool": "nobody"})
        assert again.status_code == 201, again.text
        assert api.get(f"/v1/runs/{run_id}").json()["status"] == "Queued"
    assert "Traceback" not in api_process.text()
    assert "internal error" not in api_process.text()
