"""Local folder copies and remote tarballs served by a local http.server (127.0.0.1, in a thread)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks_engine.errors import PermanentError, TransientError, UsageError
from tasks_engine.source import (
    ContextKind,
    DownloadError,
    DownloadTransientError,
    InvalidContextError,
    UnsafeArchiveError,
    materialize_context,
    pack_context,
    parse_context,
)


def tarball(files: dict[str, bytes], *, evil: str | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if evil:
            info = tarfile.TarInfo(evil)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    return buf.getvalue()


ROUTES: dict[str, tuple[int, bytes]] = {}
SEEN_AUTH: list[str] = []
HITS: dict[str, int] = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        HITS[path] = HITS.get(path, 0) + 1
        SEEN_AUTH.append(self.headers.get("Authorization", ""))
        status, body = ROUTES.get(path, (404, b"not found"))
        if path == "/flaky.tar.gz" and HITS[path] < 2:
            status, body = 503, b"try again"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    ROUTES.update(
        {
            "/ctx.tar.gz": (200, tarball({"Dockerfile": b"FROM alpine\n", "src/app.py": b"print()\n"})),
            "/flaky.tar.gz": (200, tarball({"Dockerfile": b"FROM flaky\n"})),
            "/evil.tar.gz": (200, tarball({"Dockerfile": b"FROM x\n"}, evil="../../escaped")),
            "/plain.tar": (200, b"not a tar at all" * 40),
            "/big.tar.gz": (200, tarball({"big": b"0" * 200_000})),
            "/gone.tar.gz": (500, b"boom"),
        }
    )
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join(5)


def no_sleep(_: float) -> None:
    pass


def test_download_and_extract(server: str, tmp_path: Path) -> None:
    info = materialize_context(f"{server}/ctx.tar.gz", tmp_path / "c", timeout=10)
    assert parse_context(f"{server}/ctx.tar.gz").kind is ContextKind.TARBALL
    assert (info.path / "src" / "app.py").read_text() == "print()\n"
    assert (info.commit, info.branch) == ("", "")


def test_retries_5xx_then_succeeds(server: str, tmp_path: Path) -> None:
    info = materialize_context(f"{server}/flaky.tar.gz", tmp_path / "c", timeout=10, sleep=no_sleep)
    assert (info.path / "Dockerfile").read_text() == "FROM flaky\n"
    assert HITS["/flaky.tar.gz"] == 2


def test_persistent_5xx_is_transient(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadTransientError, match="status 500") as info:
        materialize_context(f"{server}/gone.tar.gz", tmp_path / "c", timeout=10, sleep=no_sleep)
    assert isinstance(info.value, TransientError)
    assert not (tmp_path / "c").exists()


def test_404_is_permanent_and_masks_credentials(server: str, tmp_path: Path) -> None:
    url = server.replace("http://", "http://me:hunter2@") + "/missing.tar.gz?sig=topsecret"
    with pytest.raises(DownloadError, match="status 404") as info:
        materialize_context(url, tmp_path / "c", timeout=10, sleep=no_sleep)
    assert isinstance(info.value, PermanentError)
    assert "hunter2" not in str(info.value) and "topsecret" not in str(info.value)
    assert SEEN_AUTH[-1] == "Basic " + base64.b64encode(b"me:hunter2").decode()


def test_malicious_tarball_refused(server: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="escapes the destination") as info:
        materialize_context(f"{server}/evil.tar.gz", tmp_path / "c", timeout=10)
    assert info.value.member == "../../escaped"
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "c").exists()


def test_not_an_archive(server: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="not a readable tar archive"):
        materialize_context(f"{server}/plain.tar", tmp_path / "c", timeout=10)


def test_size_limit(server: str, tmp_path: Path) -> None:
    with pytest.raises((DownloadError, UnsafeArchiveError), match="exceeds"):
        materialize_context(f"{server}/big.tar.gz", tmp_path / "c", timeout=10, max_bytes=1000)


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    with pytest.raises(DownloadTransientError):
        materialize_context("http://127.0.0.1:9/x.tar.gz", tmp_path / "c", timeout=5, sleep=no_sleep)


def tree_digest(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = str(full.relative_to(root))
            st = full.lstat()
            if full.is_symlink():
                out[rel] = "link:" + os.readlink(full)
            elif full.is_file():
                out[rel] = hashlib.sha256(full.read_bytes()).hexdigest() + f":{st.st_mode:o}:{st.st_mtime_ns}"
            else:
                out[rel] = f"dir:{st.st_mode:o}"
    return out


def test_local_copy_never_modifies_source(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "Dockerfile").write_text("FROM alpine\n")
    (src / "pkg" / "run.sh").write_text("#!/bin/sh\n")
    (src / "pkg" / "run.sh").chmod(0o755)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("s")
    os.symlink("../outside", src / "escape")
    os.symlink("pkg/run.sh", src / "run")
    os.mkfifo(src / "fifo")
    (src / ".dockerignore").write_text("secrets.env\n")
    (src / "secrets.env").write_text("TOKEN=x\n")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = tree_digest(src)
    info = materialize_context(str(src), tmp_path / "dest", timeout=10)
    assert tree_digest(src) == before
    assert info.path == tmp_path / "dest"
    assert (info.path / "pkg" / "run.sh").stat().st_mode & 0o777 == 0o755
    assert os.readlink(info.path / "escape") == "../outside"  # copied as a link, not followed
    assert not (info.path / "escape").resolve().is_relative_to(info.path.resolve())
    assert not (info.path / "fifo").exists()
    # what az acr run would not upload does not reach the steps either
    assert not (info.path / "secrets.env").exists()
    assert not (info.path / ".git").exists()
    assert (info.path / ".dockerignore").exists()
    pack_context(info.path)  # the copy packs like the original


def test_local_copy_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidContextError, match="not a directory") as info:
        materialize_context(str(tmp_path / "nope"), tmp_path / "dest", timeout=10)
    assert isinstance(info.value, UsageError)
    (tmp_path / "ctx").mkdir()
    with pytest.raises(InvalidContextError, match="inside the context"):
        materialize_context(str(tmp_path / "ctx"), tmp_path / "ctx" / "dest", timeout=10)


def test_empty_context(tmp_path: Path) -> None:
    info = materialize_context(None, tmp_path / "e", timeout=1)
    assert info.path.is_dir() and not any(info.path.iterdir())
    assert materialize_context("/dev/null", tmp_path / "f", timeout=1).commit == ""


def test_oci_not_supported(tmp_path: Path) -> None:
    with pytest.raises(InvalidContextError, match="not supported yet") as info:
        materialize_context("oci://reg.azurecr.io/a:b", tmp_path / "o", timeout=1)
    assert isinstance(info.value, UsageError)
