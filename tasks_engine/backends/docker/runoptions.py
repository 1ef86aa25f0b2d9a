"""``docker run`` options of a ``cmd`` (plan ``runOptions``) → container settings, under the engine's policy.

Why a policy here and not in the plan: what a step may do to the worker host is the operator's decision
(engine configuration), and the same plan may run on differently configured workers. Refused by default, each
with the setting that allows it:

* host bind mounts (``-v /host:/x``, ``--mount type=bind``) — ``allowHostMounts: true``;
* host namespaces (``--pid host``, ``--ipc host``, ``--uts host``, ``--userns host``, ``--cgroupns host``), added
  capabilities, devices and unconfined security profiles — ``allowPrivileged: true`` (they are privileged by
  another name);
* named volumes (``-v name:/x``) always: they would outlive the run and be shared with every other run on the
  worker; anonymous volumes and ``--tmpfs`` are fine;
* joining another container's namespaces (``--pid container:x``) always: on a shared worker it may be
  another run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docker.types import Healthcheck, Ulimit

from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.spec import StepConfigError, parse_size
from tasks_engine.plan.runflags import flag_name

_NAMESPACES = {"pid": "pid_mode", "ipc": "ipc_mode", "uts": "uts_mode", "userns": "userns_mode",
               "cgroupns": "cgroupns"}
_INTS_HOST = {"cpuShares": "cpu_shares", "cpuPeriod": "cpu_period", "cpuQuota": "cpu_quota",
              "pidsLimit": "pids_limit", "oomScoreAdj": "oom_score_adj", "blkioWeight": "blkio_weight",
              "memorySwappiness": "mem_swappiness"}
_SIZES_HOST = {"memory": "mem_limit", "memoryReservation": "mem_reservation", "memorySwap": "memswap_limit",
               "shmSize": "shm_size"}
_TEXT_HOST = {"cpusetCpus": "cpuset_cpus", "cpusetMems": "cpuset_mems"}
_LISTS_HOST = {"capDrop": "cap_drop", "dns": "dns", "dnsOptions": "dns_opt", "dnsSearch": "dns_search",
               "groupAdd": "group_add"}
_BOOLS_HOST = {"init": "init", "readOnly": "read_only", "oomKillDisable": "oom_kill_disable",
               "publishAll": "publish_all_ports"}
_PRIVILEGED_HINT = "set allowPrivileged: true in the engine configuration to allow it"


@dataclass
class RunSettings:
    """Extra ``create_host_config`` / ``create_container`` arguments and network aliases."""

    host: dict[str, Any] = field(default_factory=dict)
    create: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def _refuse(key: str, value: str, why: str) -> StepConfigError:
    return StepConfigError(f"docker run option {flag_name(key)} {value} is refused: {why}")


def _int(key: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise StepConfigError(f"docker run option {flag_name(key)} takes a whole number, not {value!r}") from None


def _duration_ns(key: str, text: str) -> int:
    units = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
             "h": 3_600_000_000_000}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return int(float(text[: -len(unit)]) * units[unit])
    raise StepConfigError(f"docker run option {flag_name(key)} takes a duration such as 30s, not {text!r}")


def _volume(value: str, settings: RunSettings, opts: BackendOptions) -> None:
    source, sep, _ = value.partition(":")
    if not sep:
        settings.volumes.append(value)  # anonymous: removed with the container
        return
    if source.startswith(("/", ".", "~")):
        if not opts.allow_host_mounts:
            raise _refuse("volumes", value, "a host bind mount exposes the worker's files to the step; "
                          "set allowHostMounts: true in the engine configuration to allow it")
        settings.binds.append(value)
        return
    raise _refuse("volumes", value, "a named volume outlives the run and is shared with every other run on the "
                  "worker; use an anonymous volume (-v /path), --tmpfs, or the task's volumes")


def _mount(value: str, settings: RunSettings, opts: BackendOptions) -> None:
    fields = {k.strip(): v for k, _, v in (p.partition("=") for p in value.split(","))}
    kind = fields.get("type", "volume")
    source = fields.get("source") or fields.get("src")
    target = fields.get("target") or fields.get("destination") or fields.get("dst")
    if not target:
        raise StepConfigError(f"docker run option --mount {value}: no target")
    readonly = "readonly" in fields or fields.get("ro") in ("", "true", "1")
    if kind == "tmpfs":
        settings.host.setdefault("tmpfs", {})[target] = fields.get("tmpfs-size", "") and f"size={fields['tmpfs-size']}"
    elif kind == "volume" and not source:
        settings.volumes.append(target)
    elif kind == "bind" and source:
        _volume(f"{source}:{target}{':ro' if readonly else ''}", settings, opts)
    elif kind == "volume":
        _volume(f"{source}:{target}", settings, opts)
    else:
        raise StepConfigError(f"docker run option --mount {value}: type {kind} is not supported")


def _namespace(key: str, value: str, settings: RunSettings, opts: BackendOptions) -> None:
    if value.startswith("container:"):
        raise _refuse(key, value, "joining another container's namespace may reach another run's container")
    if value == "host" and not opts.allow_privileged:
        raise _refuse(key, value, f"the host's namespace gives the step the worker's view; {_PRIVILEGED_HINT}")
    settings.host[_NAMESPACES[key]] = value


def _privileged_only(key: str, values: list[str], settings: RunSettings, opts: BackendOptions) -> None:
    if not opts.allow_privileged:
        raise _refuse(key, " ".join(values), f"it gives the container host-level powers; {_PRIVILEGED_HINT}")
    target = {"capAdd": "cap_add", "devices": "devices", "deviceCgroupRules": "device_cgroup_rules"}[key]
    settings.host[target] = list(values)


def _security(values: list[str], settings: RunSettings, opts: BackendOptions) -> None:
    loose = [v for v in values if "unconfined" in v or v in ("label=disable", "label:disable")]
    if loose and not opts.allow_privileged:
        raise _refuse("securityOptions", " ".join(loose), f"it lifts the container's confinement; {_PRIVILEGED_HINT}")
    settings.host["security_opt"] = list(values)


def _ulimits(values: list[str]) -> list[Ulimit]:
    out = []
    for item in values:
        name, _, limits = item.partition("=")
        soft, _, hard = limits.partition(":")
        if not name or not soft:
            raise StepConfigError(f"docker run option --ulimit {item}: expected NAME=SOFT[:HARD]")
        out.append(Ulimit(name=name, soft=_int("ulimits", soft), hard=_int("ulimits", hard or soft)))
    return out


def _health(options: dict[str, Any]) -> Healthcheck | None:
    if options.get("noHealthcheck"):
        return Healthcheck(test=["NONE"])
    if "healthCmd" not in options:
        return None
    return Healthcheck(
        test=["CMD-SHELL", options["healthCmd"]],
        interval=_duration_ns("healthInterval", options["healthInterval"]) if "healthInterval" in options else None,
        timeout=_duration_ns("healthTimeout", options["healthTimeout"]) if "healthTimeout" in options else None,
        retries=_int("healthRetries", options["healthRetries"]) if "healthRetries" in options else None,
        start_period=(_duration_ns("healthStartPeriod", options["healthStartPeriod"])
                      if "healthStartPeriod" in options else None),
    )


def _host_values(options: dict[str, Any], settings: RunSettings) -> None:
    """The options that map one to one onto a host-config argument."""
    for key, value in options.items():
        if key in _INTS_HOST:
            settings.host[_INTS_HOST[key]] = _int(key, value)
        elif key in _SIZES_HOST:
            settings.host[_SIZES_HOST[key]] = parse_size(str(value))
        elif key in _TEXT_HOST:
            settings.host[_TEXT_HOST[key]] = value
        elif key in _LISTS_HOST:
            settings.host[_LISTS_HOST[key]] = list(value)
        elif key in _BOOLS_HOST:
            settings.host[_BOOLS_HOST[key]] = bool(value)


def run_settings(options: dict[str, Any], opts: BackendOptions) -> RunSettings:
    """Map and police ``runOptions``; raises :class:`StepConfigError` naming the option and the setting."""
    settings = RunSettings()
    _host_values(options, settings)
    for key, value in options.items():
        if key == "volumes":
            for item in value:
                _volume(item, settings, opts)
        elif key == "mounts":
            for item in value:
                _mount(item, settings, opts)
        elif key == "tmpfs":
            for item in value:
                path, _, mount_opts = item.partition(":")
                settings.host.setdefault("tmpfs", {})[path] = mount_opts
        elif key in _NAMESPACES:
            _namespace(key, str(value), settings, opts)
        elif key in ("capAdd", "devices", "deviceCgroupRules"):
            _privileged_only(key, list(value), settings, opts)
        elif key == "securityOptions":
            _security(list(value), settings, opts)
        elif key == "sysctls":
            settings.host["sysctls"] = dict(v.partition("=")[::2] for v in value)
        elif key == "ulimits":
            settings.host["ulimits"] = _ulimits(list(value))
        elif key == "addHosts":
            settings.host["extra_hosts"] = dict(v.replace("=", ":", 1).partition(":")[::2] for v in value)
    _create_values(options, settings)
    return settings


def _create_values(options: dict[str, Any], settings: RunSettings) -> None:
    create = settings.create
    if options.get("tty"):
        create["tty"] = True
    if options.get("interactive"):
        create["stdin_open"] = True
    for key, arg in (("hostname", "hostname"), ("domainname", "domainname"), ("stopSignal", "stop_signal"),
                     ("platform", "platform")):
        if key in options:
            create[arg] = options[key]
    if "stopTimeout" in options:
        create["stop_timeout"] = _int("stopTimeout", options["stopTimeout"])
    if "labels" in options:
        create["labels"] = dict(v.partition("=")[::2] for v in options["labels"])
    health = _health(options)
    if health is not None:
        create["healthcheck"] = health
    if "name" in options:
        settings.aliases.append(str(options["name"]))
    settings.aliases.extend(options.get("networkAliases", []))
