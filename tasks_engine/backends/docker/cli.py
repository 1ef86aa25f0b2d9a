"""Running the docker CLI that ships with the engine: an argument list, a scrubbed environment, no shell.

Why the CLI at all: the Docker SDK for Python cannot drive BuildKit (it has no session support: no secrets,
no SSH, no registry auth for the builder, no ``--iidfile``), and the CLI is what every BuildKit feature is
tested against. Why this shape: the argument list goes to ``execve`` directly (never ``/bin/sh -c``), the
environment holds only what the CLI needs (a private ``DOCKER_CONFIG`` with the run's registry logins, the
daemon address, build-argument values) so neither the worker's own variables nor values on the command line
(visible in ``ps``) leak, and output is read line by line while ``stop`` is watched.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks_engine.backends.docker.workspace import write_private_file
from tasks_engine.credentials import RegistryCredential
from tasks_engine.runtime.backend import LogWriter

_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_END = object()


class CliMissing(RuntimeError):
    """The docker CLI the engine needs is not installed at the configured path."""


@dataclass
class CliResult:
    code: int
    stopped: bool
    tail: list[str]


def docker_config(folder: Path, credentials: Sequence[RegistryCredential]) -> Path:
    """A private ``DOCKER_CONFIG`` folder whose config.json holds exactly the run's registry logins."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    auths = {}
    for cred in credentials:
        key = _DOCKER_HUB_AUTH_KEY if cred.registry in _HUB_NAMES else cred.registry
        auths[key] = {"auth": base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()}
    body = json.dumps({"auths": auths, "HttpHeaders": {"X-Meta-Source-Client": "tasks-engine"}}).encode()
    write_private_file(folder / "config.json", body, mode=0o600)
    return folder


def cli_environment(config_dir: Path, extra: Mapping[str, str] | None = None, *,
                    docker_host: str | None = None) -> dict[str, str]:
    """Only what the CLI needs; the daemon is the SDK client's (``docker_host``, else ``DOCKER_HOST`` & co.)."""
    env = {"PATH": _PATH, "HOME": str(config_dir), "DOCKER_CONFIG": str(config_dir), "LANG": "C.UTF-8"}
    for name in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    env.update(extra or {})
    return env


def run_cli(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: LogWriter,
    stop: threading.Event,
    poll: float,
    keep: int = 40,
) -> CliResult:
    """Run ``argv`` (``argv[0]`` an absolute path), hand each output line to ``log`` from this thread, and
    end the process group when ``stop`` is set. The last ``keep`` lines come back for error messages."""
    if not os.access(argv[0], os.X_OK):
        raise CliMissing(argv[0])
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(env),
        cwd=str(cwd), start_new_session=True,
    )
    lines: queue.Queue[object] = queue.Queue(maxsize=256)

    def reader() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(_END)

    threading.Thread(target=reader, name="docker-cli-output", daemon=True).start()
    tail: list[str] = []
    stopped = False
    while True:
        if stop.is_set() and not stopped:
            stopped = True
            _end_group(proc)
        try:
            item = lines.get(timeout=poll)
        except queue.Empty:
            continue
        if item is _END:
            break
        text = str(item)
        log(text if text.endswith("\n") else text + "\n")
        tail = [*tail[-(keep - 1):], text.rstrip("\n")]
    code = proc.wait()
    return CliResult(code, stopped, tail)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the CLI's process group (the CLI then cancels the build session), SIGKILL after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
