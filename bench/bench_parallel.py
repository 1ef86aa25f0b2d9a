"""(b) 8 parallel ``sleep 2`` steps vs one, both through the engine. Target <= 1.15x."""

from __future__ import annotations

import uuid

from bench.harness import BASE_IMAGE, Comparison, interleave, run_task_text


def task_text(n: int) -> str:
    lines = ["version: v1.0.0", "steps:"]
    for i in range(n):
        lines.append(f"  - id: p{i}")
        lines.append(f"    cmd: {BASE_IMAGE} sleep 2")
        lines.append('    when: ["-"]')
    return "\n".join(lines) + "\n"


def measure(rounds: int = 3) -> Comparison:
    one, eight = task_text(1), task_text(8)
    run_task_text(one, "benchwarmp" + uuid.uuid4().hex[:6])
    base, var = interleave(rounds, lambda i: run_task_text(one, f"benchone{i}{uuid.uuid4().hex[:6]}"),
                           lambda i: run_task_text(eight, f"bencheight{i}{uuid.uuid4().hex[:6]}"))
    return Comparison("parallel-8x-sleep2", "1 step", "8 parallel steps", base, var, target=1.15)


if __name__ == "__main__":
    print(measure().line())
