"""The whole API app (console included) over a fakeredis store, for the console's unit tests.

The store runs its real Lua scripts (fakeredis + lupa); runs are "queued" by a dispatcher that only records.
Nothing executes: tests move runs along with the store's own transitions where they need other statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fakeredis
import httpx

from tasks_engine.api import ApiDeps, create_app
from tasks_engine.config import ServiceSettings
from tasks_engine.service.access import AccessService
from tasks_engine.service.tasks import TaskService
from tasks_engine.service.usecases import RunService
from tasks_engine.store import Keys, RedisStore, Role, SecretBox, new_key
from tasks_engine.store.blobs import FolderBlobStore

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Recorder:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def dispatch(self, run_id: str, queue: str) -> None:
        self.sent.append((run_id, queue))


@dataclass
class Console:
    """A signed-out browser-like client (cookies kept) against the app, plus the parts behind it."""

    app: Any
    store: RedisStore
    runs: RunService
    tasks: TaskService
    client: httpx.Client
    tokens: dict[Role, str]
    deps: ApiDeps

    def csrf(self, page: httpx.Response) -> str:
        found = CSRF.search(page.text)
        assert found, page.text[:2000]
        return found.group(1)

    def login(self, role: Role = Role.ADMIN) -> httpx.Response:
        form = self.client.get("/console/login")
        return self.client.post("/console/login", data={"csrf": self.csrf(form), "token": self.tokens[role],
                                                          "next": "/console/runs"})


def make_console(tmp_path: Path) -> Console:
    key = new_key()
    settings = ServiceSettings(encryption_key=key, run_id_prefix="ca", blob_dir=str(tmp_path / "blobs"))
    store = RedisStore(fakeredis.FakeRedis(), keys=Keys("te"), box=SecretBox([key]))
    store.broker_prefix = "te:celery:"
    runs = RunService(store, Recorder(), settings)
    tasks = TaskService(store, runs)
    deps = ApiDeps(settings=settings, store=store, runs=runs, tasks=tasks, access=AccessService(store),
                   blobs=FolderBlobStore(tmp_path / "blobs"), server_keys=[key], open_async=lambda: None)
    app = create_app(deps)
    tokens = {role: str(store.create_token(role.value, role)) for role in Role}
    client = httpx.Client(transport=_transport(app),
                          base_url="http://console.test", follow_redirects=False)
    return Console(app, store, runs, tasks, client, tokens, deps)


def _transport(app: Any) -> httpx.BaseTransport:
    """httpx's ASGI transport is async-only: this runs each request to completion in a fresh event loop."""
    import anyio

    class Sync(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            async def send() -> httpx.Response:
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with httpx.AsyncClient(transport=transport) as client:
                    reply = await client.send(request)
                    await reply.aread()
                    return reply

            reply = anyio.run(send)
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content,
                                  request=request)

    return Sync()


REPORT = {"image": {"registry": "127.0.0.1:5000", "repository": "team/app", "tag": "v1",
                    "digest": "sha256:" + "a" * 64, "reference": "127.0.0.1:5000/team/app:v1"},
          "runtime-dependency": {"registry": "127.0.0.1:5000", "repository": "tasks-engine/busybox", "tag": "latest",
                                 "digest": "sha256:" + "b" * 64,
                                 "reference": "127.0.0.1:5000/tasks-engine/busybox:latest"},
          "buildtime-dependency": [{"registry": "127.0.0.1:5000", "repository": "tools/builder", "tag": "1",
                                    "digest": "sha256:" + "c" * 64, "reference": "127.0.0.1:5000/tools/builder:1"}],
          "git": {"git-head-revision": "0123abc"}}


def finished_run(console: Console, *, task: str = "", status: str = "Succeeded", log: bytes = b"",
                 **documents: Any) -> str:
    """A run taken through the store's own transitions (claim, update, finish), with what a worker writes."""
    from tasks_engine.runtime.results import RunStatus
    from tasks_engine.store import RunRequest, RunType

    record = console.store.create_run(id_prefix="ca", queue="runs", run_type=RunType.QUICK_RUN,
                                      request=RunRequest(kind="cmd", cmd="busybox true"), task=task)
    claim = console.store.claim(record.run_id, worker="w1@host", lease_ttl=60)
    assert claim is not None
    console.store.update(claim, status=RunStatus.RUNNING)
    if log:
        console.store.append_log(record.run_id, [log], claim=claim)
    assert console.store.finish(claim, RunStatus(status), **documents)
    return record.run_id
