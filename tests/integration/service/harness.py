"""Real service processes for integration tests: a private Redis, Celery workers and the API, as subprocesses.

Why private processes: the tests kill workers with SIGKILL and restart Redis, which must not disturb other
tests running in parallel (pytest-xdist) or the developer's own service. Each ``ServiceStack`` gets its own
Redis server on a free loopback port (AOF on, as in production), its own state folder, encryption key and
Celery node names; Docker and the registry are the shared ones from scripts/setup.sh.

The stack's settings shorten the clocks (lease 6 s, renewal 2 s, reaper 1 s) so crash recovery is observable
in seconds; production defaults are ten times longer and are covered by the same code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def missing(what: str) -> NoReturn:
    """Skip locally, fail under CI=true (as tests/integration/conftest.py does for every service)."""
    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: integration services must be running; see scripts/setup.sh)")
    pytest.skip(f"{what}; run scripts/setup.sh to start the integration services")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


class RedisServer:
    """``redis-server`` on a free port with AOF (``appendfsync everysec``), restartable in place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_until(self.ping, timeout=10, what="redis to start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"SHUTDOWN\r\n")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def restart(self, *, kill: bool = False, down_for: float = 0.0) -> None:
        self.stop(kill=kill)
        time.sleep(down_for)
        self.start()


@dataclass
class Process:
    """A service process in its own process group (``kill`` reaches its children, like a vanished host)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(15)

    def stop(self) -> None:
        if self.alive():
            self.kill(signal.SIGTERM)
        if self.alive():
            self.kill(signal.SIGKILL)

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in out.stdout.split()]

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class ServiceStack:
    """One private installation: Redis, settings, and whatever workers/API a test starts."""

    folder: Path
    redis: RedisServer
    key: str
    registry: str
    settings: dict[str, Any] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    api_port: int = 0
    admin_token: str = ""
    run_id_prefix: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:5])

    @property
    def state_root(self) -> Path:
        return self.folder / "state"

    @property
    def config_path(self) -> Path:
        return self.folder / "config.yaml"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_ENGINE_")}
        env.update({
            "TASKS_ENGINE_CONFIG": str(self.config_path),
            "TASKS_ENGINE_REDIS_URL": self.redis.url,
            "TASKS_ENGINE_ENCRYPTION_KEY": self.key,
            "TASKS_ENGINE_KEY_PREFIX": "te",
            "TASKS_ENGINE_API_LISTEN": f"127.0.0.1:{self.api_port}",
            "TASKS_ENGINE_API_URL": self.api_url,
            "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra)
        return env

    def write_config(self) -> None:
        self.state_root.mkdir(parents=True, exist_ok=True)
        # Each stack its own run-id prefix: stacks share the Docker daemon, where run ids name containers.
        service = {"leaseTtl": "6s", "leaseRenew": "2s", "reaperInterval": "1s", "requeueAfter": "3s",
                   "sweepInterval": "2s", "logRetention": "1d", "runIdPrefix": self.run_id_prefix, **self.settings}
        body = {"stateRoot": str(self.state_root), "service": service}
        self.config_path.write_text(json.dumps(body), encoding="utf-8")

    def _spawn(self, name: str, argv: list[str], **env: str) -> Process:
        log = self.folder / f"{name}.log"
        handle = log.open("ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(**env), stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        handle.close()
        process = Process(name, proc, log)
        self.processes.append(process)
        return process

    def start_worker(self, name: str, *, queues: str | None = None, concurrency: int = 1,
                     ready_timeout: float = 30.0, **env: str) -> Process:
        argv = [str(VENV_BIN / "celery"), "-A", "workers.app", "worker", "-n", f"{name}@%h", "-c", str(concurrency),
                "--without-mingle", "--without-gossip", "-l", "info"]
        if queues:
            argv += ["-Q", queues]
        process = self._spawn(name, argv, **env)
        wait_until(lambda: " ready." in process.text() or not process.alive(), timeout=ready_timeout,
                   interval=0.1, what=f"worker {name} to be ready")
        assert process.alive(), process.text()[-3000:]
        return process

    def start_api(self, **env: str) -> Process:
        process = self._spawn("api", [sys.executable, "-m", "tasks_engine.server"], **env)

        def healthy() -> bool:
            if not process.alive():
                raise AssertionError("the API exited:\n" + process.text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.api_url}/healthz", timeout=1) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        wait_until(healthy, timeout=30, interval=0.1, what="the API to answer /healthz")
        return process

    def service_settings(self) -> Any:
        from tasks_engine.config import load_settings

        return load_settings(str(self.config_path), environ=self.env()).service

    def store(self) -> Any:
        from tasks_engine.store import open_store

        return open_store(self.service_settings())

    def run_service(self) -> Any:
        """The service layer as the API uses it (store + Celery dispatcher), for tests that need no HTTP."""
        from tasks_engine.config import load_settings
        from tasks_engine.service.usecases import RunService
        from workers.app import make_celery
        from workers.dispatch import CeleryDispatcher

        settings = load_settings(str(self.config_path), environ=self.env())
        app = make_celery(settings.service, worker_steps=False)
        return RunService(self.store(), CeleryDispatcher(app), settings.service, settings.engine)

    def submit_cmd(self, cmd: str, **request: Any) -> str:
        from tasks_engine.service.usecases import Submission
        from tasks_engine.store import RunRequest, RunType

        sub = Submission(request=RunRequest(kind="cmd", cmd=cmd, **request), run_type=RunType.QUICK_RUN)
        return str(self.run_service().submit(sub).run_id)

    def wait_status(self, run_id: str, *statuses: str, timeout: float = 60.0) -> Any:
        store = self.store()

        def reached() -> Any:
            record = store.get_run(run_id)
            return record if record is not None and record.status.value in statuses else None

        return wait_until(reached, timeout=timeout, interval=0.1, what=f"run {run_id} to reach {statuses}")

    def wait_finished(self, run_id: str, *, timeout: float = 90.0) -> Any:
        return self.wait_status(run_id, "Succeeded", "Failed", "Canceled", "Error", "Timeout", timeout=timeout)

    def log(self, run_id: str) -> str:
        return str(self.store().read_log(run_id).data.decode("utf-8", "replace"))

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.redis.stop()


@contextlib.contextmanager
def service_stack(registry: str, *, settings: dict[str, Any] | None = None) -> Iterator[ServiceStack]:
    from tasks_engine.store import Role, new_key

    folder = Path(tempfile.mkdtemp(prefix="te-stack-", dir="/var/tmp"))
    stack = ServiceStack(folder=folder, redis=RedisServer(folder / "redis"), key=new_key(), registry=registry,
                         settings=settings or {}, api_port=free_port())
    installation = ""
    try:
        stack.write_config()
        stack.redis.start()
        token = stack.store().create_token("admin", Role.ADMIN)
        assert token
        stack.admin_token = token
        installation = stack.store().installation_id()
        yield stack
    finally:
        stack.stop()
        _remove_installation_objects(installation)
        shutil.rmtree(folder, ignore_errors=True)


def _remove_installation_objects(installation: str) -> None:
    """What a test's killed workers left on the shared daemon: this stack's objects only."""
    if not installation:
        return
    with contextlib.suppress(Exception):
        import docker

        client = docker.from_env()
        selector = {"label": f"tasks-engine.installation={installation}"}
        for container in client.containers.list(all=True, filters=selector):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        for network in client.networks.list(filters=selector):
            with contextlib.suppress(Exception):
                network.remove()
        client.close()


def run_containers(docker_client: Any, run_id: str) -> list[Any]:
    return list(docker_client.containers.list(all=True, filters={"label": f"tasks-engine.run-id={run_id}"}))
