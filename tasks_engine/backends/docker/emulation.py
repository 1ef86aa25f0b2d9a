"""The host's platform and the platforms it can run through QEMU user emulation (binfmt_misc).

Why the ``F`` flag matters: a container has its own root file system, so the kernel must have opened the
interpreter when it was registered ("fix binary"); Debian's qemu-user-static registers with ``F``.
Only meaningful when the Docker daemon runs on this host (the usual worker setup).
"""

from __future__ import annotations

import platform
from pathlib import Path

from tasks_engine.plan.platforms import normalize_platform

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
_QEMU = {
    "qemu-aarch64": ("linux/arm64",),
    "qemu-arm": ("linux/arm/v7", "linux/arm/v6"),
    "qemu-x86_64": ("linux/amd64",),
    "qemu-i386": ("linux/386",),
    "qemu-ppc64le": ("linux/ppc64le",),
    "qemu-s390x": ("linux/s390x",),
    "qemu-riscv64": ("linux/riscv64",),
    "qemu-mips64el": ("linux/mips64le",),
}
INSTALL_HINT = (
    "install QEMU user emulation on the worker (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support; "
    "scripts/setup.sh does it with TE_QEMU=1), or send the run to a worker of that platform (queue {queue})"
)


def host_platform() -> str:
    return normalize_platform(f"linux/{platform.machine()}")


def emulated_platforms(binfmt_dir: Path = BINFMT_DIR) -> set[str]:
    """Platforms whose binaries the kernel hands to a registered, enabled, fix-binary QEMU interpreter."""
    found: set[str] = set()
    for entry, platforms in _QEMU.items():
        try:
            text = (binfmt_dir / entry).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        flags = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("flags:")), "")
        if lines and lines[0].strip() == "enabled" and "F" in flags:
            found.update(platforms)
    return found
