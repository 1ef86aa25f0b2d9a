"""Redis topologies beyond the harness's plain server, for the TLS and Sentinel tests: certificates made with
openssl, ``redis-server --tls-port``, and a primary + replica + ``redis-sentinel`` set, all on loopback.

Why a stack of their own (``custom_stack``) rather than the harness's ``service_stack``: the harness builds a
plain ``RedisServer``; these tests need the same private installation (settings, key, admin token, teardown of
its Docker objects) around another Redis. Each server object offers what ``ServiceStack`` uses of its Redis:
``url``, ``start``, ``stop`` and ``restart``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import RedisServer, ServiceStack, _remove_installation_objects, free_port, missing, wait_until

SERVICE = "te-primary"


def need(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            missing(f"{program} is not installed (scripts/setup.d/operations.sh installs it)")


@dataclass(frozen=True)
class Certificates:
    """A private CA, a server certificate for 127.0.0.1/localhost and a client certificate, all PEM."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    def crt(self, name: str) -> Path:
        return self.folder / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.folder / f"{name}.key"


def make_certificates(folder: Path, *, ca_name: str = "tasks-engine test CA") -> Certificates:
    """Short-lived EC certificates (fast to generate); the server's carries IP and DNS SANs for loopback."""
    folder.mkdir(parents=True, exist_ok=True)
    certs = Certificates(folder)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    def new_key(name: str) -> None:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(certs.key(name)))

    new_key("ca")
    openssl("req", "-x509", "-new", "-key", str(certs.key("ca")), "-days", "2", "-subj", f"/CN={ca_name}",
            "-out", str(certs.ca))
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        new_key(name)
        (folder / f"{name}.ext").write_text(ext + "\n", encoding="utf-8")
        openssl("req", "-new", "-key", str(certs.key(name)), "-subj", f"/CN=tasks-engine-{name}",
                "-out", str(folder / f"{name}.csr"))
        openssl("x509", "-req", "-in", str(folder / f"{name}.csr"), "-CA", str(certs.ca), "-CAkey",
                str(certs.key("ca")), "-CAcreateserial", "-days", "2", "-extfile", str(folder / f"{name}.ext"),
                "-out", str(certs.crt(name)))
    for path in folder.glob("*.key"):
        path.chmod(0o600)
    return certs


def _tls_ping(port: int, certs: Certificates) -> bool:
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(str(certs.crt("client")), str(certs.key("client")))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class TlsRedisServer(RedisServer):
    """``redis-server`` that speaks only TLS (``--port 0 --tls-port``) and requires client certificates."""

    def __init__(self, folder: Path, certs: Certificates) -> None:
        super().__init__(folder)
        self.certs = certs

    @property
    def url(self) -> str:
        c = self.certs
        return (f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={c.ca}"
                f"&ssl_certfile={c.crt('client')}&ssl_keyfile={c.key('client')}")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        c = self.certs
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
             "--tls-cert-file", str(c.crt("server")), "--tls-key-file", str(c.key("server")),
             "--tls-ca-cert-file", str(c.ca), "--tls-auth-clients", "yes",
             "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_until(self.ping, timeout=10, what="TLS redis to start")

    def ping(self) -> bool:
        return _tls_ping(self.port, self.certs)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()  # SIGTERM: Redis saves (AOF fsync) and exits, as SHUTDOWN does
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


def _command(port: int, *words: str, timeout: float = 2.0) -> bytes:
    """One command over RESP to a plain loopback server; the raw reply."""
    payload = f"*{len(words)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        time.sleep(0.05)
        return sock.recv(65536)


class SentinelSet:
    """A primary, one replica and one sentinel (quorum 1) on loopback; ``crash_primary`` makes it fail over."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.servers = [RedisServer(folder / "a"), RedisServer(folder / "b")]
        self.sentinel_port = free_port()
        self.sentinel: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"sentinel://127.0.0.1:{self.sentinel_port}/{SERVICE}/0"

    def start(self) -> None:
        primary, replica = self.servers
        primary.start()
        replica.start()
        _command(replica.port, "REPLICAOF", "127.0.0.1", str(primary.port))
        conf = self.folder / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.folder}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 10000\n", encoding="utf-8")
        self.sentinel = subprocess.Popen(
            ["redis-sentinel", str(conf), "--logfile", str(self.folder / "sentinel.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: self.primary_port() == primary.port, timeout=10, what="the sentinel to see the primary")
        wait_until(self._replica_known, timeout=20, what="the sentinel to discover the replica")

    def primary_port(self) -> int | None:
        try:
            reply = _command(self.sentinel_port, "SENTINEL", "get-master-addr-by-name", SERVICE)
        except OSError:
            return None
        lines = reply.split(b"\r\n")
        return int(lines[4]) if len(lines) > 4 and lines[4].isdigit() else None

    def _replica_known(self) -> bool:
        try:
            reply = _command(self.sentinel_port, "SENTINEL", "replicas", SERVICE)
        except OSError:
            return False
        return b"slave" in reply and b"s_down" not in reply and b"master-link-status\r\n$2\r\nok" in reply

    def crash_primary(self, *, timeout: float = 30.0) -> int:
        """``kill -9`` of the primary; waits for the sentinel to promote the replica and returns its port.

        A crash, not ``SENTINEL FAILOVER``: a forced failover leaves the old primary accepting writes from the
        connections clients already hold until the sentinel demotes it seconds later, and those writes are then
        lost (docs/operations.md says how to guard against that during planned maintenance)."""
        before = self.primary_port()
        for server in self.servers:
            if server.port == before:
                server.stop(kill=True)
        return int(wait_until(lambda: (p := self.primary_port()) not in (None, before) and p, timeout=timeout,
                              what="the sentinel to promote the replica"))

    def stop(self, *, kill: bool = False) -> None:
        if self.sentinel is not None:
            self.sentinel.kill()
            self.sentinel.wait(10)
            self.sentinel = None
        for server in self.servers:
            server.stop(kill=kill)

    def restart(self, *, kill: bool = False, down_for: float = 0.0) -> None:
        raise NotImplementedError("restart one server of the set instead")


@contextlib.contextmanager
def custom_stack(registry: str, redis: Any, *, settings: dict[str, Any] | None = None) -> Iterator[ServiceStack]:
    """``harness.service_stack`` around another Redis (TLS, Sentinel); the same settings and teardown."""
    from tasks_engine.store import Role, new_key

    folder = Path(tempfile.mkdtemp(prefix="te-stack-", dir="/var/tmp"))
    stack = ServiceStack(folder=folder, redis=redis, key=new_key(), registry=registry, settings=settings or {},
                         api_port=free_port())
    installation = ""
    try:
        stack.write_config()
        redis.start()
        stack.admin_token = stack.store().create_token("admin", Role.ADMIN)
        installation = stack.store().installation_id()
        yield stack
    finally:
        stack.stop()
        _remove_installation_objects(installation)
        shutil.rmtree(folder, ignore_errors=True)
