"""``runOptions`` of a cmd → container settings under the engine's policy (no daemon needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.runoptions import run_settings
from tasks_engine.backends.docker.spec import StepConfigError

OPTS = BackendOptions(state_root=Path("/tmp/x"))
OPEN = BackendOptions(state_root=Path("/tmp/x"), allow_privileged=True, allow_host_mounts=True)


def test_mapped_options() -> None:
    settings = run_settings({
        "tty": True, "interactive": True, "name": "web", "networkAliases": ["w2"], "volumes": ["/data"],
        "mounts": ["type=tmpfs,target=/t,tmpfs-size=1m", "type=volume,target=/v"], "tmpfs": ["/run:size=8m"],
        "memory": "64m", "cpuShares": "512", "capDrop": ["ALL"], "ulimits": ["nofile=1024:2048"],
        "sysctls": ["net.ipv4.ip_forward=1"], "addHosts": ["db:10.0.0.2", "cache=10.0.0.3"], "init": True,
        "labels": ["team=a"], "hostname": "box", "stopTimeout": "5", "healthCmd": "true", "healthInterval": "2s",
        "securityOptions": ["no-new-privileges"], "pid": "private",
    }, OPTS)
    assert settings.create["tty"] and settings.create["stdin_open"]
    assert settings.aliases == ["web", "w2"]
    assert settings.volumes == ["/data", "/v"]
    assert settings.host["tmpfs"] == {"/t": "size=1m", "/run": "size=8m"}
    assert (settings.host["mem_limit"], settings.host["cpu_shares"]) == (64 << 20, 512)
    assert settings.host["extra_hosts"] == {"db": "10.0.0.2", "cache": "10.0.0.3"}
    assert settings.host["ulimits"][0]["Hard"] == 2048
    assert settings.create["labels"] == {"team": "a"} and settings.create["stop_timeout"] == 5
    assert settings.create["healthcheck"]["Interval"] == 2_000_000_000
    assert settings.host["pid_mode"] == "private"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"volumes": ["/etc:/host-etc"]}, "allowHostMounts: true"),
        ({"volumes": ["./src:/src"]}, "allowHostMounts: true"),
        ({"mounts": ["type=bind,source=/,target=/host"]}, "allowHostMounts: true"),
        ({"volumes": ["cache:/cache"]}, "a named volume outlives the run"),
        ({"capAdd": ["NET_ADMIN"]}, "allowPrivileged: true"),
        ({"devices": ["/dev/fuse"]}, "allowPrivileged: true"),
        ({"securityOptions": ["seccomp=unconfined"]}, "allowPrivileged: true"),
        ({"pid": "host"}, "allowPrivileged: true"),
        ({"ipc": "container:other"}, "another run's container"),
        ({"memory": "lots"}, "invalid size"),
        ({"cpuShares": "x"}, "--cpu-shares takes a whole number"),
    ],
)
def test_refused_by_default(options: dict[str, object], needle: str) -> None:
    with pytest.raises(StepConfigError, match=needle):
        run_settings(options, OPTS)


def test_operator_can_allow_host_mounts_and_privileges() -> None:
    settings = run_settings({"volumes": ["/srv/cache:/cache:ro"], "capAdd": ["NET_ADMIN"], "pid": "host"}, OPEN)
    assert settings.binds == ["/srv/cache:/cache:ro"]
    assert settings.host["cap_add"] == ["NET_ADMIN"] and settings.host["pid_mode"] == "host"
    with pytest.raises(StepConfigError, match="named volume"):
        run_settings({"volumes": ["cache:/cache"]}, OPEN)
