"""Secret volumes: base64 values from the plan written as files the steps mount read-only.

Deviation from ACR (documented): acr-builder writes each value through ``sh`` here-docs, so ``$``, backticks
and ``\\`` in a secret are expanded by the shell and a newline is appended. We write the decoded bytes
exactly.
Files are 0400 and the folder is mounted read-only, so a step can read but not change a secret; a step running
as a non-root ``user`` cannot read them (ACR's files are 0644).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from tasks_engine.backends.docker.workspace import RunPaths, remove_tree, write_private_file
from tasks_engine.errors import PermanentError
from tasks_engine.plan.model import VolumeSpec


def decode_value(volume: str, key: str, value: str) -> bytes:
    """Strict standard base64, like Go's ``base64.StdEncoding.DecodeString``."""
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PermanentError(f"failed to decode Base64 value of key {key!r} in volume {volume!r}: {exc}") from None


def _check_name(kind: str, name: str) -> None:
    """The schema already restricts names; the backend still refuses anything that would leave the folder."""
    if not name or "/" in name or "\\" in name or "\x00" in name or name in (".", ".."):
        raise PermanentError(f"invalid secret volume {kind} {name!r}: it must be a plain file name")


def write_secret_volumes(volumes: Iterable[VolumeSpec], paths: RunPaths) -> dict[str, str]:
    """Write every volume; returns volume name -> host folder. Decodes all values before writing any file."""
    volumes = list(volumes)
    for volume in volumes:
        _check_name("name", volume.name)
        for key in volume.secret:
            _check_name("key", key)
    decoded = {v.name: {k: decode_value(v.name, k, val) for k, val in v.secret.items()} for v in volumes}
    folders: dict[str, str] = {}
    for name, files in decoded.items():
        folder = paths.volume(name)
        # Written afresh (a redelivered run finds the old files, 0400 and possibly replaced by symlinks).
        remove_tree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for key, content in files.items():
            write_private_file(folder / key, content, mode=0o400)
        folders[name] = str(folder)
    return folders
