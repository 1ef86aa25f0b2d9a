"""An in-memory stand-in for the Tasks Engine API (docs/api.md), served through ``httpx.MockTransport``.

For unit tests of the CLI's remote mode only: it lets a test script what the server answers (a run's log
and final status, a dropped stream, an error status) and inspect what the CLI sent. The integration tests in
tests/integration/service/test_cli_*.py run the same commands against the real API, workers and Docker.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN = "te_unit-test-token-0123456789"
INVALID = "aW52YWxpZA=="  # base64("invalid"): an encoded task the fake refuses as the real API would


@dataclass
class ScriptedRun:
    chunks: list[str]
    status: str = "Succeeded"
    polls_before_done: int = 1


@dataclass
class FakeApi:
    token: str = TOKEN
    requests: list[httpx.Request] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    scripts: dict[str, ScriptedRun] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_script: ScriptedRun | None = None
    drop_after_events: int | None = None  # drop the next follow connection after this many log events
    fail: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    queue_info: dict[str, Any] | None = None
    seq: int = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- plumbing ---------------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self.error(401, "unauthorized", "unknown token")
        for (m, p), (status, error) in self.fail.items():
            if m == method and path.startswith(p):
                return httpx.Response(status, json={"error": {"status": status, **error}})
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if method in ("POST", "PATCH") and path != "/v1/uploads" and request.content:
            self.bodies.append(json.loads(request.content))
        handler = getattr(self, f"_{parts[0]}", None)
        if handler is None:
            return self.error(404, "not_found", f"no route {path}")
        response: httpx.Response = handler(method, parts[1:], request)
        return response

    @staticmethod
    def error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
        return httpx.Response(status, json={"error": {"status": status, "code": code, "message": message,
                                                      **extra}})

    def invalid_task(self) -> httpx.Response:
        return self.error(422, "invalid_task", "invalid task", problems=[
            {"severity": "error", "message": "steps is required", "line": 1, "column": 1, "path": "",
             "file": "<encoded task>"}])

    def last_body(self) -> dict[str, Any]:
        return self.bodies[-1]

    # -- uploads and runs -------------------------------------------------------------------------------------

    def _uploads(self, method: str, rest: list[str], request: httpx.Request) -> httpx.Response:
        data = request.read()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if request.headers.get("X-Content-SHA256") not in (None, digest):
            return self.error(422, "invalid_request", "digest mismatch")
        self.uploads[digest] = data
        return httpx.Response(201, json={"digest": digest, "size": len(data)})

    def new_run(self, *, task: str = "", run_type: str = "QuickRun") -> dict[str, Any]:
        self.seq += 1
        run_id = f"ca{self.seq}"
        record: dict[str, Any] = {"runId": run_id, "status": "Queued", "runType": run_type, "trigger": "Manual",
                                  "task": task or None, "createTime": "2026-01-02T03:04:05+00:00",
                                  "startTime": None, "finishTime": None, "platform": {"os": "linux",
                                                                                     "architecture": "amd64"}}
        if self.queue_info is not None:
            record["queueInfo"] = self.queue_info
        self.runs[run_id] = record
        script = self.next_script or ScriptedRun([f"hello from {run_id}\n",
                                                  f"Run ID: {run_id} was successful after 1s\n"])
        self.scripts[run_id] = script
        return record

    def _finish(self, run_id: str) -> None:
        record = self.runs[run_id]
        record.update(status=self.scripts[run_id].status, startTime="2026-01-02T03:04:06+00:00",
                      finishTime="2026-01-02T03:05:07+00:00")

    def _runs(self, method: str, rest: list[str], request: httpx.Request) -> httpx.Response:
        if not rest:
            if method == "POST":
                body = self.last_body()
                if body.get("encodedTask") == INVALID:
                    return self.invalid_task()
                record = self.new_run(run_type="QuickBuild" if body["kind"] == "build" else "QuickRun")
                return httpx.Response(201, json=record)
            runs = list(reversed(self.runs.values()))
            task = request.url.params.get("task")
            status = request.url.params.get("status")
            runs = [r for r in runs if (not task or r["task"] == task) and (not status or r["status"] == status)]
            return httpx.Response(200, json={"runs": runs[: int(request.url.params.get("top", 15))],
                                             "nextCursor": None})
        run_id = rest[0]
        if run_id not in self.runs:
            return self.error(404, "not_found", f"no run {run_id}")
        if len(rest) == 1:
            script = self.scripts[run_id]
            if self.runs[run_id]["status"] == "Queued":
                script.polls_before_done -= 1
                if script.polls_before_done < 0:
                    self._finish(run_id)
            return httpx.Response(200, json=self.runs[run_id])
        if rest[1] == "cancel":
            self.scripts[run_id].status = "Canceled"
            self._finish(run_id)
            return httpx.Response(202, json=self.runs[run_id])
        return self._follow(run_id, request)

    def _follow(self, run_id: str, request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        last = request.headers.get("Last-Event-ID")
        offset = max(offset, int(last)) if last else offset
        script = self.scripts[run_id]
        drop, self.drop_after_events = self.drop_after_events, None
        info = {"queueInfo": self.queue_info} if self.queue_info else {}

        def stream() -> Iterator[bytes]:
            yield b"retry: 50\n\n"
            yield f"event: status\ndata: {json.dumps({'status': 'Queued', **info})}\n\n".encode()
            position, sent = 0, 0
            for chunk in script.chunks:
                data = chunk.encode("utf-8", "surrogateescape")
                start, position = position, position + len(data)
                if position <= offset:
                    continue
                piece = data[max(0, offset - start):]
                if drop is not None and sent >= drop:
                    raise httpx.ReadError("connection reset by peer")
                text = json.dumps(piece.decode("utf-8", "surrogateescape"))
                yield f"id: {position}\nevent: log\ndata: {text}\n\n".encode()
                sent += 1
                yield b": ping\n\n"
            self._finish(run_id)
            yield f"event: eof\ndata: {json.dumps({'status': script.status, 'logBytes': position})}\n\n".encode()

        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=stream())

    # -- tasks and tokens -------------------------------------------------------------------------------------

    def _tasks(self, method: str, rest: list[str], request: httpx.Request) -> httpx.Response:
        if not rest:
            if method == "POST":
                body = self.last_body()
                if body.get("encodedTask") == INVALID:
                    return self.invalid_task()
                if body["name"] in self.tasks:
                    return self.error(409, "conflict", f"task {body['name']} exists")
                task = {"name": body["name"], "status": body.get("status", "Enabled"),
                        "platform": {"os": "linux", "architecture": "amd64"}, "timeout": body.get("timeout"),
                        "step": {k: v for k, v in body.items() if k not in ("name", "secretValues", "credentials")},
                        "triggers": {}, "secretNames": {"values": sorted(body.get("secretValues", {}))}}
                self.tasks[body["name"]] = task
                return httpx.Response(201, json=task)
            return httpx.Response(200, json={"tasks": list(self.tasks.values())})
        name = rest[0]
        if name not in self.tasks:
            return self.error(404, "not_found", f"no task {name}")
        if len(rest) == 2 and rest[1] == "runs":
            return httpx.Response(201, json=self.new_run(task=name, run_type="AutoRun"))
        if method == "DELETE":
            del self.tasks[name]
            return httpx.Response(204)
        if method == "PATCH":
            self.tasks[name]["step"].update({k: v for k, v in self.last_body().items() if k != "secretValues"})
        return httpx.Response(200, json=self.tasks[name])

    def _tokens(self, method: str, rest: list[str], request: httpx.Request) -> httpx.Response:
        if method == "POST":
            body = self.last_body()
            created = {"name": body["name"], "role": body["role"], "created": "2026-01-02T03:04:05+00:00"}
            self.tokens[body["name"]] = created
            return httpx.Response(201, json={**created, "token": f"te_new-{body['name']}"})
        if method == "DELETE":
            if rest[0] not in self.tokens:
                return self.error(404, "not_found", f"no token {rest[0]}")
            del self.tokens[rest[0]]
            return httpx.Response(204)
        return httpx.Response(200, json={"tokens": list(self.tokens.values())})
