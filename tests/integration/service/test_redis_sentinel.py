"""Redis Sentinel (``sentinel://host:port/<service>/<db>``) for the store and Celery alike: a primary, a
replica and a sentinel on loopback; a run from the CLI through the API and a worker; then the primary is
killed, the sentinel promotes the replica, and another run goes through the same, still running, API and
worker, which found the new primary by themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_support import FINAL_OK, cli, cli_env
from redis_ha_support import SentinelSet, custom_stack, need

pytestmark = pytest.mark.integration


def test_runs_go_on_after_the_primary_crashes_and_the_sentinel_fails_over(
        tmp_path: Path, registry: str, base_image: str, docker_client: Any) -> None:
    need("redis-server", "redis-sentinel")
    servers = SentinelSet(tmp_path / "ha")
    with custom_stack(registry, servers) as stack:
        stack.start_api()
        stack.start_worker("snt1")

        def run(text: str) -> None:
            result = cli(stack, "run", "--cmd", f"{base_image} echo {text}", "/dev/null", env=cli_env(stack),
                         timeout=120)
            logs = "".join(f"\n--- {p.name} ---\n" + p.text()[-3000:] for p in stack.processes)
            assert result.rc == 0, result.describe() + logs
            assert text in result.out and FINAL_OK in result.out

        run("before-failover")
        old = servers.primary_port()
        new = servers.crash_primary()
        assert new != old
        run("after-failover")
        # The record written before the crash was replicated and is read from the new primary.
        records = stack.store().list_runs().runs
        assert len(records) == 2 and all(r.status.value == "Succeeded" for r in records)
