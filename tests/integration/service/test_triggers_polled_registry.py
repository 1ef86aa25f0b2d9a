"""Digest polling for a registry that does not notify: the workers' poller HEADs the tracked tag, sees its
digest change, and the cascade queues the dependant (``imageUpdateTrigger.id`` names the poll)."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import pytest
from api_support import client, wait_status
from harness import missing, service_stack, wait_until
from trigger_support import GitServer, NotifyingRegistry, push_base, wait_runs

pytestmark = pytest.mark.integration


def test_a_polled_base_whose_digest_changes_rebuilds_its_dependant(docker_client: Any, registry: str,
                                                                   base_image: str) -> None:
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    with service_stack(registry) as stack:
        quiet = NotifyingRegistry(stack.folder / "registry", stack.api_url, "", notify=False).start()
        stack.settings.update({"pollRegistries": f"http://{quiet.host}", "pollInterval": "2s",
                               "cascadeDebounce": "0"})
        stack.write_config()
        git = GitServer(stack.folder / "git").start()
        try:
            stack.start_api()
            stack.start_worker("pollw", concurrency=2)
            push_base(docker_client, base_image, f"{quiet.host}/pbase:1")
            repo = git.repo(f"polled-{uuid.uuid4().hex[:6]}")
            repo.commit({"Dockerfile": f"FROM {quiet.host}/pbase:1\nRUN echo p > /p\n"})
            with client(stack) as api:
                assert api.post("/v1/tasks", json={
                    "name": "polled-task", "kind": "build", "context": f"{repo.url}#main",
                    "commitTriggerEnabled": False,
                    "build": {"tags": [f"{quiet.host}/polled:1"], "dockerfile": "Dockerfile"}}).status_code == 201
                first = api.post("/v1/tasks/polled-task/runs").json()["runId"]
                assert wait_status(api, first, {"Succeeded", "Failed"})["status"] == "Succeeded"

                def checks(result: str) -> float:
                    return float(stack.store().counters("base_image_checks").get((quiet.host, result), 0.0))

                wait_until(lambda: checks("unchanged") >= 1, timeout=30, what="a poll of the unchanged base")
                digest = push_base(docker_client, base_image, f"{quiet.host}/pbase:1", layer="polled-v2")
                [update] = wait_runs(stack, "polled-task", 2, timeout=60)[:1]
                record = wait_status(api, update.run_id, {"Succeeded", "Failed"})
            assert record["trigger"] == "Image Update" and record["status"] == "Succeeded"
            trigger = record["imageUpdateTrigger"]
            assert trigger["id"] == f"poll:{quiet.host}/pbase:1@{digest}"
            assert trigger["images"][0]["digest"] == digest
            assert checks("changed") >= 1
        finally:
            git.stop()
            quiet.stop()
