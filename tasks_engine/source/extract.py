"""Unpack an untrusted tar archive (uploaded context, remote tarball) without letting it touch anything
outside the destination.

Two independent layers, because either alone has had holes:

1. our own checks per member, before anything is written: no absolute names, no ``..`` escaping, no
   symlink or hardlink whose target resolves outside ``dest`` (absolute link targets refused too), no
   devices or FIFOs, and limits on the member count and the total unpacked size (a gzip bomb stops at
   ``max_bytes``);
2. Python's ``tarfile`` ``filter="data"`` for the extraction itself, which re-checks the real paths on
   disk (catching chains of links created by earlier members) and drops set-uid bits and ownership.

Members are processed one by one in stream order, so a non-seekable upload stream works and the limits hold
before the bytes are written. Every error names the offending member.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tasks_engine.source.errors import UnsafeArchiveError

DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_MEMBERS = 200_000


@dataclass(frozen=True)
class ExtractSummary:
    members: int
    bytes: int


def safe_extract(
    source: Path | str | BinaryIO,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    location: str = "",
) -> ExtractSummary:
    """Extract the (optionally gzip/bzip2/xz compressed) tar ``source`` into ``dest``.

    ``location`` (an URL or file name) is only used in error messages.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(dest)
    where = location or (str(source) if isinstance(source, (str, Path)) else "archive")
    try:
        tar = _open_tar(source)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeArchiveError(f"{where} is not a readable tar archive: {exc}", location=where) from exc
    members = 0
    total = 0
    with tar:
        try:
            if tar.fileobj is not None and getattr(tar.fileobj, "seekable", lambda: False)():
                _prescan(tar, where, max_bytes=max_bytes, max_members=max_members)
            for member in tar:
                members += 1
                if members > max_members:
                    raise _limit(member, where, f"more than {max_members} members")
                _check_member(member, root, where)
                if member.isreg():
                    total += member.size
                    if total > max_bytes:
                        raise _limit(member, where, f"unpacked size exceeds {max_bytes} bytes")
                try:
                    tar.extract(member, root, set_attrs=True, filter="data")
                except tarfile.FilterError as exc:
                    raise _refuse(member, where, str(exc)) from exc
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise UnsafeArchiveError(f"{where} is a damaged tar archive: {exc}", location=where) from exc
    return ExtractSummary(members, total)


def _prescan(tar: tarfile.TarFile, where: str, *, max_bytes: int, max_members: int) -> None:
    """Enforce the limits on a random-access archive before writing anything (headers only)."""
    count = 0
    total = 0
    while (member := tar.next()) is not None:
        count += 1
        if count > max_members:
            raise _limit(member, where, f"more than {max_members} members")
        if member.isreg():
            total += member.size
            if total > max_bytes:
                raise _limit(member, where, f"unpacked size exceeds {max_bytes} bytes")


def _open_tar(source: Path | str | BinaryIO) -> tarfile.TarFile:
    if isinstance(source, (str, Path)):
        return tarfile.open(name=str(source), mode="r:*")
    seekable = getattr(source, "seekable", lambda: False)()
    return tarfile.open(fileobj=source, mode="r:*" if seekable else "r|*")


def _limit(member: tarfile.TarInfo, where: str, reason: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing {where}: {reason} (at {member.name!r})", member=member.name, location=where)


def _refuse(member: tarfile.TarInfo, where: str, reason: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        f"refusing member {member.name!r} of {where}: {reason}", member=member.name, location=where
    )


def _inside(root: str, candidate: str) -> bool:
    return candidate == root or candidate.startswith(root.rstrip(os.sep) + os.sep)


def _check_member(member: tarfile.TarInfo, root: str, where: str) -> None:
    name = member.name
    if not name or "\x00" in name:
        raise _refuse(member, where, "empty or invalid name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _refuse(member, where, "absolute path")
    normalized = posixpath.normpath(name.replace("\\", "/"))
    if normalized == ".." or normalized.startswith("../"):
        raise _refuse(member, where, "path escapes the destination")
    target = os.path.realpath(os.path.join(root, normalized))
    if not _inside(root, target):
        raise _refuse(member, where, "path escapes the destination through a symlink")
    if member.ischr() or member.isblk() or member.isfifo():
        raise _refuse(member, where, "device files and FIFOs are not allowed")
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise _refuse(member, where, f"unsupported member type {member.type!r}")
    if member.issym():
        link = member.linkname
        if link.startswith("/") or not link:
            raise _refuse(member, where, f"symlink to absolute path {link!r}")
        resolved = os.path.realpath(os.path.join(root, posixpath.dirname(normalized), link))
        if not _inside(root, resolved):
            raise _refuse(member, where, f"symlink {link!r} points outside the destination")
    if member.islnk():
        link = posixpath.normpath(member.linkname)
        if member.linkname.startswith("/") or link == ".." or link.startswith("../"):
            raise _refuse(member, where, f"hard link to {member.linkname!r} outside the destination")
        resolved = os.path.realpath(os.path.join(root, link))
        if not _inside(root, resolved):
            raise _refuse(member, where, f"hard link to {member.linkname!r} outside the destination")
