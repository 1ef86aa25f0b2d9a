"""Which platforms a plan builds for, and where it can run: natively, through emulation, or on another queue.

Why a pure helper: a worker must decide before it takes a run whether its host can build ``linux/arm64``
(natively on an arm64 host, or with QEMU user emulation registered in binfmt_misc); a run it cannot build goes
to the queue of hosts that can, named ``runs.<os>-<arch>[-<variant>]`` (``runs.linux-arm64``). The worker
finds its own host platform and emulated platforms (``backends.docker.emulation``) and calls ``placement``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tasks_engine.plan.model import RunPlan, StepType

QUEUE_PREFIX = "runs"
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm/v7", "armel": "arm/v6",
                 "i386": "386", "i686": "386"}
_DEFAULT_VARIANT = {"arm": "v7"}


class PlatformError(ValueError):
    """A platform string that is not ``os/arch[/variant]``."""


def normalize_platform(text: str) -> str:
    """``linux/aarch64`` → ``linux/arm64``, ``linux/arm`` → ``linux/arm/v7``, ``arm64`` → ``linux/arm64``;
    ``linux/arm64/v8`` keeps only what Docker keeps (``linux/arm64``)."""
    parts = [p for p in text.strip().lower().split("/") if p]
    if len(parts) == 1:
        parts = ["linux", *parts]
    if not 2 <= len(parts) <= 3:
        raise PlatformError(f"invalid platform {text!r}: expected os/arch[/variant] such as linux/arm64")
    os_name, arch = parts[0], _ARCH_ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ""
    if "/" in arch:
        arch, variant = arch.split("/", 1)
    if arch == "arm64" and variant == "v8":
        variant = ""
    variant = variant or _DEFAULT_VARIANT.get(arch, "")
    return "/".join(p for p in (os_name, arch, variant) if p)


def split_platforms(text: str | None) -> list[str]:
    """``linux/amd64,linux/arm64`` → both, normalized and de-duplicated in order."""
    if not text:
        return []
    return list(dict.fromkeys(normalize_platform(p) for p in text.split(",") if p.strip()))


def platform_args(target: str, build: str) -> dict[str, str]:
    """The build arguments BuildKit sets for a build on ``build`` for ``target`` (``TARGETARCH=arm64``...)."""
    out: dict[str, str] = {}
    for prefix, platform in (("TARGET", normalize_platform(target)), ("BUILD", normalize_platform(build))):
        os_name, arch, *variant = platform.split("/")
        out |= {f"{prefix}PLATFORM": platform, f"{prefix}OS": os_name, f"{prefix}ARCH": arch,
                f"{prefix}VARIANT": variant[0] if variant else ""}
    return out


def queue_name(platform: str) -> str:
    """The queue of hosts that run ``platform`` natively: ``runs.linux-arm64``, ``runs.linux-arm-v7``."""
    return f"{QUEUE_PREFIX}.{normalize_platform(platform).replace('/', '-')}"


def plan_platforms(plan: RunPlan) -> list[str]:
    """Every platform the plan's build steps (``--platform``) and cmd steps (``--platform`` run option) ask for."""
    found: list[str] = []
    for step in plan.steps:
        if step.type is StepType.BUILD and step.build is not None:
            found += split_platforms(step.build.platform)
        elif step.type is StepType.CMD and isinstance(step.run_options.get("platform"), str):
            found += split_platforms(step.run_options["platform"])
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Placement:
    """``queue`` is None when this host can run everything (natively or emulated); otherwise the queue whose
    hosts run the first platform that is neither native nor emulated here."""

    native: tuple[str, ...]
    emulated: tuple[str, ...]
    missing: tuple[str, ...]
    queue: str | None

    @property
    def runnable_here(self) -> bool:
        return not self.missing


def placement(requested: Iterable[str], *, host: str, emulated: Iterable[str] = ()) -> Placement:
    """Sort ``requested`` platforms by how this host (``host``, e.g. ``linux/amd64``) can build them."""
    host_platform = normalize_platform(host)
    can_emulate = {normalize_platform(p) for p in emulated}
    native, emu, missing = [], [], []
    for platform in dict.fromkeys(normalize_platform(p) for p in requested):
        if platform == host_platform:
            native.append(platform)
        elif platform in can_emulate:
            emu.append(platform)
        else:
            missing.append(platform)
    return Placement(tuple(native), tuple(emu), tuple(missing), queue_name(missing[0]) if missing else None)


def plan_placement(plan: RunPlan, *, host: str, emulated: Iterable[str] = ()) -> Placement:
    return placement(plan_platforms(plan), host=host, emulated=emulated)
