"""Pack a local context folder and upload it, printing az's lines (``az acr build``/``az acr run``).

The archive is ``tasks_engine.source.pack``'s (``.dockerignore`` honoured, ACR's default VCS excludes,
deterministic), written to ``<tmp>/build_archive_<hex>.tar.gz`` (``run_archive_`` for runs) as az names it,
hashed while it is written, streamed to ``POST /v1/uploads`` with its digest, and removed afterwards. On a
terminal the console shows the bytes packed and the upload's bytes and rate as they go (``Console.packed``,
``Console.uploaded``); nothing of that reaches a pipe.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from tasks_engine.cli.errors import CommandError
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.console import Console
from tasks_engine.errors import UsageError

NO_CONTEXT = "/dev/null"
# ``tasks_engine.service.runner.UPLOAD_PREFIX`` (a test keeps them equal): importing the runner would load the
# Docker backend, which a remote command never needs.
UPLOAD_PREFIX = "upload:"


class _HashingWriter(io.RawIOBase):
    """Writes through to a file and hashes what passes, so the digest costs no second read."""

    def __init__(self, target: BinaryIO, on_write: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self._target = target
        self._on_write = on_write
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._target.write(data)
        self.digest.update(data)
        self.size += len(data)
        if self._on_write is not None:
            self._on_write(self.size)
        return len(data)


class _CountingReader:
    """The archive as httpx streams it (``read`` in chunks, its length from ``fileno``), counting what was read
    so the console can show the upload's progress."""

    def __init__(self, source: BinaryIO, total: int, on_read: Callable[[int, int], None]) -> None:
        self._source = source
        self._total = total
        self._on_read = on_read
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self.sent += len(data)
            self._on_read(self.sent, self._total)
        return data

    def fileno(self) -> int:
        return self._source.fileno()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(65536):
            yield chunk


def is_local_folder(context: str | None) -> bool:
    """az's test: an existing path is a local context (a folder, or an error), anything else a URL."""
    return bool(context) and context != NO_CONTEXT and os.path.exists(context or "")


def upload_folder(client: ApiClient, console: Console, folder: str, *, dockerfile: str | None,
                  archive_prefix: str) -> str:
    """Upload ``folder``; returns the run request's ``context`` (``upload:sha256:<hex>``)."""
    from tasks_engine.source.dockerignore import ACR_DEFAULT_EXCLUDES
    from tasks_engine.source.pack import find_dockerignore, pack_context_to

    root = Path(folder)
    if not root.is_dir():
        raise UsageError("Source location should be a local directory path or remote URL.")
    if dockerfile and not (root / dockerfile).is_file():
        raise UsageError(f"Unable to find '{dockerfile}' in the context {folder}.")
    console.packing()
    ignore_file = find_dockerignore(root, dockerfile)
    if ignore_file is not None and ignore_file.name != ".dockerignore":
        console.overriding_dockerignore(str(ignore_file))
    for name in sorted(ACR_DEFAULT_EXCLUDES & set(os.listdir(root))):
        console.excluding(name)
    archive = Path(tempfile.gettempdir()) / f"{archive_prefix}_archive_{uuid.uuid4().hex}.tar.gz"
    try:
        # 0600 and exclusive: the archive holds the user's sources in a shared temporary folder.
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            writer = _HashingWriter(handle, console.packed if console.progress is not None else None)
            pack_context_to(cast(BinaryIO, writer), root, dockerfile=dockerfile)
        console.uploading(str(archive))
        with archive.open("rb") as handle:
            source: BinaryIO = handle
            if console.progress is not None:
                console.upload_started()
                source = cast(BinaryIO, _CountingReader(handle, writer.size, console.uploaded))
            reply = client.upload(source, digest=f"sha256:{writer.digest.hexdigest()}")
        console.sent_context(writer.size, client.server)
    finally:
        with contextlib.suppress(OSError):
            archive.unlink()
    digest = reply.get("digest")
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise CommandError(f"the server at {client.server} did not return the upload's digest")
    return f"{UPLOAD_PREFIX}{digest}"
