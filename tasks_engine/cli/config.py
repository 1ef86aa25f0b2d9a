"""The engine's own configuration file (not the task file): what an operator decides, not a task author.

Why a file and not flags: privileged steps, registry passwords and image-alias targets are host policy. A task
file must not be able to grant itself ``--privileged``; the operator opts in here once.

```yaml
allowPrivileged: false        # refuse `privileged: true` steps unless set
mountDockerSocket: false      # ACR mounts /var/run/docker.sock into every step; we do not by default
allowHostNetwork: false       # refuse `network: host` (steps and builds) unless set; ACR allows it
stateRoot: /var/tmp/tasks-engine   # run workspaces and secret files live under here
maxParallel: null             # cap on parallel steps (null: none, like ACR)
imageAliases:                 # override the targets of $acr, $az, $bash, $curl, $cssc
  bash: 127.0.0.1:5000/tasks-engine/busybox:latest
templateEnv: [BUILD_NUMBER]   # host environment variables `{{ env "X" }}` / `expandenv` may read (default: none)
registries:                   # credentials used for pull and push, per registry
  - registry: registry.example.com
    username: robot
    password: s3cret
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tasks_engine.errors import UsageError

DEFAULT_STATE_ROOT = Path("/var/tmp/tasks-engine")


@dataclass(frozen=True)
class RegistryLogin:
    registry: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class EngineConfig:
    allow_privileged: bool = False
    mount_docker_socket: bool = False
    allow_host_network: bool = False
    state_root: Path = DEFAULT_STATE_ROOT
    max_parallel: int | None = None
    image_aliases: dict[str, str] = field(default_factory=dict)
    registries: list[RegistryLogin] = field(default_factory=list)
    # Sprig's env/expandenv would otherwise hand any task file the worker's whole environment (cloud keys,
    # CI tokens); the operator names what templates may see.
    template_env: tuple[str, ...] = ()
    source: str = ""

    @property
    def runs_root(self) -> Path:
        """One folder per run (``<runs_root>/<run-id>/``: workspace, home, secret files); what gc sweeps."""
        return self.state_root / "runs"


def _config_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("TASKS_ENGINE_CONFIG")
    if env:
        return Path(env)
    default = Path.home() / ".config" / "tasks-engine" / "config.yaml"
    return default if default.exists() else None


def _expect(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise UsageError(f"{where}: {key} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def load_config(explicit: str | None = None) -> EngineConfig:
    path = _config_path(explicit)
    if path is None:
        return EngineConfig()
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read configuration {where}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UsageError(f"{where}{pos}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        return EngineConfig(source=where)
    if not isinstance(data, dict):
        raise UsageError(f"{where}: the configuration must be a mapping")
    known = {"allowPrivileged", "mountDockerSocket", "stateRoot", "maxParallel", "imageAliases", "registries",
             "templateEnv", "allowHostNetwork"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    registries = []
    for i, entry in enumerate(_expect(data, "registries", list, where) or []):
        if not isinstance(entry, dict) or not {"registry", "username", "password"} <= set(entry):
            raise UsageError(f"{where}: registries[{i}] needs registry, username and password")
        registries.append(RegistryLogin(str(entry["registry"]), str(entry["username"]), str(entry["password"])))
    template_env = _expect(data, "templateEnv", list, where) or []
    if not all(isinstance(name, str) and name for name in template_env):
        raise UsageError(f"{where}: templateEnv must be a list of environment variable names")
    aliases = _expect(data, "imageAliases", dict, where) or {}
    state_root = _expect(data, "stateRoot", str, where)
    return EngineConfig(
        allow_privileged=bool(_expect(data, "allowPrivileged", bool, where)),
        mount_docker_socket=bool(_expect(data, "mountDockerSocket", bool, where)),
        allow_host_network=bool(_expect(data, "allowHostNetwork", bool, where)),
        state_root=Path(state_root) if state_root else DEFAULT_STATE_ROOT,
        max_parallel=_expect(data, "maxParallel", int, where),
        image_aliases={str(k): str(v) for k, v in aliases.items()},
        registries=registries,
        template_env=tuple(template_env),
        source=where,
    )
