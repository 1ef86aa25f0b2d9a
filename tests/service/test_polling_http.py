"""The poller's HTTP against a real HTTP server on loopback that behaves like a token-auth registry (Docker
Hub's flow): 401 with a Bearer challenge, the token endpoint, HEAD with all four Accept types, 429, errors.

The distribution registry the integration test polls has no token auth; this server is the token flow's real
counterpart, with what it checks written down (the Accept header, the scope, the bearer token)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import fakeredis
import pytest

from tasks_engine.credentials import RegistryCredential
from tasks_engine.egress import DEFAULT_POLICY
from tasks_engine.service.depindex import IndexReader, _entry
from tasks_engine.service.polling import PolledRegistry, Poller
from tasks_engine.store import Keys, RedisStore
from tasks_engine.triggers import MANIFEST_ACCEPT, BaseImage, DependencyKind, ImageUpdate, PollPolicy, TaskNode


class Registry(ThreadingHTTPServer):
    digest = "sha256:" + "a" * 64
    status = 200
    tokens_issued = 0
    accepts: list[str]
    auth: list[str]


class Handler(BaseHTTPRequestHandler):
    server: Registry

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # the token endpoint
        assert self.path.startswith("/token?")
        assert "scope=repository%3Alibrary%2Fnode%3Apull" in self.path and "service=registry.test" in self.path
        self.server.auth.append(self.headers.get("Authorization", ""))
        self.server.tokens_issued += 1
        body = json.dumps({"token": f"tok-{self.server.tokens_issued}", "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        assert self.path == "/v2/library/node/manifests/20"
        self.server.accepts.append(self.headers.get("Accept", ""))
        if not self.headers.get("Authorization", "").startswith("Bearer tok-"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer realm="http://127.0.0.1:{self.server.server_port}/token",'
                             'service="registry.test",scope="repository:library/node:pull"')
            self.end_headers()
            return
        self.send_response(self.server.status)
        if self.server.status == 200:
            self.send_header("Docker-Content-Digest", self.server.digest)
        if self.server.status == 429:
            self.send_header("ratelimit-remaining", "0;w=21600")
        self.end_headers()


@pytest.fixture
def registry() -> Iterator[Registry]:
    server = Registry(("127.0.0.1", 0), Handler)
    server.accepts, server.auth = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


class Updates:
    def __init__(self) -> None:
        self.seen: list[ImageUpdate] = []

    def on_updates(self, updates: list[ImageUpdate]) -> None:
        self.seen += updates


def poller(registry: Registry) -> tuple[Poller, Updates, RedisStore, list[datetime]]:
    store = RedisStore(fakeredis.FakeRedis(), keys=Keys("t"), box=None)
    host = f"127.0.0.1:{registry.server_port}"
    image = f"{host}/library/node:20"
    node = TaskNode("app", {image: BaseImage(image, DependencyKind.RUNTIME, "sha256:" + "0" * 64)})
    store.put_dependency_entry("app", _entry(node))
    updates = Updates()
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    made = Poller(store, IndexReader(store), updates, [PolledRegistry.parse(f"http://{host}")],  # type: ignore[arg-type]
                  policy=PollPolicy(interval=60), egress=DEFAULT_POLICY, clock=lambda: now[0], rand=lambda: 0.5,
                  credentials=[RegistryCredential(host, "robot", "pw")])
    return made, updates, store, now


def test_a_poll_fetches_a_token_heads_with_every_manifest_type_and_reports_a_change_once(registry: Registry) -> None:
    made, updates, store, now = poller(registry)
    made.tick()
    [first] = updates.seen
    assert first.digest == registry.digest and first.event_id.startswith("poll:") and first.source == "poll"
    assert registry.accepts[0] == ", ".join(MANIFEST_ACCEPT) and len(registry.accepts) == 2  # 401, then with token
    assert registry.auth == ["Basic cm9ib3Q6cHc="]  # robot:pw, the engine's credentials for that registry
    made.tick()  # not due yet: no request at all
    assert len(registry.accepts) == 2
    now[0] = now[0].replace(minute=2)
    made.tick()  # due; the cached token goes along at once (no 401 again); the digest did not move: no update
    assert len(updates.seen) == 1 and registry.tokens_issued == 1 and len(registry.accepts) == 3
    registry.digest = "sha256:" + "b" * 64
    now[0] = now[0].replace(minute=10)  # the token (300 s) expired meanwhile: 401, a new token
    made.tick()
    assert [u.digest for u in updates.seen] == [first.digest, registry.digest] and registry.tokens_issued == 2
    assert store.counters("base_image_checks") == {(f"127.0.0.1:{registry.server_port}", "changed"): 2.0,
                                                   (f"127.0.0.1:{registry.server_port}", "unchanged"): 1.0}


def test_a_rate_limited_or_failing_poll_backs_off_and_changes_nothing(registry: Registry) -> None:
    made, updates, store, now = poller(registry)
    registry.status = 429
    made.tick()
    state = store.poll_states([next(iter(made.targets())).image])
    [(image, values)] = state.items()
    assert updates.seen == [] and values["failures"] == "1"
    assert float(values["next"]) - now[0].timestamp() == pytest.approx(15.0)  # full jitter: 0.5 × 30 s
    registry.status = 500
    now[0] = now[0].replace(minute=1)
    made.tick()
    assert store.poll_states([image])[image]["failures"] == "2" and updates.seen == []
    host = f"127.0.0.1:{registry.server_port}"
    assert store.counters("base_image_checks") == {(host, "rate_limited"): 1.0, (host, "error"): 1.0}
