"""Named tasks over the real API: create, show, list, update, delete, run; secrets stay write-only."""

from __future__ import annotations

import pytest
from api_support import b64, client, full_log, wait_status
from harness import ServiceStack

pytestmark = pytest.mark.integration

SECRET = "task-secret-value-42"
PASSWORD = "registry-password-77"


def test_tasks_crud_and_a_run_with_values_merged_over_the_tasks(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    stack.start_worker("w1")
    task = (f"version: v1.1.0\nsteps:\n  - cmd: {base_image} echo greeting={{{{.Values.greeting}}}} "
            f"target={{{{.Values.target}}}} secret={{{{.Values.token}}}} task={{{{.Run.TaskName}}}}\n")
    body = {"name": "hello-task", "kind": "encoded", "encodedTask": b64(task), "timeout": 600,
            "values": {"greeting": "hi", "target": "task"}, "secretValues": {"token": SECRET},
            "credentials": [{"registry": stack.registry, "username": "bot", "password": PASSWORD}],
            "context": "https://ci-bot:pat-in-url@git.example.com/org/repo.git#main"}
    with client(stack) as api:
        created = api.post("/v1/tasks", json=body)
        assert created.status_code == 201, created.text
        shown = created.json()
        assert shown["name"] == "hello-task" and shown["status"] == "Enabled" and shown["timeout"] == 600
        assert shown["values"] == {"greeting": "hi", "target": "task"}
        # a git context gets ACR's default commit trigger, and with it a webhook secret (shown once)
        assert shown["secretNames"] == {"secretValues": ["token"], "credentials": [stack.registry],
                                        "webhookSecret": True}
        assert len(shown["webhookSecret"]) >= 32
        assert shown["context"] == "https://***@git.example.com/org/repo.git#main"
        assert shown["encodedTask"] == b64(task)
        for text in (created.text, api.get("/v1/tasks/hello-task").text, api.get("/v1/tasks").text):
            assert SECRET not in text and PASSWORD not in text and "pat-in-url" not in text
        assert api.post("/v1/tasks", json=body).status_code == 409
        assert api.get("/v1/tasks/no-such-task").status_code == 404
        short = api.post("/v1/tasks", json={**body, "name": "abc"})
        assert short.status_code == 422 and short.json()["error"]["fields"][0]["field"] == "name"
        upload = api.post("/v1/tasks", json={**body, "name": "upload-task", "context": f"upload:sha256:{'0' * 64}"})
        assert upload.status_code == 422 and upload.json()["error"]["fields"][0]["field"] == "context"
        timeout = api.post("/v1/tasks", json={**body, "name": "quick-task", "timeout": 60})
        assert timeout.status_code == 422 and timeout.json()["error"]["fields"][0]["field"] == "timeout"
        invalid = api.post("/v1/tasks", json={**body, "name": "broken-task", "context": None,
                                              "encodedTask": b64("steps:\n  - cmd: busybox\n    when: [x]\n")})
        assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_task"

        # The task's context is a placeholder git URL nothing can fetch; point it at no context to run it.
        patched = api.patch("/v1/tasks/hello-task", json={"context": None, "values": {"greeting": "hello",
                                                                                       "target": "task"}})
        assert patched.status_code == 200, patched.text
        assert patched.json()["context"] is None and patched.json()["values"]["greeting"] == "hello"
        assert patched.json()["secretNames"]["secretValues"] == ["token"]  # kept: not in the patch
        assert patched.json()["creationDate"] == shown["creationDate"]

        reply = api.post("/v1/tasks/hello-task/runs", json={"values": {"target": "run"}})
        assert reply.status_code == 201, reply.text
        run = reply.json()
        assert (run["runType"], run["trigger"], run["task"], run["timeout"]) == ("AutoRun", "Manual", "hello-task",
                                                                                 600)
        record = wait_status(api, run["runId"], {"Succeeded", "Failed", "Error"})
        log = full_log(api, run["runId"]).decode()
        assert record["status"] == "Succeeded", log
        assert "greeting=hello target=run secret=*** task=hello-task" in log and SECRET not in log
        assert [r["runId"] for r in api.get("/v1/runs", params={"task": "hello-task"}).json()["runs"]] == [
            run["runId"]]

        assert api.patch("/v1/tasks/hello-task", json={"status": "Disabled"}).json()["status"] == "Disabled"
        disabled = api.post("/v1/tasks/hello-task/runs")
        assert disabled.status_code == 409 and disabled.json()["error"]["code"] == "conflict"
        switched = api.patch("/v1/tasks/hello-task", json={"kind": "cmd", "cmd": f"{base_image} true"})
        assert switched.status_code == 200 and switched.json()["kind"] == "cmd"
        assert switched.json()["encodedTask"] is None
        assert [t["name"] for t in api.get("/v1/tasks").json()["tasks"]] == ["hello-task"]
        assert api.delete("/v1/tasks/hello-task").status_code == 204
        assert api.delete("/v1/tasks/hello-task").status_code == 404
        assert api.get("/v1/tasks").json() == {"tasks": []}
