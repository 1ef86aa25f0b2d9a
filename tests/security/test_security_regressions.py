"""Promises that already held when the red-team started; kept here so they keep holding."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from tasks_engine.credentials import RegistryCredential, parse_credential
from tasks_engine.errors import UsageError
from tasks_engine.source.errors import UnsafeArchiveError
from tasks_engine.source.extract import safe_extract
from tasks_engine.source.git import split_credentials
from tasks_engine.templating.alias_sources import AliasSourceError, default_alias_source_loader


@pytest.mark.parametrize("source", ["../outside.yaml", "/etc/passwd", "link.yaml", "sub/../../outside.yaml"])
def test_alias_src_cannot_leave_the_context(tmp_path: Path, source: str) -> None:
    (tmp_path / "outside.yaml").write_text("secret: 1\n", encoding="utf-8")
    context = tmp_path / "ctx"
    (context / "sub").mkdir(parents=True)
    os.symlink(tmp_path / "outside.yaml", context / "link.yaml")
    with pytest.raises(AliasSourceError, match="outside the source context"):
        default_alias_source_loader(context)(source)


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize(
    "members",
    [
        [(_info("../evil"), b"x")],
        [(_info("/abs"), b"x")],
        [(_info("d", tarfile.SYMTYPE, "."), None), (_info("d/../../evil"), b"x")],
        [(_info("l", tarfile.SYMTYPE, "../../.."), None)],
        [(_info("f"), b"x"), (_info("f", tarfile.SYMTYPE, "/etc/passwd"), None)],
        [(_info("h", tarfile.LNKTYPE, "../../etc/passwd"), None)],
        [(_info("dev", tarfile.CHRTYPE), None)],
    ],
)
def test_hostile_archives_are_refused(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with pytest.raises(UnsafeArchiveError):
        safe_extract(_tar(*members), tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_setuid_bits_are_dropped(tmp_path: Path) -> None:
    info = _info("tool")
    info.mode = 0o4755
    safe_extract(_tar((info, b"x")), tmp_path / "out")
    assert not os.stat(tmp_path / "out" / "tool").st_mode & 0o4000


def test_credential_reprs_and_errors_never_show_the_password() -> None:
    cred = RegistryCredential("r.io", "u", "pw-s3cret")
    assert "pw-s3cret" not in repr(cred) + str(cred) + repr([cred])
    for text in ('{"registry": "r", "username": "u", "password": 5, "x": "pw-s3cret"}', "r.io=pw-s3cret",
                 '{"registry": "r", "password": "pw-s3cret"'):
        with pytest.raises(UsageError) as info:
            parse_credential(text)
        assert "pw-s3cret" not in str(info.value)


def test_git_url_credentials_are_split_off_and_masked_in_reprs() -> None:
    clean, auth = split_credentials("https://user:tok3n@example.com/r.git")
    assert clean == "https://example.com/r.git"
    assert auth is not None and "tok3n" not in repr(auth)
