"""``build`` and ``push`` steps on a real daemon and registry (plus an htpasswd registry started here)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_harness import Harness, HarnessFactory, cmd, missing

from tasks_engine.backends.docker import RegistryCredential
from tasks_engine.plan.model import BuildSpec, StepSpec, StepType

pytestmark = pytest.mark.integration


def build_step(step_id: str, **build: Any) -> StepSpec:
    return StepSpec(id=step_id, type=StepType.BUILD, build=BuildSpec(**build))


def push_step(step_id: str, *images: str) -> StepSpec:
    return StepSpec(id=step_id, type=StepType.PUSH, images=list(images), working_directory=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_build_push_and_pull_back(harness: Harness, base_image: str, registry: str, docker_client: Any) -> None:
    repo = f"{registry}/tasks-engine-tests/built-{harness.run_id}"
    (harness.workspace / "app").mkdir()
    (harness.workspace / "app" / "Dockerfile").write_text(
        f'ARG BASE={base_image}\nFROM $BASE\nARG GREETING\nRUN echo "$GREETING" > /greeting\nCMD cat /greeting\n'
    )
    (harness.workspace / "app" / ".dockerignore").write_text("secret.txt\n")
    (harness.workspace / "app" / "secret.txt").write_text("must not reach the daemon\n")
    build = build_step(
        "build",
        context="app",
        tags=[f"{repo}:v1", f"{repo}:v2"],
        build_args={"GREETING": "hello from build", "FROM_ENV": None},
        labels={"org.example": "yes"},
    )
    built = harness.run(build)
    assert built.result.ok, built
    assert built.result.image_id and built.result.image_id.startswith("sha256:")
    assert "Successfully built" in built.output
    image = docker_client.images.get(f"{repo}:v2")
    assert image.id == built.result.image_id
    assert image.labels["org.example"] == "yes"
    assert "tasks-engine.run-id" not in image.labels  # digests stay stable across identical rebuilds
    (dep, dep2) = built.result.dependencies
    assert dep["image"]["reference"] == f"{repo}:v1"
    assert dep2["image"]["reference"] == f"{repo}:v2"
    assert dep["runtime-dependency"]["reference"] == base_image
    assert dep["runtime-dependency"]["digest"] == ""

    pushed = harness.run(push_step("push", f"{repo}:v1", f"{repo}:v2"))
    assert pushed.result.ok, pushed
    assert f"Pushing image: {repo}:v1, attempt 1" in pushed.output
    assert f"Successfully pushed image: {repo}:v2" in pushed.output
    digest = pushed.result.pushed[f"{repo}:v1"]
    assert digest.startswith("sha256:")
    assert harness.backend.digest_of(f"{repo}:v1") == digest

    docker_client.images.remove(f"{repo}:v1", force=True)
    docker_client.images.remove(f"{repo}:v2", force=True)
    ran = harness.run(cmd("run", f"{repo}:v1"))
    assert ran.result.ok, ran
    assert "hello from build" in ran.output
    assert f"Unable to find image '{repo}:v1' locally" in ran.output


def test_build_with_explicit_dockerfile_and_target(harness: Harness, base_image: str, registry: str) -> None:
    (harness.workspace / "docker").mkdir()
    (harness.workspace / "docker" / "app.Dockerfile").write_text(
        f"FROM {base_image} AS first\nRUN echo one > /stage\nFROM first AS second\nRUN exit 9\n"
    )
    tag = f"{registry}/tasks-engine-tests/target-{harness.run_id}:v1"
    git = ["git", "-C", str(harness.workspace), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    step = build_step("b", dockerfile="docker/app.Dockerfile", target="first", tags=[tag])
    built = harness.run(step)
    assert built.result.ok, built
    (dep,) = built.result.dependencies
    assert dep["runtime-dependency"]["reference"] == base_image
    assert dep["buildtime-dependency"] == []
    assert dep["git"] == {"git-head-revision": head}


def test_bad_dockerfile_fails_the_build_with_the_reason(harness: Harness, base_image: str) -> None:
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nRUN echo failing; exit 3\n")
    failed = harness.run(build_step("bad"))
    assert not failed.result.ok
    assert failed.result.error is not None
    assert failed.result.error.startswith("build failed: ")
    assert "returned a non-zero code: 3" in failed.result.error
    assert "failing" in failed.output


def test_unknown_instruction_fails_the_build(harness: Harness, base_image: str) -> None:
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nFROOM nothing\n")
    failed = harness.run(build_step("bad"))
    assert not failed.result.ok
    assert failed.result.error is not None
    assert failed.result.error.startswith("build failed: ")
    assert "unknown instruction" in failed.result.error.lower()


def test_missing_context_is_a_clear_build_error(harness: Harness) -> None:
    failed = harness.run(build_step("nowhere", context="missing-dir"))
    assert failed.result.error == "build failed: build context /workspace/missing-dir does not exist in the workspace"


def test_stop_interrupts_a_long_build(harness: Harness, base_image: str, docker_client: Any) -> None:
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nRUN echo building; sleep 30\n")
    stopped = harness.run(build_step("slow", no_cache=True), stop_after=1.5)
    assert stopped.result.stopped
    assert stopped.seconds < 5
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        running = docker_client.api.containers(filters={"ancestor": base_image, "status": "running"})
        if not any("sleep 30" in str(c.get("Command")) for c in running):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the daemon kept building after the client went away")


def test_push_to_unreachable_registry_fails_with_the_reason(
    harness_factory: HarnessFactory, base_image: str, docker_client: Any
) -> None:
    harness = harness_factory(push_backoff_base=0.01)
    ref = f"127.0.0.1:{free_port()}/tasks-engine-tests/nowhere:{harness.run_id}"
    docker_client.images.get(base_image).tag(ref)
    try:
        failed = harness.run(push_step("push", ref))
    finally:
        docker_client.images.remove(ref, force=True)
    assert not failed.result.ok
    assert failed.result.error is not None
    assert failed.result.error.startswith("failed to push images successfully: ")
    assert "connection refused" in failed.result.error
    assert f"Pushing image: {ref}, attempt 3" in failed.output


def test_push_of_an_image_that_does_not_exist_locally(harness_factory: HarnessFactory, registry: str) -> None:
    harness = harness_factory(push_backoff_base=0.01)
    failed = harness.run(push_step("push", f"{registry}/tasks-engine-tests/never-built:{harness.run_id}"))
    assert failed.result.error is not None
    assert failed.result.error.startswith("failed to push images successfully: ")
    assert "does not exist" in failed.result.error.lower() or "no such image" in failed.result.error.lower()


def _bcrypt(password: str) -> str:
    try:
        import bcrypt

        return str(bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode())
    except ImportError:
        pass
    with contextlib.suppress(ImportError):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # Python < 3.13; glibc/libxcrypt provide bcrypt

        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        if hashed and hashed.startswith("$2"):
            return hashed
    missing("no bcrypt implementation (pip install bcrypt) to write an htpasswd file")


@pytest.fixture
def auth_registry(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        missing("docker-registry binary not installed")
    port = free_port()
    (tmp_path / "htpasswd").write_text(f"tester:{_bcrypt('right-password')}\n")
    (tmp_path / "registry.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {tmp_path / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: tasks-engine-test\n    path: {tmp_path / 'htpasswd'}\n"
    )
    proc = subprocess.Popen(
        [binary, "serve", str(tmp_path / "registry.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            except urllib.error.HTTPError:
                break  # 401: it is up and asks for credentials
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the htpasswd registry did not start")
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_push_with_wrong_credentials_says_unauthorized(
    harness_factory: HarnessFactory, base_image: str, docker_client: Any, auth_registry: str
) -> None:
    wrong = RegistryCredential(auth_registry, "tester", "wrong-password")
    harness = harness_factory(push_backoff_base=0.01, credentials=[wrong])
    ref = f"{auth_registry}/tasks-engine-tests/private:{harness.run_id}"
    docker_client.images.get(base_image).tag(ref)
    try:
        failed = harness.run(push_step("push", ref))
    finally:
        docker_client.images.remove(ref, force=True)
    assert not failed.result.ok
    assert failed.result.error is not None
    assert failed.result.error.startswith("failed to push images successfully: ")
    assert "unauthorized" in failed.result.error.lower() or "authentication required" in failed.result.error
    assert "wrong-password" not in failed.result.error + failed.output


def test_push_with_right_credentials_succeeds(
    harness_factory: HarnessFactory, base_image: str, docker_client: Any, auth_registry: str
) -> None:
    right = RegistryCredential(auth_registry, "tester", "right-password")
    harness = harness_factory(credentials=[right])
    ref = f"{auth_registry}/tasks-engine-tests/private:{harness.run_id}"
    docker_client.images.get(base_image).tag(ref)
    try:
        pushed = harness.run(push_step("push", ref))
        assert pushed.result.ok, pushed
        assert pushed.result.pushed[ref].startswith("sha256:")
        docker_client.images.remove(ref, force=True)
        pulled = harness.run(cmd("pull-private", ref, "true"))
        assert pulled.result.ok, pulled
    finally:
        with contextlib.suppress(Exception):
            docker_client.images.remove(ref, force=True)


def test_a_classic_build_pulls_a_private_base_with_the_runs_credentials(
    harness_factory: HarnessFactory, base_image: str, docker_client: Any, auth_registry: str
) -> None:
    """The SDK's build call takes no credentials: the run's logins become its client's auth config, which the
    daemon gets as ``X-Registry-Config`` for the ``FROM`` pull; without them the pull is refused."""
    right = RegistryCredential(auth_registry, "tester", "right-password")
    pusher = harness_factory(credentials=[right])
    base = f"{auth_registry}/tasks-engine-tests/private-base:{pusher.run_id}"
    docker_client.images.get(base_image).tag(base)
    try:
        assert pusher.run(push_step("push", base)).result.ok
        docker_client.images.remove(base, force=True)
        for credentials, ok in (([], False), ([right], True)):
            harness = harness_factory(credentials=credentials)
            (harness.workspace / "Dockerfile").write_text(f"FROM {base}\nRUN echo built on the private base\n")
            tag = f"tasks-engine-tests/on-private:{harness.run_id}"
            built = harness.run(build_step("build", context=".", tags=[tag]))
            assert built.result.ok is ok, built.output
            if ok:
                assert "built on the private base" in built.output
                docker_client.images.remove(tag, force=True)
            else:
                assert "right-password" not in built.output
    finally:
        with contextlib.suppress(Exception):
            docker_client.images.remove(base, force=True)
