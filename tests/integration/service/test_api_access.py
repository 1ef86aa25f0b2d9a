"""The auth matrix over HTTP: tokens made through the API, 401 without a valid one, 403 for a small role."""

from __future__ import annotations

import pytest
from api_support import client, new_token
from harness import ServiceStack

pytestmark = pytest.mark.integration

CMD = {"kind": "cmd", "cmd": "busybox true", "agentPool": "nobody"}
TASK = {"name": "auth-task", "kind": "cmd", "cmd": "busybox true", "agentPool": "nobody"}


def test_each_role_may_do_its_share_and_no_more(stack: ServiceStack) -> None:
    stack.start_api()
    reader, runner = new_token(stack, "reader"), new_token(stack, "runner")
    with client(stack) as admin, client(stack, reader) as as_reader, client(stack, runner) as as_runner:
        run_id = as_runner.post("/v1/runs", json=CMD).json()["runId"]
        assert admin.post("/v1/tasks", json=TASK).status_code == 201
        # reader: read only
        for path in ("/v1/runs", f"/v1/runs/{run_id}", f"/v1/runs/{run_id}/logs", "/v1/tasks", "/v1/tasks/auth-task",
                     "/v1/workers"):
            assert as_reader.get(path).status_code == 200, path
        for method, path, body in (("POST", "/v1/runs", CMD), ("POST", f"/v1/runs/{run_id}/cancel", None),
                                   ("POST", "/v1/uploads", None), ("POST", "/v1/tasks/auth-task/runs", None),
                                   ("POST", "/v1/tasks", TASK), ("GET", "/v1/tokens", None)):
            reply = as_reader.request(method, path, json=body)
            assert reply.status_code == 403, (method, path, reply.text)
            assert reply.json()["error"]["code"] == "forbidden"
        # runner: + submit, cancel, run tasks; not tasks' definitions nor tokens
        assert as_runner.post("/v1/tasks/auth-task/runs").status_code == 201
        assert as_runner.post(f"/v1/runs/{run_id}/cancel").status_code == 202
        for method, path, body in (("POST", "/v1/tasks", {**TASK, "name": "other-task"}),
                                   ("PATCH", "/v1/tasks/auth-task", {"status": "Disabled"}),
                                   ("DELETE", "/v1/tasks/auth-task", None), ("GET", "/v1/tokens", None),
                                   ("POST", "/v1/tokens", {"name": "sneaky", "role": "admin"}),
                                   ("DELETE", "/v1/tokens/reader-token", None)):
            assert as_runner.request(method, path, json=body).status_code == 403, (method, path)
        # admin: tokens, listed without their secrets
        listed = admin.get("/v1/tokens").json()["tokens"]
        assert {t["name"]: t["role"] for t in listed} == {"admin": "admin", "reader-token": "reader",
                                                          "runner-token": "runner"}
        assert reader not in admin.get("/v1/tokens").text
        assert admin.post("/v1/tokens", json={"name": "reader-token", "role": "reader"}).status_code == 409
        bad_role = admin.post("/v1/tokens", json={"name": "x", "role": "root"})
        assert bad_role.status_code == 422 and bad_role.json()["error"]["fields"][0]["field"] == "role"
        assert admin.delete("/v1/tokens/reader-token").status_code == 204
        assert admin.delete("/v1/tokens/reader-token").status_code == 404
        revoked = as_reader.get("/v1/runs")
        assert revoked.status_code == 401 and "invalid_token" in revoked.headers["WWW-Authenticate"]


def test_no_token_or_a_bad_one_is_401_on_every_v1_route_but_the_probes_are_open(stack: ServiceStack) -> None:
    stack.start_api()
    with client(stack, token=None) as anonymous, client(stack, "te_not-a-real-token") as forged, \
            client(stack, "not even our format") as garbage:
        for api in (anonymous, forged, garbage):
            for method, path in (("GET", "/v1/runs"), ("POST", "/v1/runs"), ("GET", "/v1/runs/ca1"),
                                 ("GET", "/v1/runs/ca1/logs"), ("POST", "/v1/runs/ca1/cancel"), ("GET", "/v1/tasks"),
                                 ("POST", "/v1/tokens"), ("GET", "/v1/workers"), ("POST", "/v1/uploads")):
                reply = api.request(method, path, json={} if method == "POST" else None)
                assert reply.status_code == 401, (method, path, reply.text)
                assert reply.headers["WWW-Authenticate"].startswith("Bearer")
                assert reply.json()["error"]["code"] == "unauthorized"
        basic = anonymous.get("/v1/runs", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        assert basic.status_code == 401
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").status_code == 200
        assert anonymous.get("/metrics").status_code == 200
        assert anonymous.get("/openapi.json").json()["info"]["title"] == "Tasks Engine"
