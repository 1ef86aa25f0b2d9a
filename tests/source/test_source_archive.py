"""Packing a context (deterministic tar.gz honouring .dockerignore) and unpacking hostile archives safely."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from tasks_engine.errors import UsageError
from tasks_engine.source import UnsafeArchiveError, pack_context, pack_context_to, safe_extract


def build_tar(members: list[tuple[tarfile.TarInfo, bytes | None]], *, gz: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def reg(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def test_pack_roundtrip_is_deterministic_and_honours_dockerignore(tmp_path: Path) -> None:
    src = tmp_path / "ctx"
    (src / "app").mkdir(parents=True)
    (src / "Dockerfile").write_text("FROM alpine\n")
    (src / "app" / "main.py").write_text("print(1)\n")
    (src / "app" / "secret.env").write_text("KEY=1\n")
    (src / ".dockerignore").write_text("**/*.env\nDockerfile\n")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    os.symlink("app/main.py", src / "link.py")
    os.mkfifo(src / "pipe")
    first = pack_context(src)
    assert first == pack_context(src)
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        names = tar.getnames()
        assert names == sorted(names)
        assert set(names) == {".dockerignore", "Dockerfile", "app", "app/main.py", "link.py"}
        symlink = tar.getmember("link.py")
        assert symlink.issym() and symlink.linkname == "app/main.py"
        assert all(m.uid == 0 and m.uname == "" for m in tar.getmembers())
    out = io.BytesIO()
    summary = pack_context_to(out, src)
    assert summary.files == 3
    assert out.getvalue() == first
    dest = tmp_path / "out"
    safe_extract(io.BytesIO(first), dest)
    assert (dest / "app" / "main.py").read_text() == "print(1)\n"
    assert os.readlink(dest / "link.py") == "app/main.py"


@pytest.mark.parametrize(
    ("members", "fragment", "member"),
    [
        ([reg("../x")], "escapes the destination", "../x"),
        ([reg("a/../../x")], "escapes the destination", "a/../../x"),
        ([reg("/etc/x")], "absolute path", "/etc/x"),
        ([link("root", "/")], "absolute path", "root"),
        ([link("up", "../../..")], "points outside", "up"),
        ([link("ok", "sub"), link("ok2", "ok/../..")], "points outside", "ok2"),
        ([link("hard", "/etc/passwd", tarfile.LNKTYPE)], "hard link", "hard"),
        ([link("hard", "../outside", tarfile.LNKTYPE)], "hard link", "hard"),
    ],
)
def test_malicious_members_are_refused(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], fragment: str, member: str
) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=fragment) as info:
        safe_extract(io.BytesIO(build_tar(members)), dest, location="upload.tar")
    assert info.value.member == member
    assert repr(member) in str(info.value)
    assert isinstance(info.value, UsageError)
    assert not (tmp_path / "x").exists() and not (tmp_path / "outside").exists()


def test_write_through_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "escape")  # planted before extraction
    with pytest.raises(UnsafeArchiveError, match="symlink"):
        safe_extract(io.BytesIO(build_tar([reg("escape/pwned")])), dest)
    assert not (outside / "pwned").exists()


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_refused(tmp_path: Path, kind: bytes) -> None:
    info = tarfile.TarInfo("dev")
    info.type = kind
    with pytest.raises(UnsafeArchiveError, match="device"):
        safe_extract(io.BytesIO(build_tar([(info, None)])), tmp_path / "d")


def test_member_limit(tmp_path: Path) -> None:
    data = build_tar([reg(f"f{i}", b"") for i in range(10_001)])
    with pytest.raises(UnsafeArchiveError, match="more than 10000 members") as info:
        safe_extract(io.BytesIO(data), tmp_path / "d", max_members=10_000)
    assert info.value.member == "f10000"


def test_size_limit_before_writing(tmp_path: Path) -> None:
    data = build_tar([reg("a", b"1" * 600), reg("b", b"2" * 600)], gz=True)
    with pytest.raises(UnsafeArchiveError, match="exceeds 1000 bytes"):
        safe_extract(io.BytesIO(data), tmp_path / "d", max_bytes=1000)
    assert not (tmp_path / "d" / "b").exists()


def test_not_an_archive_and_truncated(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="not a readable tar archive"):
        safe_extract(io.BytesIO(b"hello world" * 100), tmp_path / "d")
    data = build_tar([reg("a", b"1" * 5000)], gz=True)
    with pytest.raises(UnsafeArchiveError):
        safe_extract(io.BytesIO(data[: len(data) // 2]), tmp_path / "e")


def test_stream_and_path_sources(tmp_path: Path) -> None:
    data = build_tar(
        [reg("dir/a.txt", b"hi"), link("dir/l", "a.txt"), link("h", "dir/a.txt", tarfile.LNKTYPE)], gz=True
    )
    archive = tmp_path / "ctx.tar.gz"
    archive.write_bytes(data)
    summary = safe_extract(archive, tmp_path / "d1")
    assert summary.members == 3 and summary.bytes == 2
    assert (tmp_path / "d1" / "h").read_bytes() == b"hi"

    class Stream(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self.inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self.inner.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    safe_extract(Stream(data), tmp_path / "d2")  # type: ignore[arg-type]
    assert os.readlink(tmp_path / "d2" / "dir" / "l") == "a.txt"


def test_setuid_bits_dropped(tmp_path: Path) -> None:
    info, data = reg("tool", b"#!/bin/sh\n")
    info.mode = 0o4755
    safe_extract(io.BytesIO(build_tar([(info, data)])), tmp_path / "d")
    assert not (tmp_path / "d" / "tool").stat().st_mode & 0o4000
