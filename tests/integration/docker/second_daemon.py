"""A second, throw-away Docker daemon: "another worker" whose local image store and build cache are empty.

Why not prune the shared daemon: it also serves other tests and runs; emptying its cache would slow or break
them. This daemon has its own socket, data root, exec root, pid file, containerd namespace and its own bridge
interface (with no iptables rules), and is stopped and deleted afterwards. Used by the build-cache tests and
bench/.

Never ``--bridge none``: a dockerd started with the default bridge disabled *deletes* the host's ``docker0``
interface, which breaks the networking of the host's main daemon.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker


@contextlib.contextmanager
def second_daemon(*, timeout: float = 60.0) -> Iterator[tuple[str, docker.DockerClient]]:
    """``(DOCKER_HOST value, client)`` of a fresh daemon; raises RuntimeError when it cannot start."""
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    if not os.access(dockerd, os.X_OK):
        raise RuntimeError("dockerd is not installed")
    root = Path(tempfile.mkdtemp(prefix="te-d2-", dir="/var/tmp"))
    host = f"unix://{root}/docker.sock"
    tag = root.name.replace("-", "").replace("_", "")[:12]
    bridge = f"te{tag[-8:]}"
    _ip("link", "add", bridge, "type", "bridge")
    _ip("addr", "add", f"172.29.{random.randint(1, 254)}.1/24", "dev", bridge)
    _ip("link", "set", bridge, "up")
    log = (root / "dockerd.log").open("wb")
    proc = subprocess.Popen(
        [dockerd, "--host", host, "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "docker.pid"), "--bridge", bridge, "--iptables=false", "--ip-masq=false",
         "--containerd-namespace", tag, "--containerd-plugins-namespace", f"{tag}p"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    client = None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = docker.DockerClient(base_url=host, timeout=120)
                client.ping()
                break
            except Exception as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"second dockerd did not start: {exc}\n{tail}") from exc
                time.sleep(0.2)
        yield host, client
    finally:
        if client is not None:
            client.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
        subprocess.run(["umount", "-R", str(root / "data")], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
