"""The worker's side of uploaded contexts: download a blob from the API, check its digest, hand it over.

The archive is written to a private temporary file while its SHA-256 is computed; only a file whose digest
matches the one the run names is given to the safe extractor (a proxy or disk fault must not substitute other
bytes), and the file is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import BinaryIO

from tasks_engine.errors import PermanentError, TransientError
from tasks_engine.service.blobauth import sign_blob
from tasks_engine.store.blobs import check_digest

_CHUNK = 1 << 20


@contextlib.contextmanager
def open_blob(api_url: str, digest: str, server_key: str, *, max_bytes: int,
              timeout: float = 300.0) -> Iterator[BinaryIO]:
    check_digest(digest)
    expires, signature = sign_blob(digest, server_key)
    url = f"{api_url.rstrip('/')}/v1/blobs/{digest}?expires={expires}&signature={signature}"
    hasher = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as out:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the configured API URL
                while chunk := response.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PermanentError(f"uploaded context {digest} is larger than {max_bytes} bytes")
                    hasher.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise PermanentError(f"uploaded context {digest} is gone (expired after service.uploadTtl?)") from None
            cls = TransientError if exc.code >= 500 else PermanentError
            raise cls(f"fetching uploaded context {digest} from {api_url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise TransientError(f"fetching uploaded context {digest} from {api_url}: "
                                 f"{getattr(exc, 'reason', exc)}") from None
        actual = "sha256:" + hasher.hexdigest()
        if actual != digest:
            raise PermanentError(f"uploaded context {digest} arrived with digest {actual}")
        out.seek(0)
        yield out
