"""``docker run`` options at the start of a ``cmd`` (``cmd: -t {{.Run.Registry}}/hello:{{.Run.ID}}``).

ACR appends the ``cmd`` text to ``docker run … --workdir /workspace``, so a cmd may begin with run options
and the image comes after them (the official multi-step tutorial's ``-t`` is the TTY flag, not the image). We
read the whole ``docker run`` flag set (20.10) with pflag's rules — flags stop at the image, both ``-x v`` and
``--x=v`` forms — and sort every flag into one of four kinds:

* folded into the step's own properties (``-e`` → env, ``-p`` → ports, ``-w``, ``-u``, ``--entrypoint``,
  ``--network``, ``--privileged``, ``-d``, ``--cpus``, ``--isolation``, ``--pull``): the cmd's value comes
  after ACR's options on its command line, so it wins, as it does there;
* kept as ``runOptions`` for the backend (``-t``, ``-i``, ``--name``, ``-v``, ``--mount``, ``--cap-add``…),
  which maps them onto the container and applies the engine's policy to the dangerous ones (host bind mounts,
  host namespaces, added capabilities, devices) at run time;
* accepted without effect: options of the docker client itself (``--rm``, ``-a``, ``--sig-proxy``…);
* refused here with the flag named: what would read or write the worker's own files (``--env-file``,
  ``--cidfile``), reach other runs' containers (``--volumes-from``, ``--link``) or change how the engine itself
  runs containers (``--runtime``, ``--log-driver``, ``--restart``…).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tasks_engine.plan.pflag import Flag, FlagError, FlagReader, split_words


class Kind(Enum):
    FOLD = "fold"
    OPTION = "option"
    IGNORE = "ignore"
    REFUSE = "refuse"


@dataclass(frozen=True)
class RunFlag:
    names: tuple[str, ...]
    value: bool
    key: str
    kind: Kind
    many: bool = False
    why: str = ""

    @property
    def name(self) -> str:
        """The ``--long`` spelling, for messages."""
        return next(n for n in self.names if n.startswith("--"))


_HOST_FILE = "it reads or writes a file on the worker host, which a task file must not reach"
_OTHER_RUNS = "it reaches other containers by name, which on a shared worker may belong to other runs"
_ENGINE = "the engine manages this itself for every step"
_NO = "not supported by the engine"


def _f(names: str, key: str, kind: Kind = Kind.OPTION, *, value: bool = True, many: bool = False,
       why: str = "") -> RunFlag:
    return RunFlag(tuple(names.split()), value, key, kind, many, why)


F, IG, R = Kind.FOLD, Kind.IGNORE, Kind.REFUSE
RUN_FLAGS: tuple[RunFlag, ...] = (
    _f("--add-host", "addHosts", many=True),
    _f("-a --attach", "attach", IG, many=True),
    _f("--blkio-weight", "blkioWeight"),
    _f("--blkio-weight-device", "blkioWeightDevice", R, many=True, why=_NO),
    _f("--cap-add", "capAdd", many=True),
    _f("--cap-drop", "capDrop", many=True),
    _f("--cgroup-parent", "cgroupParent", R, why=_ENGINE),
    _f("--cgroupns", "cgroupns"),
    _f("--cidfile", "cidfile", R, why=_HOST_FILE),
    _f("--cpu-period", "cpuPeriod"),
    _f("--cpu-quota", "cpuQuota"),
    _f("--cpu-rt-period", "cpuRtPeriod", R, why=_NO),
    _f("--cpu-rt-runtime", "cpuRtRuntime", R, why=_NO),
    _f("-c --cpu-shares", "cpuShares"),
    _f("--cpus", "cpus", F),
    _f("--cpuset-cpus", "cpusetCpus"),
    _f("--cpuset-mems", "cpusetMems"),
    _f("-d --detach", "detach", F, value=False),
    _f("--detach-keys", "detachKeys", IG),
    _f("--device", "devices", many=True),
    _f("--device-cgroup-rule", "deviceCgroupRules", many=True),
    _f("--device-read-bps", "deviceReadBps", R, many=True, why=_NO),
    _f("--device-read-iops", "deviceReadIops", R, many=True, why=_NO),
    _f("--device-write-bps", "deviceWriteBps", R, many=True, why=_NO),
    _f("--device-write-iops", "deviceWriteIops", R, many=True, why=_NO),
    _f("--disable-content-trust", "disableContentTrust", IG, value=False),
    _f("--dns", "dns", many=True),
    _f("--dns-option --dns-opt", "dnsOptions", many=True),
    _f("--dns-search", "dnsSearch", many=True),
    _f("--domainname", "domainname"),
    _f("--entrypoint", "entryPoint", F),
    _f("-e --env", "env", F, many=True),
    _f("--env-file", "envFile", R, many=True, why=_HOST_FILE),
    _f("--expose", "expose", F, many=True),
    _f("--gpus", "gpus", R, why=_NO),
    _f("--group-add", "groupAdd", many=True),
    _f("--health-cmd", "healthCmd"),
    _f("--health-interval", "healthInterval"),
    _f("--health-retries", "healthRetries"),
    _f("--health-start-period", "healthStartPeriod"),
    _f("--health-timeout", "healthTimeout"),
    _f("--help", "help", R, value=False, why="it prints docker's usage instead of running a container"),
    _f("-h --hostname", "hostname"),
    _f("--init", "init", value=False),
    _f("-i --interactive", "interactive", value=False),
    _f("--ip", "ip", R, why=_NO),
    _f("--ip6", "ip6", R, why=_NO),
    _f("--ipc", "ipc"),
    _f("--isolation", "isolation", F),
    _f("--kernel-memory", "kernelMemory", R, why=_NO),
    _f("-l --label", "labels", many=True),
    _f("--label-file", "labelFile", R, many=True, why=_HOST_FILE),
    _f("--link", "links", R, many=True, why=_OTHER_RUNS),
    _f("--link-local-ip", "linkLocalIps", R, many=True, why=_NO),
    _f("--log-driver", "logDriver", R, why=_ENGINE),
    _f("--log-opt", "logOptions", R, many=True, why=_ENGINE),
    _f("--mac-address", "macAddress", R, why=_NO),
    _f("-m --memory", "memory"),
    _f("--memory-reservation", "memoryReservation"),
    _f("--memory-swap", "memorySwap"),
    _f("--memory-swappiness", "memorySwappiness"),
    _f("--mount", "mounts", many=True),
    _f("--name", "name"),
    _f("--network --net", "network", F),
    _f("--network-alias --net-alias", "networkAliases", many=True),
    _f("--no-healthcheck", "noHealthcheck", value=False),
    _f("--oom-kill-disable", "oomKillDisable", value=False),
    _f("--oom-score-adj", "oomScoreAdj"),
    _f("--pid", "pid"),
    _f("--pids-limit", "pidsLimit"),
    _f("--platform", "platform"),
    _f("--privileged", "privileged", F, value=False),
    _f("-p --publish", "ports", F, many=True),
    _f("-P --publish-all", "publishAll", value=False),
    _f("--pull", "pull", F),
    _f("--read-only", "readOnly", value=False),
    _f("--restart", "restart", R, why=_ENGINE),
    _f("--rm", "rm", IG, value=False),
    _f("--runtime", "runtime", R, why=_ENGINE),
    _f("--security-opt", "securityOptions", many=True),
    _f("--shm-size", "shmSize"),
    _f("--sig-proxy", "sigProxy", IG, value=False),
    _f("--stop-signal", "stopSignal"),
    _f("--stop-timeout", "stopTimeout"),
    _f("--storage-opt", "storageOptions", R, many=True, why=_NO),
    _f("--sysctl", "sysctls", many=True),
    _f("--tmpfs", "tmpfs", many=True),
    _f("-t --tty", "tty", value=False),
    _f("--ulimit", "ulimits", many=True),
    _f("-u --user", "user", F),
    _f("--userns", "userns"),
    _f("--uts", "uts"),
    _f("-v --volume", "volumes", many=True),
    _f("--volume-driver", "volumeDriver", R, why=_ENGINE),
    _f("--volumes-from", "volumesFrom", R, many=True, why=_OTHER_RUNS),
    _f("-w --workdir", "workingDirectory", F),
)
del F, IG, R

_BY_KEY = {f.key: f for f in RUN_FLAGS}
_READER = FlagReader("docker run", [Flag(f.names, f.value, f.key) for f in RUN_FLAGS], interspersed=False)


@dataclass
class CmdLine:
    """A ``cmd`` read like the tail of ACR's ``docker run`` line: options, the image and its arguments."""

    image: str
    args: list[str]
    # Folded flags by plan key: the step property they set (lists are appended to the step's own).
    folded: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def _store(target: dict[str, Any], flag: RunFlag, value: str | bool) -> None:
    if flag.many:
        target.setdefault(flag.key, []).append(value)
    else:
        target[flag.key] = value  # pflag: the last occurrence wins


def parse_cmd_line(cmd: str) -> CmdLine:
    """Split ``cmd`` (POSIX words, no host shell) and read leading ``docker run`` options.

    Raises :class:`FlagError` (a ``DefinitionError``) for an unknown or refused option, a missing value, or
    a cmd that names no image.
    """
    words = split_words(cmd, what="cmd into words")
    parsed = _READER.read(words)
    if not parsed.positional or parsed.positional[0] == "":
        if parsed.flags:
            raise FlagError("cmd names no image after its docker run options (the image comes after them)")
        raise FlagError("cmd names no image (the first word of cmd is the image to run)")
    line = CmdLine(image=parsed.positional[0], args=list(parsed.positional[1:]))
    for raw, value in parsed.flags:
        flag = _BY_KEY[raw.key]
        if flag.kind is Kind.REFUSE:
            raise FlagError(f"docker run option {flag.name} is not allowed in a cmd: {flag.why}", flag=flag.name)
        if flag.kind is Kind.IGNORE:
            continue
        if flag.key == "entryPoint" and isinstance(value, str):
            value = shlex.quote(value)  # docker's --entrypoint is one word; the step's entryPoint is split
        _store(line.folded if flag.kind is Kind.FOLD else line.options, flag, value)
    return line


def flag_name(key: str) -> str:
    """The ``--long`` name of an option key, for messages (``capAdd`` → ``--cap-add``)."""
    flag = _BY_KEY.get(key)
    return flag.name if flag else key
