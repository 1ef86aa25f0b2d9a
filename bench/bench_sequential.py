"""(a) 20 sequential ``cmd`` steps through the engine vs a plain Docker SDK loop doing
create-start-wait-remove for the same 20 containers. Target <= 1.10x, aim 1.05x.

"The same containers" means the same configuration the engine gives a step: a user-defined network with the
step id as DNS alias, the workspace and home bind mounts, the environment and the labels. Without that the
ratio would measure Docker's network and mount set-up, not the engine.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import docker
from docker.types import Mount

from bench.harness import BASE_IMAGE, Comparison, interleave, run_task_text

STEPS = 20


def task_text() -> str:
    lines = ["version: v1.0.0", "steps:"]
    for i in range(STEPS):
        lines.append(f"  - id: s{i}")
        lines.append(f"    cmd: {BASE_IMAGE} true")
    return "\n".join(lines) + "\n"


def plain_sdk_loop(client: docker.DockerClient) -> float:
    api = client.api
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="te-bench-plain-") as tmp:
        workspace, home = Path(tmp) / "workspace", Path(tmp) / "home"
        workspace.mkdir()
        home.mkdir()
        start = time.perf_counter()
        network = f"te-bench-{tag}"
        api.create_network(network, driver="bridge")
        for i in range(STEPS):
            host_config = api.create_host_config(
                network_mode=network,
                mounts=[Mount("/workspace", str(workspace), type="bind"), Mount("/acb/home", str(home), type="bind")],
            )
            networking = api.create_networking_config({network: api.create_endpoint_config(aliases=[f"s{i}"])})
            cid = api.create_container(
                BASE_IMAGE, ["true"], name=f"te-bench-{tag}-s{i}", environment=["HOME=/acb/home"],
                working_dir="/workspace", labels={"bench": tag}, host_config=host_config,
                networking_config=networking,
            )["Id"]
            api.start(cid)
            api.wait(cid)
            api.logs(cid)
            api.remove_container(cid, force=True)
        api.remove_network(network)
        return time.perf_counter() - start


def measure(rounds: int = 5) -> Comparison:
    client = docker.from_env()
    client.images.get(BASE_IMAGE)
    text = task_text()
    run_task_text(text, "benchwarm" + uuid.uuid4().hex[:6])  # warm caches before measuring
    plain_sdk_loop(client)
    base, var = interleave(rounds, lambda i: plain_sdk_loop(client),
                           lambda i: run_task_text(text, f"benchseq{i}{uuid.uuid4().hex[:6]}"))
    return Comparison("sequential-20", "plain SDK loop, same containers", "engine", base, var,
                      target=1.10, aim=1.05)


if __name__ == "__main__":
    print(measure().line())
