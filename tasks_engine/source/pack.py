"""Pack a local context folder into a ``tar.gz`` the way ``docker build`` / ``az acr build`` would send it.

Rules (see ``dockerignore.py`` for pattern semantics):

* ``.dockerignore`` rules apply; ``<Dockerfile>.dockerignore`` replaces it when present (Docker looks next
  to the Dockerfile; ACR's CLI looks for ``<basename>.dockerignore`` in the context root: both are tried,
  Docker's first);
* the Dockerfile and ``.dockerignore`` are always sent, even when a rule excludes them (docker CLI);
* with ``acr_default_excludes`` (on by default, as ``az acr build`` does) the top-level ``.git``,
  ``.gitignore``, ``.bzr``, ``bzrignore``, ``.hg``, ``.hgignore`` and ``.svn`` are never sent;
* symlinks are stored as links (never followed); sockets, FIFOs and devices are skipped.

The archive is deterministic for a given tree: entries sorted, owners zeroed, gzip timestamp 0, so two packs
of the same tree upload the same bytes.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tasks_engine.source.dockerignore import ACR_DEFAULT_EXCLUDES, PatternMatcher, build_matcher
from tasks_engine.source.errors import InvalidContextError


@dataclass(frozen=True)
class PackSummary:
    files: int
    bytes: int


def find_dockerignore(root: Path, dockerfile: str | None) -> Path | None:
    """The ignore file docker would use for ``dockerfile`` in the context ``root``."""
    if dockerfile:
        candidates = [root / f"{dockerfile}.dockerignore", root / f"{Path(dockerfile).name}.dockerignore"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    default = root / ".dockerignore"
    return default if default.is_file() else None


def context_matcher(root: Path, *, dockerfile: str | None = None, extra_excludes: Sequence[str] = ()) -> PatternMatcher:
    ignore_file = find_dockerignore(root, dockerfile)
    text = ignore_file.read_text(encoding="utf-8", errors="replace") if ignore_file else None
    return build_matcher(text, dockerfile=dockerfile or "Dockerfile", extra_excludes=extra_excludes)


def iter_context_paths(
    root: Path,
    *,
    dockerfile: str | None = None,
    extra_excludes: Sequence[str] = (),
    acr_default_excludes: bool = True,
) -> Iterator[str]:
    """Context-relative, slash-separated paths that would be sent, parents before children, sorted."""
    if not root.is_dir():
        raise InvalidContextError(f"build context {str(root)!r} is not a directory", location=str(root))
    matcher = context_matcher(root, dockerfile=dockerfile, extra_excludes=extra_excludes)
    yield from _walk(root, "", matcher, acr_default_excludes)


def _walk(root: Path, rel_dir: str, matcher: PatternMatcher, acr_defaults: bool) -> Iterator[str]:
    directory = root / rel_dir if rel_dir else root
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise InvalidContextError(f"cannot read {str(directory)!r}: {exc.strerror}", location=str(root)) from exc
    for name in names:
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if acr_defaults and not rel_dir and name in ACR_DEFAULT_EXCLUDES:
            continue
        st = os.lstat(directory / name)
        excluded = matcher.matches(rel)
        if stat.S_ISDIR(st.st_mode):
            if not excluded:
                yield rel
            if not excluded or matcher.may_reinclude_under(rel):
                yield from _walk(root, rel, matcher, acr_defaults)
        elif not excluded and (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            yield rel


def pack_context_to(
    out: BinaryIO,
    path: Path,
    *,
    dockerfile: str | None = None,
    extra_excludes: Sequence[str] = (),
    acr_default_excludes: bool = True,
) -> PackSummary:
    """Write the gzipped tar of the context at ``path`` to ``out``."""
    files = 0
    total = 0
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for rel in iter_context_paths(
            path,
            dockerfile=dockerfile,
            extra_excludes=extra_excludes,
            acr_default_excludes=acr_default_excludes,
        ):
            full = path / rel
            info = tar.gettarinfo(str(full), arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isreg():
                with open(full, "rb") as fh:
                    tar.addfile(info, fh)
                total += info.size
                files += 1
            else:
                tar.addfile(info)
    return PackSummary(files, total)


def pack_context(
    path: Path,
    *,
    dockerfile: str | None = None,
    extra_excludes: Sequence[str] = (),
    acr_default_excludes: bool = True,
) -> bytes:
    """The context as ``tar.gz`` bytes (small contexts and tests; ``pack_context_to`` streams big ones)."""
    buffer = io.BytesIO()
    pack_context_to(
        buffer,
        path,
        dockerfile=dockerfile,
        extra_excludes=extra_excludes,
        acr_default_excludes=acr_default_excludes,
    )
    return buffer.getvalue()
