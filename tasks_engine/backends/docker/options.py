"""Engine-level settings of the Docker backend (not per task: a task file cannot change them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy

PRIVILEGED_REFUSED = "privileged steps are disabled by the engine configuration (set allowPrivileged: true)"
HOST_NETWORK_REFUSED = (
    "network host is disabled by the engine configuration (set allowHostNetwork: true): it would reach every "
    "service listening on the worker's loopback"
)


@dataclass(frozen=True)
class BackendOptions:
    """``state_root`` holds one folder per run (secret volumes, the ``home`` folder).

    When the worker itself runs in a container, ``state_root`` and the workspace root must be mounted at the
    same path in the worker and on the host: the daemon resolves bind-mount sources on the host.

    ``mount_docker_socket`` is off by default although ACR mounts the socket into every step: the socket gives
    each step root on the host. Turn it on for task files that run ``docker ...`` inside a ``cmd`` step.
    """

    state_root: Path
    allow_privileged: bool = False
    mount_docker_socket: bool = False
    # ``network: host`` (steps and builds) shares the worker's network stack: its loopback services (the
    # broker, a local registry, other runs' published ports). ACR allows it; here the operator opts in.
    allow_host_network: bool = False
    # ``-v /host/path:/x`` (and ``--mount type=bind``) in a cmd's docker run options: the worker's own files.
    allow_host_mounts: bool = False
    docker_socket_path: str = "/var/run/docker.sock"
    # ACR's conventions (spec §4.6): the shared workspace and a per-run home with HOME pointing at it.
    workspace_mount: str = "/workspace"
    home_mount: str = "/acb/home"
    # How often a blocked attempt looks at its ``stop`` event (seconds).
    poll_interval: float = 0.1
    push_attempts: int = 3
    push_backoff_base: float = 0.25
    push_backoff_cap: float = 5.0
    # How long to wait for the rest of a container's output after it exited.
    log_drain_timeout: float = 5.0
    # The daemon (``unix:///path`` or ``tcp://``); None: ``DOCKER_HOST`` or the default socket, as the SDK reads them.
    docker_host: str | None = None
    # BuildKit builds run the docker CLI that ships with the engine (Debian's docker.io 20.10), never a shell.
    docker_cli: str = "/usr/bin/docker"
    # Build every step with BuildKit unless it sets DOCKER_BUILDKIT=0 (ACR: classic unless DOCKER_BUILDKIT=1).
    buildkit_default: bool = False
    # ``# syntax=`` frontend image -> a mirror image, or "builtin" for the daemon's own Dockerfile frontend.
    buildkit_frontends: dict[str, str] = field(default_factory=dict)
    # What remote build contexts (git, tarball URLs in a build string) may be fetched from.
    egress: EgressPolicy = DEFAULT_POLICY
    # Keep the daemon's build cache under this many bytes after builds (None: leave it to the operator).
    build_cache_max_bytes: int | None = None
    # Where the kernel lists registered binary formats (QEMU emulation); a test points it elsewhere.
    binfmt_dir: Path = Path("/proc/sys/fs/binfmt_misc")
