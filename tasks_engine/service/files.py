"""Reading the files a run names (task file, values file) under one rule for every caller.

Why one rule: the local CLI may read the user's own files anywhere (``-f ../task.yaml``), but a worker runs
strangers' task files, so for it every path must resolve inside the run's source context, symlinks included.
``host_files`` is the only difference, and it is decided by the adapter, never by the request.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tasks_engine.errors import UsageError

MAX_TEXT_BYTES = 4 << 20


def inside(root: Path, candidate: Path) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def read_text_file(path: str, *, what: str, search_dirs: tuple[Path, ...] = (),
                   host_files: bool = True) -> tuple[str, str]:
    """Read ``path`` and return ``(text, name)``.

    With ``host_files`` (the local CLI): ``-`` is stdin, the path is tried as given first and then against
    each of ``search_dirs`` (ACR resolves a relative task file against the context). Without it (a worker):
    only ``search_dirs`` are tried, and the result must stay inside the folder it was found in.
    """
    if path == "-" and host_files:
        return sys.stdin.read(), "<stdin>"
    candidates: list[tuple[Path, Path | None]] = []
    if host_files:
        candidates.append((Path(path), None))
    if not os.path.isabs(path) or not host_files:
        relative = path.lstrip("/") if not host_files else path
        candidates += [(d / relative, d) for d in search_dirs]
    for candidate, root in candidates:
        if root is not None and candidate.exists() and not inside(root, candidate):
            # The context may be a stranger's repository: its symlinks must not read the host's files.
            raise UsageError(f"{what} {path} leads outside the source context")
        if candidate.is_file():
            try:
                with candidate.open("rb") as handle:
                    data = handle.read(MAX_TEXT_BYTES + 1)
            except OSError as exc:
                raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from exc
            if len(data) > MAX_TEXT_BYTES:
                raise UsageError(f"{what} {path} is larger than {MAX_TEXT_BYTES} bytes")
            try:
                return data.decode("utf-8-sig"), str(path)
            except UnicodeDecodeError as exc:
                raise UsageError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc
    raise UsageError(f"{what} not found: {path}")
