"""The engine's own configuration file (not the task file): what an operator decides, not a task author.

Why a file and not flags: privileged steps, registry passwords and image-alias targets are host policy. A task
file must not be able to grant itself ``--privileged``; the operator opts in here once.

```yaml
allowPrivileged: false        # refuse `privileged: true` steps unless set
mountDockerSocket: false      # ACR mounts /var/run/docker.sock into every step; we do not by default
allowHostNetwork: false       # refuse `network: host` (steps and builds) unless set; ACR allows it
allowHostMounts: false        # refuse `-v /host/path:/x` in a cmd's docker run options unless set
stateRoot: /var/tmp/tasks-engine   # run workspaces and secret files live under here
maxParallel: null             # cap on parallel steps (null: none, like ACR)
imageAliases:                 # override the targets of $acr, $az, $bash, $curl, $cssc
  bash: 127.0.0.1:5000/tasks-engine/busybox:latest
templateEnv: [BUILD_NUMBER]   # host environment variables `{{ env "X" }}` / `expandenv` may read (default: none)
egress:                       # what runs may fetch (alias src, contexts, --values URLs); see tasks_engine/egress
  allow: []                   #   CIDRs, addresses, host names or *.domain that are always allowed
  deny: []                    #   ... that are always refused (checked first)
  allowLoopback: true         #   127.0.0.0/8, ::1 (a local registry or git server)
  allowPrivate: true          #   10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
                              #   link-local and cloud metadata (169.254.0.0/16, fe80::/10, ...) are always refused
buildkit: false               # true: build every step with BuildKit unless its env sets DOCKER_BUILDKIT=0
buildkitFrontends:            # `# syntax=` images -> a mirror, or `builtin` (the daemon's own frontend)
  docker/dockerfile:1: builtin
dockerCli: /usr/bin/docker    # the docker CLI BuildKit builds and manifest lists run (Debian's docker.io)
buildCacheMaxBytes: 20GiB     # after builds, prune the daemon's build cache down to this (null: never)
registries:                   # credentials used for pull and push, per registry
  - registry: registry.example.com
    username: robot
    password: s3cret
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tasks_engine.config.filedata import ConfigData, expect, read_config_file
from tasks_engine.config.service import parse_size
from tasks_engine.credentials import RegistryCredential
from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy
from tasks_engine.errors import UsageError

DEFAULT_STATE_ROOT = Path("/var/tmp/tasks-engine")
DEFAULT_DOCKER_CLI = "/usr/bin/docker"
#: Workers keep Docker's build cache between runs (fast repeated builds) but bound it (docs/performance.md).
DEFAULT_BUILD_CACHE_MAX_BYTES = 20 << 30


@dataclass(frozen=True)
class EngineConfig:
    allow_privileged: bool = False
    mount_docker_socket: bool = False
    allow_host_network: bool = False
    allow_host_mounts: bool = False
    state_root: Path = DEFAULT_STATE_ROOT
    max_parallel: int | None = None
    image_aliases: dict[str, str] = field(default_factory=dict)
    registries: list[RegistryCredential] = field(default_factory=list)
    # Sprig's env/expandenv would otherwise hand any task file the worker's whole environment (cloud keys,
    # CI tokens); the operator names what templates may see.
    template_env: tuple[str, ...] = ()
    egress: EgressPolicy = DEFAULT_POLICY
    buildkit_default: bool = False
    buildkit_frontends: dict[str, str] = field(default_factory=dict)
    docker_cli: str = DEFAULT_DOCKER_CLI
    build_cache_max_bytes: int | None = DEFAULT_BUILD_CACHE_MAX_BYTES
    source: str = ""

    @property
    def runs_root(self) -> Path:
        """One folder per run (``<runs_root>/<run-id>/``: workspace, home, secret files); what gc sweeps."""
        return self.state_root / "runs"


def engine_config_from(config: ConfigData) -> EngineConfig:
    """The engine keys of ``config`` (``service:`` is read by ``service_settings_from``)."""
    data, where = config.data, config.where or "<configuration>"
    if not config.where:
        return EngineConfig()
    known = {"allowPrivileged", "mountDockerSocket", "stateRoot", "maxParallel", "imageAliases", "registries",
             "templateEnv", "allowHostNetwork", "allowHostMounts", "egress", "buildkit", "buildkitFrontends",
             "dockerCli", "buildCacheMaxBytes", "service"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    registries = []
    for i, entry in enumerate(expect(data, "registries", list, where) or []):
        if not isinstance(entry, dict) or not {"registry", "username", "password"} <= set(entry):
            raise UsageError(f"{where}: registries[{i}] needs registry, username and password")
        registries.append(RegistryCredential(str(entry["registry"]), str(entry["username"]), str(entry["password"])))
    template_env = expect(data, "templateEnv", list, where) or []
    if not all(isinstance(name, str) and name for name in template_env):
        raise UsageError(f"{where}: templateEnv must be a list of environment variable names")
    aliases = expect(data, "imageAliases", dict, where) or {}
    state_root = expect(data, "stateRoot", str, where)
    return EngineConfig(
        allow_privileged=bool(expect(data, "allowPrivileged", bool, where)),
        mount_docker_socket=bool(expect(data, "mountDockerSocket", bool, where)),
        allow_host_network=bool(expect(data, "allowHostNetwork", bool, where)),
        allow_host_mounts=bool(expect(data, "allowHostMounts", bool, where)),
        state_root=Path(state_root) if state_root else DEFAULT_STATE_ROOT,
        max_parallel=expect(data, "maxParallel", int, where),
        image_aliases={str(k): str(v) for k, v in aliases.items()},
        registries=registries,
        template_env=tuple(template_env),
        egress=_egress(expect(data, "egress", dict, where) or {}, where),
        buildkit_default=bool(expect(data, "buildkit", bool, where)),
        buildkit_frontends={str(k): str(v) for k, v in (expect(data, "buildkitFrontends", dict, where) or {}).items()},
        docker_cli=expect(data, "dockerCli", str, where) or DEFAULT_DOCKER_CLI,
        build_cache_max_bytes=_cache_bound(data, where),
        source=where,
    )


def _cache_bound(data: dict[str, object], where: str) -> int | None:
    if "buildCacheMaxBytes" not in data:
        return DEFAULT_BUILD_CACHE_MAX_BYTES
    value = data["buildCacheMaxBytes"]
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise UsageError(f"{where}: buildCacheMaxBytes: {exc}") from exc


def _egress(data: dict[str, object], where: str) -> EgressPolicy:
    unknown = sorted(set(data) - {"allow", "deny", "allowLoopback", "allowPrivate"})
    if unknown:
        raise UsageError(f"{where}: unknown egress key(s) {', '.join(unknown)}; known: allow, deny, allowLoopback, "
                         "allowPrivate")
    lists = {}
    for key in ("allow", "deny"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise UsageError(f"{where}: egress.{key} must be a list of CIDRs, addresses or host names")
        lists[key] = tuple(value)
    flags = {}
    for key in ("allowLoopback", "allowPrivate"):
        value = data.get(key, True)
        if not isinstance(value, bool):
            raise UsageError(f"{where}: egress.{key} must be true or false")
        flags[key] = value
    try:
        return EgressPolicy(allow=lists["allow"], deny=lists["deny"], allow_loopback=flags["allowLoopback"],
                            allow_private=flags["allowPrivate"])
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from exc


def load_config(explicit: str | None = None) -> EngineConfig:
    """The engine configuration from ``--config``, ``$TASKS_ENGINE_CONFIG`` or the per-user default file."""
    return engine_config_from(read_config_file(explicit))
