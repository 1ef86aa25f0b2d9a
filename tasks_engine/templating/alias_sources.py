"""Fetching the files named in ``alias.src``: local paths inside the source context, or http(s) URLs.

This is the only I/O the templating pipeline does, so it sits behind an injected callable
(``load_source(name) -> text``); this module provides the default one. Remote sources are fetched by an
injected ``fetch_url`` (the runner passes one bound to the engine's egress policy, ``tasks_engine.egress``,
with ACR's 2-second timeout); without one, URLs are refused. A status above 299 is an error carrying the
response body, as in acr-builder.
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Callable
from pathlib import Path

from tasks_engine.errors import UsageError

MAX_SOURCE_BYTES = 1 << 20


class AliasSourceError(Exception):
    """An ``alias.src`` entry could not be read; the message says which and why."""


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def default_alias_source_loader(
    context_dir: Path | None, *, fetch_url: Callable[[str], bytes] | None = None
) -> Callable[[str], str]:
    """Returns ``load(source) -> text``.

    Local paths are resolved against ``context_dir`` (ACR resolves them against the working directory,
    which is the context) and must stay inside it, symlinks included: a task file must not read the
    worker's files. Without a context only URLs can be loaded.
    """

    def load(source: str) -> str:
        if is_url(source):
            if fetch_url is None:
                raise AliasSourceError(f"failed to fetch alias source {source}: remote sources are not enabled here")
            return _fetch(source, fetch_url)
        return _read_local(source, context_dir)

    return load


def _fetch(url: str, fetch_url: Callable[[str], bytes]) -> str:
    try:
        data = fetch_url(url)
    except urllib.error.HTTPError as exc:
        body = exc.read(4096).decode("utf-8", "replace").strip() if exc.fp is not None else ""
        raise AliasSourceError(
            f"failed to fetch alias source {url}: HTTP {exc.code}" + (f": {body}" if body else "")
        ) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise AliasSourceError(f"failed to fetch alias source {url}: {reason}") from exc
    except UsageError as exc:  # the egress policy refused the address
        raise AliasSourceError(f"failed to fetch alias source {url}: {exc}") from exc
    if len(data) > MAX_SOURCE_BYTES:
        raise AliasSourceError(f"alias source {url} is larger than {MAX_SOURCE_BYTES} bytes")
    return _decode(data, url)


def _read_local(source: str, context_dir: Path | None) -> str:
    if context_dir is None:
        raise AliasSourceError(f"alias source {source!r} is a local path, but this run has no source context")
    root = context_dir.resolve()
    try:
        path = (root / source).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise AliasSourceError(f"alias source {source!r}: {exc}") from exc
    if not path.is_relative_to(root):
        raise AliasSourceError(f"alias source {source!r} is outside the source context")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise AliasSourceError(f"failed to read alias source {source!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_SOURCE_BYTES:
        raise AliasSourceError(f"alias source {source!r} is larger than {MAX_SOURCE_BYTES} bytes")
    return _decode(data, source)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AliasSourceError(f"alias source {source!r} is not UTF-8 text") from exc
