"""Redis down: the API answers 503 with Retry-After (never a 500 or a traceback) and recovers by itself."""

from __future__ import annotations

import json

import pytest
from api_support import client, iter_events
from harness import ServiceStack, wait_until

from tasks_engine.api import sse

pytestmark = pytest.mark.integration


def test_redis_down_is_503_and_the_api_recovers_when_it_returns(stack: ServiceStack) -> None:
    api_process = stack.start_api()
    with client(stack) as api:
        run_id = api.post("/v1/runs", json={"kind": "cmd", "cmd": "busybox true", "agentPool": "nobody"}
                          ).json()["runId"]
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"follow": 1}) as stream:
            events = iter_events(stream)
            assert next(events) == "retry:2000"
            assert isinstance(next(events), sse.Event)  # Queued: the follower is blocked on XREAD now
            stack.redis.stop()
            ended = list(events)  # a follower cut off from Redis says so and ends its stream
        assert len(ended) == 1 and isinstance(ended[0], sse.Event) and ended[0].name == "error"
        assert json.loads(ended[0].data)["code"] == "unavailable"
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
