"""A tarball context's URL credentials follow redirects only to the same origin, and only over http(s).

Before the fix urllib copied ``Authorization`` onto every redirected request, so
``https://user:token@host/ctx.tgz`` answering ``302 Location: https://elsewhere/`` gave the token away.
"""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks_engine.source.errors import ContextError
from tasks_engine.source.materialize import download_tarball


def _tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("Dockerfile")
        data = b"FROM busybox\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Server:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (Host header, path, Authorization)
        self.port = 0


def make_handler(state: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.headers.get("Host", ""), self.path, self.headers.get("Authorization", "")))
            if self.path == "/cross":
                self.send_response(302)
                self.send_header("Location", f"http://localhost:{state.port}/ctx.tgz")
            elif self.path == "/same":
                self.send_response(302)
                self.send_header("Location", "/ctx.tgz")
            elif self.path in ("/file", "/ftp"):
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd" if self.path == "/file" else "ftp://127.0.0.1/x")
            else:
                body = _tarball()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_credentials_are_not_sent_to_another_host(server: Server, tmp_path: Path) -> None:
    download_tarball(f"http://user:tok3n@127.0.0.1:{server.port}/cross", tmp_path / "out", timeout=5, retries=1)
    assert (tmp_path / "out" / "Dockerfile").is_file()
    first, second = server.seen
    assert first[2].startswith("Basic ")
    assert second[0].startswith("localhost:")
    assert second[2] == ""


def test_credentials_follow_a_same_origin_redirect(server: Server, tmp_path: Path) -> None:
    download_tarball(f"http://user:tok3n@127.0.0.1:{server.port}/same", tmp_path / "out", timeout=5, retries=1)
    assert [auth.startswith("Basic ") for _, _, auth in server.seen] == [True, True]


@pytest.mark.parametrize("path", ["/file", "/ftp"])
def test_redirect_to_a_non_http_url_is_refused(server: Server, tmp_path: Path, path: str) -> None:
    with pytest.raises(ContextError, match=r"non-http|not allowed"):
        download_tarball(f"http://127.0.0.1:{server.port}{path}", tmp_path / "out", timeout=5, retries=1)
