"""Runs over the real API: a quick cmd end to end, invalid tasks refused before queueing, cancel, listing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from api_support import b64, client, full_log, iter_events, wait_status
from harness import ServiceStack, run_containers, wait_until

from tasks_engine.api import sse

pytestmark = pytest.mark.integration

SECRET = "hunter2-not-for-logs"


def test_a_quick_cmd_run_from_submit_to_its_streamed_log(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    stack.start_worker("w1")
    with client(stack) as api:
        task = f"version: v1.1.0\nsteps:\n  - cmd: {base_image} echo hello {{{{.Values.who}}}} {{{{.Values.pw}}}}\n"
        reply = api.post("/v1/runs", json={"kind": "encoded", "encodedTask": b64(task), "values": {"who": "world"},
                                           "secretValues": {"pw": SECRET}})
        assert reply.status_code == 201, reply.text
        run = reply.json()
        run_id = run["runId"]
        assert reply.headers["Location"] == f"/v1/runs/{run_id}"
        assert (run["status"], run["runType"], run["trigger"]) == ("Queued", "QuickRun", "Manual")
        assert "request" not in run and SECRET not in reply.text
        with api.stream("GET", f"/v1/runs/{run_id}/logs", params={"follow": 1}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-cache"
            events = list(iter_events(stream))
        assert events[0] == "retry:2000"
        logs = [e for e in events if isinstance(e, sse.Event) and e.name == "log"]
        streamed = b"".join(sse.log_bytes(e.data) for e in logs)
        assert int(logs[-1].event_id or 0) == len(streamed)
        statuses = [json.loads(e.data)["status"] for e in events if isinstance(e, sse.Event) and e.name == "status"]
        assert statuses[-1] == "Succeeded" and set(statuses) <= {"Queued", "Started", "Running", "Succeeded"}
        eof = events[-1]
        assert isinstance(eof, sse.Event) and eof.name == "eof"
        assert json.loads(eof.data) == {"status": "Succeeded", "runErrorMessage": None, "logBytes": len(streamed)}
        assert streamed == full_log(api, run_id)
        text = streamed.decode()
        assert "hello world ***" in text and SECRET not in text
        assert text.rstrip("\n").splitlines()[-1].startswith(f"Run ID: {run_id} was successful after")
        plain = api.get(f"/v1/runs/{run_id}/logs", params={"offset": 6})
        assert plain.content == streamed[6:]
        assert (plain.headers["X-Log-Complete"], plain.headers["X-Run-Status"]) == ("true", "Succeeded")
        beyond = api.get(f"/v1/runs/{run_id}/logs", params={"offset": len(streamed) + 1})
        assert beyond.status_code == 416 and beyond.headers["X-Log-Size"] == str(len(streamed))
        record = api.get(f"/v1/runs/{run_id}").json()
        assert record["status"] == "Succeeded" and record["steps"][0]["status"] == "successful"
        assert record["logBytes"] == len(streamed) and "queueInfo" not in record
        listed = api.get("/v1/runs", params={"status": "Succeeded"}).json()
        assert [r["runId"] for r in listed["runs"]] == [run_id] and listed["nextCursor"] is None
        assert SECRET not in api.get("/v1/runs").text


def test_an_invalid_encoded_task_is_422_with_file_line_col_problems_and_no_run(stack: ServiceStack) -> None:
    stack.start_api()
    task = "version: v1.1.0\nsteps:\n  - id: a\n    cmd: busybox\n    when: [nowhere]\n"
    with client(stack) as api:
        reply = api.post("/v1/runs", json={"kind": "encoded", "encodedTask": b64(task), "taskFile": "bad.yaml"})
        assert reply.status_code == 422, reply.text
        error = reply.json()["error"]
        assert error["code"] == "invalid_task"
        problems = error["problems"]
        assert problems and all(p["file"] == "bad.yaml" and p["line"] > 0 and p["column"] > 0 for p in problems)
        assert any(p["line"] == 5 and "nowhere" in p["message"] for p in problems), problems
        assert api.get("/v1/runs").json() == {"runs": [], "nextCursor": None}
        broken = api.post("/v1/runs", json={"kind": "encoded", "encodedTask": "###"})
        assert broken.status_code == 422
        assert broken.json()["error"]["fields"] == [{"field": "encodedTask", "message": "not valid base64"}]
        unknown = api.post("/v1/runs", json={"kind": "cmd", "cmd": "true", "tiemout": 5})
        assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "tiemout"
        missing = api.post("/v1/runs", json={"kind": "build", "context": f"upload:sha256:{'0' * 64}",
                                             "build": {"tags": []}})
        assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "context"
        assert api.get("/v1/runs").json()["runs"] == []


def test_cancel_through_the_api_queued_and_running(stack: ServiceStack, base_image: str,
                                                   docker_client: Any) -> None:
    stack.start_api()
    with client(stack) as api:
        queued = api.post("/v1/runs", json={"kind": "cmd", "cmd": f"{base_image} true", "agentPool": "nobody"})
        queued_id = queued.json()["runId"]
        shown = api.get(f"/v1/runs/{queued_id}").json()
        assert shown["queueInfo"]["queue"] == "runs.pool.nobody" and shown["queueInfo"]["workersListening"] == 0
        for _ in range(2):  # idempotent
            canceled = api.post(f"/v1/runs/{queued_id}/cancel")
            assert canceled.status_code == 202 and canceled.json()["status"] == "Canceled"
        assert api.post("/v1/runs/nosuchrun/cancel").status_code == 404

        stack.start_worker("w1")
        run_id = api.post("/v1/runs", json={"kind": "cmd", "cmd": f"{base_image} sh -c 'echo started; sleep 60'"}
                          ).json()["runId"]
        wait_until(lambda: b"started" in full_log(api, run_id), timeout=60, what="the step to start")
        asked = time.monotonic()
        reply = api.post(f"/v1/runs/{run_id}/cancel")
        assert reply.status_code == 202 and reply.json()["cancelRequested"] is True
        record = wait_status(api, run_id, {"Canceled", "Failed", "Succeeded", "Error"}, timeout=15)
        assert record["status"] == "Canceled"
        assert time.monotonic() - asked < 10
        wait_until(lambda: not [c for c in run_containers(docker_client, run_id) if c.status == "running"],
                   timeout=10, what="the containers to stop")
        assert api.post(f"/v1/runs/{run_id}/cancel").json()["status"] == "Canceled"
