"""``scripts/service.sh`` as an operator uses it: start, status, env, a run through the API, a dead worker
restarted alone, stop — on private ports and folders so it never touches the developer's own service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
from harness import ROOT, free_port, wait_until

pytestmark = pytest.mark.integration


def _script(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / "service.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=600, check=check)


def _status(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    lines = _script(env, "status").stdout.split("\n")
    return {parts[0]: (parts[1], parts[2]) for parts in (line.split() for line in lines) if len(parts) == 3}


def test_service_script_start_status_env_run_restart_stop(tmp_path: Path, registry: str, base_image: str) -> None:
    api = f"127.0.0.1:{free_port()}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TASKS_ENGINE_", "TE_"))},
           "TE_STATE_ROOT": str(tmp_path / "state"), "TE_API_LISTEN": api, "TE_REDIS_PORT": str(free_port()),
           "TE_STATE_DIR": str(tmp_path / "dev"), "TE_REGISTRY_PORT": registry.rpartition(":")[2]}
    try:
        _script(env, "start")
        status = _status(env)
        assert list(status) == ["redis", "registry", "api", "worker1", "worker2", "beat"]
        assert all(state == "running" for _, state in status.values()), status
        exports = dict(line.removeprefix("export ").split("=", 1) for line in _script(env, "env").stdout.split("\n")
                       if line)
        assert exports["TASKS_ENGINE_SERVER"] == f"http://{api}"
        token = exports["TASKS_ENGINE_TOKEN"]
        body = json.dumps({"kind": "cmd", "cmd": f"{base_image} echo via-service-sh"}).encode()
        request = urllib.request.Request(f"http://{api}/v1/runs", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            run_id = json.loads(response.read())["runId"]

        def finished() -> object:
            req = urllib.request.Request(f"http://{api}/v1/runs/{run_id}",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=10) as reply:
                record = json.loads(reply.read())
            return record if record["status"] in {"Succeeded", "Failed", "Error"} else None

        record = wait_until(finished, timeout=90, interval=0.2, what="the run to finish")
        assert record["status"] == "Succeeded"  # type: ignore[index]

        worker_pid = int(status["worker1"][0])
        os.killpg(worker_pid, signal.SIGKILL)
        wait_until(lambda: _status(env)["worker1"][1] == "stopped", timeout=10, what="worker1 to be seen dead")
        api_pid = status["api"][0]
        _script(env, "start")
        after = _status(env)
        assert after["worker1"][1] == "running" and after["worker1"][0] != str(worker_pid)
        assert after["api"][0] == api_pid and after["worker2"][0] == status["worker2"][0]  # left alone
        _script(env, "start")  # idempotent
        assert _status(env) == after
    finally:
        _script(env, "stop", check=False)
        subprocess.run(["redis-cli", "-p", env["TE_REDIS_PORT"], "shutdown", "nosave"], capture_output=True,
                       check=False)
    stopped = _status(env)
    assert all(stopped[name][1] == "stopped" for name in ("api", "worker1", "worker2", "beat"))
