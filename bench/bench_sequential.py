"""(a) 20 sequential ``cmd`` steps through the engine vs a plain Docker SDK loop doing
create-start-wait-remove for the same 20 containers. Target <= 1.10x, aim 1.05x."""

from __future__ import annotations

import time
import uuid

import docker

from bench.harness import BASE_IMAGE, Comparison, interleave, run_task_text

STEPS = 20


def task_text() -> str:
    lines = ["version: v1.0.0", "steps:"]
    for i in range(STEPS):
        lines.append(f"  - id: s{i}")
        lines.append(f"    cmd: {BASE_IMAGE} true")
    return "\n".join(lines) + "\n"


def plain_sdk_loop(client: docker.DockerClient) -> float:
    start = time.perf_counter()
    for i in range(STEPS):
        c = client.containers.create(BASE_IMAGE, ["true"], name=f"te-bench-{uuid.uuid4().hex[:8]}-{i}")
        c.start()
        c.wait()
        c.remove(force=True)
    return time.perf_counter() - start


def measure(rounds: int = 5) -> Comparison:
    client = docker.from_env()
    client.images.get(BASE_IMAGE)
    text = task_text()
    run_task_text(text, "benchwarm")  # warm caches (image layers, network driver) before measuring
    plain_sdk_loop(client)
    base, var = interleave(rounds, lambda i: plain_sdk_loop(client),
                           lambda i: run_task_text(text, f"benchseq{i}{uuid.uuid4().hex[:6]}"))
    return Comparison("sequential-20", "plain SDK loop", "engine", base, var, target=1.10, aim=1.05)


if __name__ == "__main__":
    print(measure().line())
