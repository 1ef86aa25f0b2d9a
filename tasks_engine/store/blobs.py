"""Uploaded build contexts: a content-addressed blob store behind a small interface.

The default ``FolderBlobStore`` keeps blobs in a folder on the API host; workers fetch them over the API
(``GET /v1/blobs/{digest}``), so a worker on another machine needs no shared disk. Blobs are named by their
SHA-256, checked while they are received (a mismatch with the digest the client announced is refused, and the
partial file deleted) and again by the worker after it downloaded them, size-capped, and expired
``service.uploadTtl`` after their upload or their last use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from tasks_engine.errors import UsageError

DIGEST = re.compile(r"sha256:[0-9a-f]{64}", re.ASCII)


class BlobTooLarge(UsageError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"upload exceeds the {limit}-byte limit (service.maxUploadBytes)")


class BlobDigestMismatch(UsageError):
    pass


class BlobNotFound(UsageError):
    pass


def check_digest(digest: str) -> str:
    if not DIGEST.fullmatch(digest):
        raise UsageError(f"invalid digest {digest!r}: expected sha256:<64 lowercase hex digits>")
    return digest


class BlobStore(Protocol):
    def put(self, chunks: Iterable[bytes], *, expected: str | None, max_bytes: int) -> tuple[str, int]: ...

    def open(self, digest: str) -> BinaryIO: ...

    def exists(self, digest: str) -> bool: ...

    def touch(self, digest: str) -> None: ...

    def sweep(self, *, older_than: float) -> int: ...


class FolderBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        return self.root / check_digest(digest).replace(":", "-")

    def put(self, chunks: Iterable[bytes], *, expected: str | None, max_bytes: int) -> tuple[str, int]:
        """Store the bytes of ``chunks``; returns ``(digest, size)``."""
        if expected is not None:
            check_digest(expected)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        hasher = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(max_bytes)
                    hasher.update(chunk)
                    out.write(chunk)
            digest = "sha256:" + hasher.hexdigest()
            if expected is not None and digest != expected:
                raise BlobDigestMismatch(f"upload digest mismatch: announced {expected}, received {digest}")
            os.replace(tmp, self._path(digest))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return digest, size

    def open(self, digest: str) -> BinaryIO:
        try:
            return self._path(digest).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no uploaded context {digest} (expired after service.uploadTtl, or never "
                               "uploaded)") from None

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def touch(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.utime(self._path(digest))

    def sweep(self, *, older_than: float) -> int:
        """Remove blobs (and stale partial uploads) not touched for ``older_than`` seconds."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self.root.iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
