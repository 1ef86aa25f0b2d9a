"""(a) 20 sequential ``cmd`` steps through the engine vs a plain Docker SDK loop doing
create-start-wait-remove for the same 20 containers. Target <= 1.10x, aim 1.05x.

"The same containers" means the same configuration the engine gives a step: a user-defined network with the
step id as DNS alias, the workspace and home bind mounts, the environment and the labels. Without that the
ratio would measure Docker's network and mount set-up, not the engine.
"""

from __future__ import annotations

import uuid

from bench.harness import BASE_IMAGE, Comparison, PlainDocker, interleave, run_task_text

STEPS = 20


def task_text() -> str:
    lines = ["version: v1.0.0", "steps:"]
    for i in range(STEPS):
        lines.append(f"  - id: s{i}")
        lines.append(f"    cmd: {BASE_IMAGE} true")
    return "\n".join(lines) + "\n"


def measure(rounds: int = 5) -> Comparison:
    plain = PlainDocker()
    commands = [["true"]] * STEPS
    text = task_text()
    run_task_text(text, "benchwarm" + uuid.uuid4().hex[:6])  # warm caches before measuring
    plain.run_containers(commands, parallel=False)
    base, var = interleave(rounds, lambda i: plain.run_containers(commands, parallel=False),
                           lambda i: run_task_text(text, f"benchseq{i}{uuid.uuid4().hex[:6]}"))
    return Comparison("sequential-20", "plain SDK loop, same containers", "engine", base, var,
                      target=1.10, aim=1.05)


if __name__ == "__main__":
    print(measure().line())
