"""A worker never lends its host's ``docker login`` to runs: a registry that asks for credentials gets none
from a run on a worker whose user has logged in to it, unless the operator turns ``hostDockerLogins`` on.

The registry is a stand-in on loopback (the daemon treats 127.0.0.0/8 as an insecure registry and speaks plain
HTTP to it) that answers every request with a Basic challenge and records the ``Authorization`` headers the
daemon sends: the daemon sends them only if the push's ``X-Registry-Auth`` carried the login.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ServiceStack, free_port, wait_until

from tasks_engine.store import RunRequest, RunType

pytestmark = pytest.mark.integration

LOGIN = base64.b64encode(b"operator:hunter2-host-login").decode()


class _Challenger(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def _challenge(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="stand-in"')
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _challenge

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def challenger() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Challenger,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _push(stack: ServiceStack, image: str) -> str:
    from tasks_engine.service.usecases import Submission

    task = f"version: v1.1.0\nsteps:\n  - push: [\"{image}\"]\n"
    request = RunRequest(kind="encoded", encoded_task=task)
    return str(stack.run_service().submit(Submission(request=request, run_type=RunType.QUICK_RUN)).run_id)


def test_a_run_never_pushes_with_the_worker_hosts_docker_login(stack: ServiceStack, challenger: Any, tmp_path: Path,
                                                               base_image: str, docker_client: Any) -> None:
    host, seen = challenger
    home = tmp_path / "operator-home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {host: {"auth": LOGIN}}}), encoding="utf-8")
    image = f"{host}/leak:probe"
    docker_client.images.get(base_image).tag(f"{host}/leak", "probe")
    try:
        isolated = stack.start_worker("isolated", HOME=str(home))
        run_id = _push(stack, image)
        record = stack.wait_finished(run_id, timeout=120)
        assert record.status.value == "Failed", stack.log(run_id)
        assert seen, "the daemon never reached the stand-in registry"
        assert not any(seen), seen  # challenged, and answered without the host's login
        assert "hunter2" not in stack.log(run_id)
        isolated.stop()

        # The control: the same worker host with the operator's opt-in does send the login, so the check above
        # can see one when it is sent.
        seen.clear()
        stack.start_worker("lending", HOME=str(home), TASKS_ENGINE_HOST_DOCKER_LOGINS="true")
        run_id = _push(stack, image)
        # Authenticated, the daemon goes on to the layers, which the stand-in refuses too, and retries them for
        # over a minute: the login arriving is the answer, and the run is canceled.
        wait_until(lambda: f"Basic {LOGIN}" in seen, timeout=60, what="the host's login at the stand-in")
        stack.store().request_cancel(run_id)
        assert stack.wait_finished(run_id, timeout=30).status.value == "Canceled"
    finally:
        docker_client.images.remove(image, noprune=True)
