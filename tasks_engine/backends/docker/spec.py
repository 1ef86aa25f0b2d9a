"""Pure translation of a ``cmd`` step into Docker create-container arguments (no daemon needed).

Kept apart from the code that talks to the daemon so the mapping (ports, env precedence, entry point, mounts,
network aliases) is unit-tested without Docker.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from docker.utils.ports import build_port_bindings

from tasks_engine.backends.docker.names import BUILTIN_NETWORKS

_PROTOCOLS = ("tcp", "udp", "sctp")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)b?", re.ASCII)
_CPUS_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)


class StepConfigError(ValueError):
    """A step value Docker cannot take (bad port, bad cpus); the attempt fails with this message."""


@dataclass
class Bind:
    source: str
    target: str
    read_only: bool = False


@dataclass
class ContainerSpec:
    image: str
    command: list[str]
    entrypoint: list[str] | None
    environment: list[str]
    user: str | None
    working_dir: str | None
    labels: dict[str, str]
    binds: list[Bind] = field(default_factory=list)
    exposed: list[tuple[str, str]] = field(default_factory=list)
    port_bindings: dict[str, list[Any]] = field(default_factory=dict)
    network: str | None = None
    aliases: list[str] = field(default_factory=list)
    privileged: bool = False
    isolation: str | None = None
    nano_cpus: int | None = None
    # From the cmd's docker run options (runoptions.RunSettings): more host-config / create arguments.
    host_extra: dict[str, Any] = field(default_factory=dict)
    create_extra: dict[str, Any] = field(default_factory=dict)
    extra_binds: list[str] = field(default_factory=list)
    anonymous_volumes: list[str] = field(default_factory=list)


def merge_env(defaults: list[str], env: list[str]) -> list[str]:
    """``defaults`` then ``env``; a later ``K=V`` replaces an earlier ``K`` in place, as ``--env`` does."""
    merged: dict[str, str] = {}
    for entry in [*defaults, *env]:
        key = entry.split("=", 1)[0]
        merged[key] = entry
    return list(merged.values())


def split_entry_point(entry_point: str | None) -> list[str] | None:
    if entry_point is None or not entry_point.strip():
        return None
    try:
        return shlex.split(entry_point)
    except ValueError as exc:
        raise StepConfigError(f"invalid entryPoint {entry_point!r}: {exc}") from None


def nano_cpus(cpus: str | None) -> int | None:
    text = "" if cpus is None else str(cpus).strip()
    if not text:
        return None
    if _CPUS_RE.fullmatch(text) is None:
        raise StepConfigError(f"invalid cpus {cpus!r}: expected a number such as 1.5")
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise StepConfigError(f"invalid cpus {cpus!r}: must be a positive number")
    return int(value * 1e9)


def _split_proto(port: str) -> tuple[str, str]:
    number, _, proto = port.partition("/")
    return number, (proto or "tcp")


def parse_ports(ports: list[str], expose: list[str]) -> tuple[list[tuple[str, str]], dict[str, list[Any]]]:
    """``-p`` forms (``80``, ``8080:80``, ``127.0.0.1:8080:80/tcp``, ranges) and ``--expose`` forms
    (``80``, ``80/udp``, ``8000-8010``) -> exposed (port, proto) pairs and port bindings."""
    try:
        bindings: dict[str, list[Any]] = build_port_bindings(ports)
    except ValueError as exc:
        raise StepConfigError(f"invalid ports value: {exc}") from None
    normalized: dict[str, list[Any]] = {}
    for key, targets in bindings.items():
        number, proto = _split_proto(str(key))
        normalized[f"{number}/{proto}"] = targets
    exposed = [_split_proto(k) for k in normalized]
    for item in expose:
        number, proto = _split_proto(item.strip())
        if proto not in _PROTOCOLS:
            raise StepConfigError(f"invalid expose value {item!r}: unknown protocol {proto!r}")
        low, _, high = number.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise StepConfigError(f"invalid expose value {item!r}: expected PORT[-PORT][/PROTOCOL]")
        for port in range(int(low), int(high or low) + 1):
            pair = (str(port), proto)
            if pair not in exposed:
                exposed.append(pair)
    return exposed, normalized


def aliases_for(network: str | None, step_id: str) -> list[str]:
    """Steps reach each other by step id (ACR's ``--name <id>``) on user-defined networks; Docker refuses
    aliases on its own ``bridge``/``host``/``none``."""
    if not network or network in BUILTIN_NETWORKS or network.startswith("container:"):
        return []
    return [step_id]


def parse_size(text: str | None) -> int | None:
    """Docker's size strings (``64m``, ``1g``, ``1024``, ``2kb``) in bytes, as ``--shm-size`` takes them."""
    if text is None or not text.strip():
        return None
    match = _SIZE_RE.fullmatch(text.strip().lower())
    if match is None:
        raise StepConfigError(f"invalid size {text!r}: expected a number with an optional unit b, k, m or g")
    amount = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if not math.isfinite(amount):
        raise StepConfigError(f"invalid size {text!r}: too large")
    return int(amount)


def resolve_build_args(build_args: dict[str, str | None], env: list[str]) -> dict[str, str]:
    """``--build-arg NAME`` takes NAME from the environment of the docker CLI, which in ACR is the step's env;
    a name not set there is dropped, as the CLI does."""
    step_env = dict(e.split("=", 1) for e in env if "=" in e)
    out: dict[str, str] = {}
    for key, value in build_args.items():
        if value is not None:
            out[key] = value
        elif key in step_env:
            out[key] = step_env[key]
    return out
