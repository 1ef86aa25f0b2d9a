"""A run's liveness marker: an ``flock`` held on ``<run folder>/.alive`` while the run's process lives.

Why a lock and not a timestamp: a build may legitimately run for hours, and ``gc --older-than 1h`` must not
kill it; a lock dies with its process (``kill -9`` included), so a crashed run becomes collectable at once.
Stdlib only, so the CLI and the Docker backend's gc can both use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".alive"


@contextlib.contextmanager
def hold_run_lock(folder: Path) -> Iterator[None]:
    """Hold the run's lock for the duration of the block; raises ``BlockingIOError`` if another process has it."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def run_is_live(folder: Path) -> bool:
    """True while some process holds ``folder``'s lock."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
