"""(b) 8 parallel ``sleep 2`` steps vs one, both through the engine. Target <= 1.15x.

Two more comparisons from the same run explain the result: the Docker floor (the same 8 containers vs 1
started in parallel with plain SDK calls: what Docker itself costs on this machine) and the engine's own
overhead on the parallel case (engine with 8 steps vs plain SDK with 8 containers).
"""

from __future__ import annotations

import uuid

from bench.harness import BASE_IMAGE, Comparison, PlainDocker, interleave, run_task_text


def task_text(n: int) -> str:
    lines = ["version: v1.0.0", "steps:"]
    for i in range(n):
        lines.append(f"  - id: p{i}")
        lines.append(f"    cmd: {BASE_IMAGE} sleep 2")
        lines.append('    when: ["-"]')
    return "\n".join(lines) + "\n"


def measure(rounds: int = 3) -> list[Comparison]:
    one, eight = task_text(1), task_text(8)
    plain = PlainDocker()
    sleep = ["sleep", "2"]
    run_task_text(one, "benchwarmp" + uuid.uuid4().hex[:6])
    base, var = interleave(rounds, lambda i: run_task_text(one, f"benchone{i}{uuid.uuid4().hex[:6]}"),
                           lambda i: run_task_text(eight, f"bencheight{i}{uuid.uuid4().hex[:6]}"))
    floor_one, floor_eight = interleave(rounds, lambda i: plain.run_containers([sleep], parallel=True),
                                        lambda i: plain.run_containers([sleep] * 8, parallel=True))
    return [
        Comparison("parallel-8x-sleep2", "1 step", "8 parallel steps", base, var, target=1.15),
        Comparison("docker-floor-8x-sleep2", "1 container (plain SDK)", "8 containers (plain SDK)",
                   floor_one, floor_eight, target=1.15),
        Comparison("engine-overhead-8x-sleep2", "8 containers (plain SDK)", "8 parallel steps (engine)",
                   floor_eight, var, target=1.10),
    ]


if __name__ == "__main__":
    for comparison in measure():
        print(comparison.line())
