"""The typed task model: what a task file says, as written, after YAML decoding and validation.

Values stay raw (``None`` when a key is absent) so that *one* place — the plan compiler — owns the defaults
of ACR (``timeout <= 0`` means ``stepTimeout``, ``retryDelay <= 0`` means 5, ...). The only derived values
here are trivial properties whose rule never changes (``effective_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

#: The version ACR assumes when the file has none (``currentTaskVersion``).
DEFAULT_VERSION = "v1.0.0"
#: ``stepTimeout`` applied when the file's value is ``<= 0``.
DEFAULT_STEP_TIMEOUT = 600
#: Our whole-run timeout when ``totalTimeout`` is absent (the az CLI's default run timeout).
DEFAULT_TOTAL_TIMEOUT = 3600
#: Prefix of the ids ACR gives steps without one: ``acb_step_<index>`` (0-based YAML position).
AUTO_ID_PREFIX = "acb_step_"
#: The DAG root's id; a step may not use it.
ROOT_ID = "acb_root"


class StepKind(StrEnum):
    BUILD = "build"
    CMD = "cmd"
    PUSH = "push"


@dataclass(frozen=True)
class SecretDef:
    id: str
    keyvault: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class NetworkDef:
    name: str
    driver: str | None = None
    ipv6: bool = False
    skip_creation: bool = False
    is_default: bool = False


@dataclass(frozen=True)
class VolumeDef:
    """A docker named volume filled from base64 values (file name -> base64 content)."""

    name: str
    secret: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeMountDef:
    name: str
    mount_path: str


@dataclass(frozen=True)
class StepDef:
    """One entry of ``steps``; every property is the raw decoded value or ``None`` when absent."""

    index: int
    kind: StepKind
    id: str | None = None
    cmd: str | None = None
    build: str | None = None
    push: list[str] | None = None
    when: list[str] | None = None
    working_directory: str | None = None
    disable_working_directory_override: bool | None = None
    entry_point: str | None = None
    env: list[str] | None = None
    user: str | None = None
    network: str | None = None
    isolation: str | None = None
    cpus: str | None = None
    ports: list[str] | None = None
    expose: list[str] | None = None
    privileged: bool | None = None
    detach: bool | None = None
    keep: bool | None = None
    pull: bool | None = None
    cmd_download_retries: int | None = None
    cmd_download_retry_delay: int | None = None
    timeout: int | None = None
    start_delay: int | None = None
    retries: int | None = None
    retry_delay: int | None = None
    retry_on_errors: list[str] | None = None
    repeat: int | None = None
    ignore_errors: bool | None = None
    volume_mounts: list[VolumeMountDef] | None = None
    cache: str | None = None
    exited_with: list[int] | None = None
    exited_without: list[int] | None = None
    #: Keys the step has that ACR does not know (already reported as warnings).
    unknown_keys: list[str] = field(default_factory=list)
    #: 1-based position of the step's mapping in the user's file (0 = unknown).
    line: int = 0
    column: int = 0

    @property
    def effective_id(self) -> str:
        """The id ACR uses: the written one, else ``acb_step_<index>``."""
        return self.id if self.id else f"{AUTO_ID_PREFIX}{self.index}"


@dataclass(frozen=True)
class TaskDefinition:
    """A validated task file.

    ``version`` and ``step_timeout`` are as written (``""`` / ``0`` when absent); use the ``effective_*``
    properties for ACR's defaults. ``positions`` maps property paths (``steps[2].build``) to 1-based
    ``(line, column)`` in the user's file so later layers can point at the offending text.
    """

    version: str = ""
    step_timeout: int = 0
    working_directory: str = ""
    env: list[str] = field(default_factory=list)
    secrets: list[SecretDef] = field(default_factory=list)
    networks: list[NetworkDef] = field(default_factory=list)
    volumes: list[VolumeDef] = field(default_factory=list)
    steps: list[StepDef] = field(default_factory=list)
    total_timeout: int | None = None
    unknown_keys: list[str] = field(default_factory=list)
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def effective_version(self) -> str:
        return self.version or DEFAULT_VERSION

    @property
    def effective_step_timeout(self) -> int:
        return self.step_timeout if self.step_timeout > 0 else DEFAULT_STEP_TIMEOUT

    @property
    def effective_total_timeout(self) -> int:
        """``totalTimeout`` when positive, else the default (our improvement; ACR has no such key)."""
        if self.total_timeout is not None and self.total_timeout > 0:
            return self.total_timeout
        return DEFAULT_TOTAL_TIMEOUT

    def position(self, path: str) -> tuple[int, int]:
        """Best known position for ``path``, walking up to the nearest parent that has one."""
        probe = path
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return (0, 0)
