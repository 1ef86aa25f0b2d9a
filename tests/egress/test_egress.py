"""The egress policy: rules per resolved address, DNS answers and redirects checked before any connection."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy, EgressRefused, fetch_bytes
from tasks_engine.errors import UsageError


@pytest.mark.parametrize(
    ("host", "needle"),
    [
        ("169.254.169.254", "link-local/cloud-metadata"),
        ("169.254.0.1", "link-local/cloud-metadata"),
        ("fe80::1", "link-local/cloud-metadata"),
        ("fd00:ec2::254", "link-local/cloud-metadata"),
        ("::ffff:169.254.169.254", "link-local/cloud-metadata"),
        ("100.100.100.200", "link-local/cloud-metadata"),
        ("metadata.google.internal", "cloud metadata host"),
        ("0.0.0.0", "not a unicast address"),
        ("224.0.0.1", "not a unicast address"),
    ],
)
def test_refused_by_default(host: str, needle: str) -> None:
    with pytest.raises(EgressRefused, match=needle):
        DEFAULT_POLICY.check_host(host, 80, what="x")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "8.8.8.8"])
def test_allowed_by_default(host: str) -> None:
    assert DEFAULT_POLICY.check_host(host, 80, what="x") == [host]


def test_loopback_and_private_can_be_denied() -> None:
    policy = EgressPolicy(allow_loopback=False, allow_private=False)
    with pytest.raises(EgressRefused, match="allowLoopback is false"):
        policy.check_host("127.0.0.1", 80, what="x")
    with pytest.raises(EgressRefused, match="allowPrivate is false"):
        policy.check_host("10.0.0.1", 80, what="x")
    assert policy.check_host("203.0.113.7", 80, what="x") == ["203.0.113.7"]


def test_deny_wins_then_allow_opens() -> None:
    policy = EgressPolicy(allow=("169.254.10.0/24", "git.internal"), deny=("10.0.0.0/8", "*.evil.example"))
    assert policy.check_host("169.254.10.5", 80, what="x") == ["169.254.10.5"]
    with pytest.raises(EgressRefused, match=r"egress.deny entry '10.0.0.0/8'"):
        policy.check_host("10.9.9.9", 80, what="x")
    with pytest.raises(EgressRefused, match=r"egress.deny entry '\*.evil.example'"):
        policy.check_host("a.evil.example", 80, what="x")


def test_every_dns_answer_is_checked() -> None:
    answers = {"rebind.example": ["203.0.113.7", "169.254.169.254"], "ok.example": ["203.0.113.8"]}
    policy = EgressPolicy(resolver=lambda host, port: answers[host])
    with pytest.raises(EgressRefused, match=r"rebind.example resolves to 169.254.169.254"):
        policy.check_host("rebind.example", 80, what="x")
    assert policy.check_host("ok.example", 443, what="x") == ["203.0.113.8"]


def test_bad_entries_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="invalid egress entry"):
        EgressPolicy(deny=("not a host",))


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/ok":
            body = b"fine"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/" if self.path == "/meta" else "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_redirects_are_followed_and_rechecked(server: str) -> None:
    assert fetch_bytes(f"{server}/same", policy=DEFAULT_POLICY, timeout=5, max_bytes=100) == b"fine"
    with pytest.raises(EgressRefused, match=r"169.254.169.254"):
        fetch_bytes(f"{server}/meta", policy=DEFAULT_POLICY, timeout=5, max_bytes=100)


def test_refused_before_connecting_to_loopback_when_denied(server: str) -> None:
    with pytest.raises(EgressRefused, match=r"egress.deny"):
        fetch_bytes(f"{server}/ok", policy=EgressPolicy(deny=("127.0.0.0/8",)), timeout=5, max_bytes=100)


def test_only_http_schemes() -> None:
    with pytest.raises(EgressRefused, match="only http and https"):
        fetch_bytes("file:///etc/passwd", policy=DEFAULT_POLICY, timeout=5, max_bytes=100)
