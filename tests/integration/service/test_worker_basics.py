"""Workers on real Redis and Docker: a run from submit to record, duplicates, cancel, lost messages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from harness import ServiceStack, run_containers, wait_until

pytestmark = pytest.mark.integration


def test_a_submitted_cmd_runs_on_a_worker_and_its_log_is_stored(stack: ServiceStack, base_image: str,
                                                                docker_client: Any) -> None:
    stack.start_worker("w1")
    run_id = stack.submit_cmd(f"{base_image} echo hello from the worker")
    record = stack.wait_finished(run_id)
    assert record.status.value == "Succeeded", stack.log(run_id)
    assert record.attempt == 1 and record.worker.startswith("w1@")
    log = stack.log(run_id)
    assert "hello from the worker" in log
    assert log.endswith(f"Run ID: {run_id} was successful after {log.rsplit('after ', 1)[1]}")
    assert record.steps and record.steps[0]["status"] == "successful"
    assert record.start_time and record.finish_time
    assert run_containers(docker_client, run_id) == []


def test_a_duplicate_message_executes_the_run_once(stack: ServiceStack, base_image: str) -> None:
    """Two workers, the run's message published three times: exactly one execution."""
    stack.start_worker("w1")
    stack.start_worker("w2")
    service = stack.run_service()
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo once; sleep 1'")
    for _ in range(2):
        service.dispatcher.dispatch(run_id, "runs")
    record = stack.wait_finished(run_id)
    assert record.status.value == "Succeeded"
    assert record.attempt == 1
    assert stack.log(run_id).count("Executing step ID") == 1
    skipped = sum(p.text().count(f"run {run_id}: not queued any more") for p in stack.processes)
    wait_until(lambda: sum(p.text().count(f"run {run_id}: not queued any more") for p in stack.processes) >= 2,
               timeout=10, what="both duplicates to be skipped")
    assert skipped <= 2


def test_cancel_stops_a_running_run_within_two_seconds(stack: ServiceStack, base_image: str,
                                                       docker_client: Any) -> None:
    stack.start_worker("w1")
    run_id = stack.submit_cmd(f"{base_image} sh -c 'echo started; sleep 60'")
    wait_until(lambda: "started" in stack.log(run_id), timeout=30, what="the step to start")
    asked = time.monotonic()
    stack.run_service().cancel(run_id)
    record = stack.wait_finished(run_id, timeout=10)
    assert record.status.value == "Canceled", stack.log(run_id)
    wait_until(lambda: not [c for c in run_containers(docker_client, run_id) if c.status == "running"],
               timeout=5, what="the containers to stop")
    assert time.monotonic() - asked < 4.0  # container killed + teardown; the stop itself is sub-second


def test_cancel_of_a_queued_run_is_immediate(stack: ServiceStack, base_image: str) -> None:
    run_id = stack.submit_cmd(f"{base_image} true")  # no worker listens
    record = stack.run_service().cancel(run_id)
    assert record.status.value == "Canceled"
    assert "canceled before an agent started it" in stack.log(run_id)


def test_a_queued_run_whose_message_was_lost_is_published_again(stack: ServiceStack, base_image: str) -> None:
    """A record without a broker message (a worker killed between receive and claim, a Redis crash)."""
    from tasks_engine.store import RunRequest, RunType

    store = stack.store()
    run_id = store.create_run(id_prefix=stack.run_id_prefix, queue="runs", run_type=RunType.QUICK_RUN,
                              request=RunRequest(kind="cmd", cmd=f"{base_image} echo recovered")).run_id
    stack.start_worker("w1")
    record = stack.wait_finished(run_id, timeout=30)
    assert record.status.value == "Succeeded"
    assert "recovered" in stack.log(run_id)
    assert "published again" in stack.processes[0].text()


def test_show_why_a_run_waits(stack: ServiceStack, base_image: str) -> None:
    service = stack.run_service()
    first = stack.submit_cmd(f"{base_image} true")
    second = stack.submit_cmd(f"{base_image} true")
    info = service.describe(service.get(second))["queueInfo"]
    assert info["position"] == 2 and info["workersListening"] == 0
    assert "no worker listens on queue 'runs'" in info["reason"]
    stack.start_worker("w1", queues="other")
    wait_until(lambda: service.store.workers(), timeout=10, what="the heartbeat")
    info = service.describe(service.get(first))["queueInfo"]
    assert info["position"] == 1 and info["workersListening"] == 0
