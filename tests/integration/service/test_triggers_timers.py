"""Timer triggers with two schedulers: two ``celery beat`` processes tick every second against one stack, and a
one-minute timer still starts exactly one run per occurrence (the per-occurrence claim in Redis)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import Any

import pytest
from api_support import b64, client, wait_status
from harness import missing, service_stack, wait_until
from trigger_support import runs_of, settle, start_beat

pytestmark = pytest.mark.integration


def test_a_one_minute_timer_fires_once_per_occurrence_with_two_schedulers(docker_client: Any, registry: str,
                                                                          base_image: str) -> None:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(registry) as stack:
        stack.start_api()
        stack.start_worker("timerw", concurrency=2)
        beats = [start_beat(stack, "beat1"), start_beat(stack, "beat2")]
        with client(stack) as api:
            reply = api.post("/v1/tasks", json={
                "name": "every-minute", "kind": "encoded",
                "encodedTask": b64(f"steps:\n  - cmd: {base_image} echo tick {{{{.Run.ID}}}}\n"),
                "timers": [{"name": "minutely", "schedule": "* * * * *"}]})
            assert reply.status_code == 201, reply.text
            created = datetime.now(UTC)
            wait_until(lambda: runs_of(stack, "every-minute"), timeout=75, interval=0.2, what="the timer's first run")
            settle(3.0)  # both schedulers have ticked many times since the occurrence
            [run] = runs_of(stack, "every-minute")
            record = wait_status(api, run.run_id, {"Succeeded", "Failed", "Error"})
        assert record["status"] == "Succeeded" and record["trigger"] == "Timer"
        occurrence = datetime.fromisoformat(record["timerTrigger"]["scheduleOccurrence"].replace("Z", "+00:00"))
        assert record["timerTrigger"]["timerTriggerName"] == "minutely"
        assert occurrence > created and occurrence.second == 0
        assert all(b.alive() for b in beats)
        assert all("timers tick failed" not in b.text() for b in beats)
