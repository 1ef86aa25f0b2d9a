"""``cmd`` steps on a real daemon: workspace, networking by step id, stop, missing images, privileged."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import pytest
from docker_harness import Harness, HarnessFactory, cmd, sh

from tasks_engine.backends.docker import PRIVILEGED_REFUSED
from tasks_engine.plan.model import MountSpec, VolumeSpec

pytestmark = pytest.mark.integration


def test_cmd_sees_workspace_and_later_steps_see_its_files(harness: Harness, base_image: str) -> None:
    (harness.workspace / "in.txt").write_text("from the context\n")
    first = harness.run(sh("writer", base_image, "cat in.txt > out.txt; echo HOME=$HOME; pwd"))
    assert first.result.ok, first
    assert first.result.exit_code == 0
    assert "HOME=/acb/home" in first.output
    assert "/workspace" in first.output
    second = harness.run(cmd("reader", base_image, "cat", "/workspace/out.txt"))
    assert second.result.ok
    assert second.output == "from the context\n"


def test_env_user_workdir_and_exit_code(harness: Harness, base_image: str) -> None:
    (harness.workspace / "sub").mkdir()
    step = sh(
        "envy",
        base_image,
        'echo "$FOO|$HOME|$(pwd)|$(id -u)"; echo to-stderr >&2; exit 3',
        env=["FOO=bar baz", "HOME=/tmp"],
        working_directory="/workspace/sub",
        user="65534",
    )
    attempt = harness.run(step)
    assert not attempt.result.ok
    assert attempt.result.exit_code == 3
    assert attempt.result.error == "exit status 3"
    assert "bar baz|/tmp|/workspace/sub|65534" in attempt.output
    assert "to-stderr" in attempt.output


def test_entry_point_is_split_into_words(harness: Harness, base_image: str) -> None:
    attempt = harness.run(cmd("ep", base_image, "echo $0 hi", entry_point="sh -c"))
    assert attempt.result.ok, attempt
    assert attempt.output == "sh hi\n"  # ["sh", "-c"] + ["echo $0 hi"]: $0 is the entry point


def test_detached_httpd_is_reached_by_step_id(harness: Harness, base_image: str) -> None:
    (harness.workspace / "index.html").write_text("hello from web\n")
    web = cmd("web", base_image, "httpd", "-f", "-p", "80", "-h", "/workspace", detach=True)
    started = harness.run(web)
    assert started.result.ok, started
    client = sh(
        "client",
        base_image,
        "for i in $(seq 1 50); do wget -q -O - http://web/index.html && exit 0; sleep 0.1; done; exit 1",
    )
    fetched = harness.run(client)
    assert fetched.result.ok, fetched
    assert "hello from web" in fetched.output
    running = harness.leftovers()["containers"]
    assert [c["Labels"]["tasks-engine.step-id"] for c in running] == ["web"]


def test_stop_kills_the_container_promptly(harness: Harness, base_image: str) -> None:
    attempt = harness.run(sh("sleepy", base_image, "echo started; sleep 60"), stop_after=0.7)
    assert attempt.result.stopped
    assert not attempt.result.ok
    assert attempt.seconds < 5
    assert "started" in attempt.output
    assert harness.leftovers()["containers"] == []


def test_missing_image_is_a_result_not_an_exception(harness: Harness, registry: str) -> None:
    ref = f"{registry}/tasks-engine-tests/does-not-exist:{harness.run_id}"
    attempt = harness.run(cmd("ghost", ref, "true"))
    assert not attempt.result.ok
    assert attempt.result.error is not None
    assert attempt.result.error.startswith(f"image not found: {ref}")


def test_pull_true_pulls_the_image_again(harness: Harness, base_image: str) -> None:
    attempt = harness.run(cmd("pulled", base_image, "true", pull=True, cmd_download_retries=1))
    assert attempt.result.ok, attempt


def test_privileged_is_refused_by_default(harness: Harness, base_image: str) -> None:
    attempt = harness.run(cmd("priv", base_image, "true", privileged=True))
    assert not attempt.result.ok
    assert attempt.result.error == PRIVILEGED_REFUSED


def test_privileged_runs_when_allowed(harness_factory: HarnessFactory, base_image: str, docker_client: Any) -> None:
    harness = harness_factory(allow_privileged=True)
    attempt = harness.run(cmd("priv", base_image, "true", privileged=True, keep=True))
    # A daemon that itself runs unprivileged (nested containers, CI) cannot start it: that is a step result.
    assert attempt.result.ok or "docker: " in (attempt.result.error or ""), attempt
    (container,) = harness.leftovers()["containers"]
    assert docker_client.api.inspect_container(container["Id"])["HostConfig"]["Privileged"] is True


def test_secret_volume_is_visible_and_read_only(harness_factory: HarnessFactory, base_image: str) -> None:
    secret = base64.b64encode(b"s3cr3t value").decode()
    harness = harness_factory(volumes=[VolumeSpec(name="creds", secret={"token.txt": secret})])
    step = sh(
        "reader",
        base_image,
        "cat /mnt/creds/token.txt; echo; echo x 2>/dev/null > /mnt/creds/token.txt || echo WRITE-REFUSED; "
        "touch /mnt/creds/x 2>&1 | grep -o 'Read-only file system'",
        volume_mounts=[MountSpec(name="creds", mount_path="/mnt/creds")],
    )
    attempt = harness.run(step)
    assert attempt.result.ok, attempt
    assert "s3cr3t value\n" in attempt.output
    assert "WRITE-REFUSED" in attempt.output
    assert "Read-only file system" in attempt.output


def test_ports_and_cpus_are_applied(harness: Harness, base_image: str, docker_client: Any) -> None:
    ports = ["127.0.0.1::80"]
    step = cmd("svc", base_image, "sleep", "30", detach=True, ports=ports, expose=["81/udp"], cpus="0.5")
    attempt = harness.run(step)
    assert attempt.result.ok, attempt
    (container,) = harness.leftovers()["containers"]
    info = docker_client.api.inspect_container(container["Id"])
    assert info["HostConfig"]["NanoCpus"] == 500_000_000
    assert info["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"] == "127.0.0.1"
    assert "81/udp" in info["Config"]["ExposedPorts"]


def test_teardown_leaves_no_labelled_objects(harness_factory: HarnessFactory, base_image: str) -> None:
    harness = harness_factory()
    assert harness.leftovers()["networks"], "the run network carries the run label"
    assert harness.run(cmd("bg", base_image, "sleep", "60", detach=True)).result.ok
    assert harness.run(cmd("kept", base_image, "true", keep=True)).result.ok
    assert len(harness.leftovers()["containers"]) == 2
    started = time.monotonic()
    harness.backend.teardown(harness.plan)
    assert time.monotonic() - started < 10
    assert harness.leftovers() == {"containers": [], "networks": [], "volumes": []}
    harness.backend.teardown(harness.plan)  # a second teardown finds nothing and does not raise


def test_parallel_attempts_share_one_backend(harness: Harness, base_image: str) -> None:
    results: dict[str, Any] = {}

    def run(step_id: str) -> None:
        results[step_id] = harness.run(sh(step_id, base_image, f"sleep 0.5; echo I am {step_id}"))

    threads = [threading.Thread(target=run, args=(f"p{i}",)) for i in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started < 8
    for step_id, attempt in results.items():
        assert attempt.result.ok, attempt
        assert attempt.output == f"I am {step_id}\n"


def test_kept_containers_of_retried_attempts_do_not_clash(harness: Harness, base_image: str) -> None:
    step = sh("flaky", base_image, "exit 1", keep=True)
    assert harness.run(step).result.exit_code == 1
    assert harness.run(step).result.exit_code == 1
    names = sorted(c["Names"][0] for c in harness.leftovers()["containers"])
    assert names == [f"/te-{harness.run_id}-flaky", f"/te-{harness.run_id}-flaky-2"]
