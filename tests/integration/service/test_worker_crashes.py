"""Crash safety on real processes: a run is never lost, never stuck, never executed twice at once.

Each test kills something for real (a worker's whole process group, as when its host vanishes; only the pool
child running the run; Redis itself) and then checks the run's record, its log and the Docker host.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest
from harness import ServiceStack, run_containers, wait_until

pytestmark = pytest.mark.integration

LEASE = "tasks-engine.lease"


class OverlapWatch:
    """Samples the run's running containers and remembers whether two attempts (leases) ever overlapped."""

    def __init__(self, docker_client: Any, run_id: str) -> None:
        self._client = docker_client
        self._run_id = run_id
        self.overlaps: list[set[str]] = []
        self.leases: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            try:
                running = self._client.containers.list(filters={"label": f"tasks-engine.run-id={self._run_id}"})
            except Exception:
                continue
            leases = {c.labels.get(LEASE, "") for c in running}
            self.leases |= leases
            if len(leases) > 1:
                self.overlaps.append(leases)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def _wait_output(stack: ServiceStack, run_id: str, text: str, timeout: float = 60) -> None:
    wait_until(lambda: text in stack.log(run_id), timeout=timeout, interval=0.1, what=f"{text!r} in the log")


def test_kill_9_of_a_whole_worker_mid_run_redelivers_to_another(stack: ServiceStack, base_image: str,
                                                                docker_client: Any) -> None:
    doomed = stack.start_worker("doomed")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo step-started; sleep 4; echo step-done'")
    watch = OverlapWatch(docker_client, run_id)
    try:
        _wait_output(stack, run_id, "step-started")
        doomed.kill(signal.SIGKILL)  # main process and pool children at once: the host is gone
        assert not doomed.alive()
        stack.start_worker("rescuer")
        record = stack.wait_finished(run_id, timeout=90)
    finally:
        watch.stop()
    assert record.status.value == "Succeeded", stack.log(run_id)
    assert record.attempt == 2 and record.worker.startswith("rescuer@")
    log = stack.log(run_id)
    assert "stopped renewing its lease" in log and "queued again" in log
    assert log.count("step-done") == 1
    assert watch.overlaps == [], watch.overlaps
    wait_until(lambda: run_containers(docker_client, run_id) == [], timeout=30, what="no container left")


def test_kill_9_of_the_pool_child_is_recovered_by_the_same_worker(stack: ServiceStack, base_image: str,
                                                                  docker_client: Any) -> None:
    worker = stack.start_worker("survivor")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo step-started; sleep 3; echo step-done'")
    _wait_output(stack, run_id, "step-started")
    children = worker.children()
    assert children
    record = stack.store().get_run(run_id)
    victim = int(record.worker.rsplit("/", 1)[1])
    assert victim in children
    import os

    os.kill(victim, signal.SIGKILL)
    record = stack.wait_finished(run_id, timeout=90)
    assert record.status.value == "Succeeded", stack.log(run_id)
    assert record.attempt == 2 and record.worker.startswith("survivor@")
    assert int(record.worker.rsplit("/", 1)[1]) != victim
    wait_until(lambda: run_containers(docker_client, run_id) == [], timeout=30, what="no container left")


def test_without_attempts_left_a_lost_run_ends_as_error_and_its_containers_are_swept(
        stack_factory: Any, base_image: str, docker_client: Any) -> None:
    stack = stack_factory(maxAttempts=1)
    doomed = stack.start_worker("doomed")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo step-started; sleep 300'")
    _wait_output(stack, run_id, "step-started")
    doomed.kill(signal.SIGKILL)
    assert [c for c in run_containers(docker_client, run_id) if c.status == "running"]  # orphaned for now
    stack.start_worker("next")  # its reaper finishes the run; its sweep removes the orphan
    record = stack.wait_finished(run_id, timeout=60)
    assert record.status.value == "Error"
    assert record.run_error_message and record.run_error_message.startswith("agent lost")
    assert "agent lost" in stack.log(run_id)
    wait_until(lambda: run_containers(docker_client, run_id) == [], timeout=90, interval=0.5,
               what="the sweep to remove the dead run's container")


def test_redeliver_started_false_fails_a_run_that_had_started_steps(stack_factory: Any, base_image: str) -> None:
    stack = stack_factory(redeliverStarted=False)
    doomed = stack.start_worker("doomed")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo step-started; sleep 300'")
    _wait_output(stack, run_id, "step-started")
    doomed.kill(signal.SIGKILL)
    stack.start_worker("next")
    record = stack.wait_finished(run_id, timeout=60)
    assert record.status.value == "Error" and record.attempt == 1


@pytest.mark.parametrize("kill", [False, True], ids=["shutdown", "kill-9"])
def test_a_redis_restart_loses_no_queued_run(stack: ServiceStack, base_image: str, kill: bool) -> None:
    run_ids = [stack.submit_cmd(f"{base_image} echo run-{i}") for i in range(4)]
    time.sleep(1.5)  # appendfsync everysec: what is older than a second is on disk even after a kill -9
    stack.redis.restart(kill=kill)
    stack.start_worker("w1", concurrency=2)
    for i, run_id in enumerate(run_ids):
        record = stack.wait_finished(run_id, timeout=90)
        assert record.status.value == "Succeeded", stack.log(run_id)
        assert f"run-{i}" in stack.log(run_id)
        assert record.attempt == 1


def test_a_run_survives_a_short_redis_outage_mid_run(stack: ServiceStack, base_image: str) -> None:
    stack.start_worker("w1")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo before; sleep 5; echo after'")
    _wait_output(stack, run_id, "before")
    stack.redis.restart(down_for=2.0)  # shorter than the lease: the worker keeps the run
    record = stack.wait_finished(run_id, timeout=90)
    assert record.status.value == "Succeeded", stack.log(run_id)
    assert record.attempt == 1
    log = stack.log(run_id)
    assert log.index("before") < log.index("after")
