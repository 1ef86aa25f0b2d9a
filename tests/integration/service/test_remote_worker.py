"""Beyond one host: a worker that shares nothing with the API but Redis and HTTP. It drives a Docker daemon of its
own — a second ``dockerd`` with its own socket, data root, exec root, pid file, bridge (created here, its own name
and subnet) and address pool — and keeps its run folders in a state root of its own, as a worker on another
machine would. A build submitted through the API with ``--agent-pool`` lands on it alone: the context is
uploaded to the API and fetched by the worker over HTTP, the steps run on the second daemon (the image exists
there and not on the host's daemon), the workspace bind mount resolves on that daemon, and the log streams
back to the CLI.

The second daemon never touches the host's: no ``--bridge none`` (Debian's dockerd would delete docker0 with
it), no iptables or masquerading, no IP forwarding change, a private containerd (the host's dockerd supervises
its own, so this one starts its own too), and everything is removed afterwards.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import FINAL_OK, cli, cli_env
from harness import ServiceStack, missing, wait_until

pytestmark = pytest.mark.integration

DOCKER = "/usr/bin/docker"


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=120)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.213.0.0/16 that no interface or route of this host uses."""
    routes = _run("ip", "-4", "route", "show", "table", "all").stdout + _run("ip", "-4", "-o", "addr").stdout
    used = [ipaddress.ip_network(word, strict=False) for word in routes.split()
            if "/" in word and word[0].isdigit()]
    for candidate in ipaddress.ip_network("10.213.0.0/16").subnets(new_prefix=24):
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise AssertionError("no free /24 in 10.213.0.0/16")


@dataclass
class SecondDaemon:
    folder: Path
    bridge: str
    subnet: ipaddress.IPv4Network
    proc: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(DOCKER, "-H", self.host, *args, check=check)

    def start(self) -> None:
        gateway = next(self.subnet.hosts())
        _run("ip", "link", "add", "name", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        pool = ipaddress.ip_network(f"10.214.{self.subnet.network_address.packed[2]}.0/24")
        log = (self.folder / "dockerd.log").open("ab")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", self.host, "--data-root", str(self.folder / "data"),
             "--exec-root", str(self.folder / "exec"), "--pidfile", str(self.folder / "docker.pid"),
             "--bridge", self.bridge,  # ours, with the address above (--bip would reconfigure docker0)
             "--default-address-pool", f"base={pool},size=28",  # per-run networks, away from the host's pools
             "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--userland-proxy=false",
             "--log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            wait_until(lambda: self.proc is not None and (self.proc.poll() is not None
                                                           or self.docker("version", check=False).returncode == 0),
                       timeout=60, interval=0.2, what="the second dockerd")
        finally:
            if self.proc.poll() is not None:
                raise AssertionError("the second dockerd exited:\n"
                                     + (self.folder / "dockerd.log").read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                ids = self.docker("ps", "-aq", check=False).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        # Whatever the daemon left mounted under its roots (overlay layers, network namespaces).
        mounts = _run("findmnt", "-rn", "-o", "TARGET", check=False).stdout.split()
        for target in sorted((m for m in mounts if m.startswith(str(self.folder))), key=len, reverse=True):
            _run("umount", "-l", target, check=False)
        _run("ip", "link", "delete", self.bridge, check=False)


@pytest.fixture
def second_daemon() -> Iterator[SecondDaemon]:
    if os.geteuid() != 0:
        missing("a second dockerd needs root")
    for program in ("dockerd", "ip", "findmnt"):
        if shutil.which(program) is None:
            missing(f"{program} is not installed")
    folder = Path(tempfile.mkdtemp(prefix="te-dockerd-", dir="/var/tmp"))
    daemon = SecondDaemon(folder, bridge=f"te-br-{uuid.uuid4().hex[:6]}", subnet=_free_subnet())
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_worker_on_its_own_daemon_and_disk_runs_a_pool_s_build_through_the_api(
        stack: ServiceStack, second_daemon: SecondDaemon, base_image: str, docker_client: Any,
        tmp_path: Path) -> None:
    # Seeded from the local registry, as another machine would be (nothing from the host's daemon).
    second_daemon.docker("pull", "-q", base_image)
    pool = f"remote-{uuid.uuid4().hex[:6]}"
    # The worker's own configuration: the stack's service settings, but another state root.
    remote_root = tmp_path / "remote-state"
    config = json.loads(stack.config_path.read_text(encoding="utf-8"))
    config["stateRoot"] = str(remote_root)
    remote_config = tmp_path / "remote-config.json"
    remote_config.write_text(json.dumps(config), encoding="utf-8")

    stack.start_api()
    worker = stack.start_worker("remote", queues=f"runs.pool.{pool}", TASKS_ENGINE_CONFIG=str(remote_config),
                                DOCKER_HOST=second_daemon.host)

    context = tmp_path / "ctx"
    context.mkdir()
    (context / "hello.txt").write_text("from the uploaded context\n", encoding="utf-8")
    (context / "Dockerfile").write_text(f"FROM {base_image}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n",
                                        encoding="utf-8")
    tag = "remote/app:{{.Run.ID}}"
    (context / "acb.yaml").write_text(
        "version: v1.1.0\nsteps:\n"
        f"  - build: -t {tag} .\n"
        f"  - cmd: {base_image} sh -c 'cat /workspace/hello.txt; echo daemon=$(hostname)'\n", encoding="utf-8")
    started = time.monotonic()
    result = cli(stack, "run", "--agent-pool", pool, "-f", "acb.yaml", str(context), env=cli_env(stack))
    assert result.rc == 0, result.describe() + worker.text()[-3000:]
    run_id = result.err.split("Queued a run with ID: ", 1)[1].split()[0]
    # The log streamed back: the build's RUN output and the cmd step reading the workspace on that daemon.
    assert result.out.count("from the uploaded context") == 2, result.out
    assert FINAL_OK in result.out
    record = stack.store().get_run(run_id)
    assert record.worker.startswith("remote@") and record.queue == f"runs.pool.{pool}"
    # The image is on the worker's daemon, not on the host's.
    image = f"remote/app:{run_id}"
    assert second_daemon.docker("image", "inspect", image, check=False).returncode == 0
    with pytest.raises(Exception, match=r"No such image|not found"):
        docker_client.images.get(image)
    # The run folder lived under the worker's own state root (and is gone), never under the stack's.
    assert remote_root.joinpath("runs").is_dir() and not list(remote_root.joinpath("runs").iterdir())
    assert not stack.state_root.joinpath("runs", run_id).exists()
    assert time.monotonic() - started < 90
