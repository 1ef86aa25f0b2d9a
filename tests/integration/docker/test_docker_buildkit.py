"""BuildKit builds on the real daemon: cache and secret mounts, the builder choice, newer syntax, frontends,
platforms through QEMU, manifest lists, and everything a classic build does (tags, labels, target, args,
.dockerignore, image id, dependency report)."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from docker_harness import Harness, HarnessFactory, cmd, missing
from test_docker_build_push import build_step, push_step

from tasks_engine.deps.features import _version_tuple

pytestmark = pytest.mark.integration
ARM64_IMAGE = os.environ.get("TE_ARM64_IMAGE", "127.0.0.1:5000/tasks-engine/busybox-arm64:latest")


def _history(client: Any, ref: str) -> str:
    return json.dumps(client.api.history(ref))


def test_cache_mount_persists_across_builds(harness: Harness, base_image: str) -> None:
    cache_id = f"te-{uuid.uuid4().hex[:8]}"
    (harness.workspace / "Dockerfile").write_text(
        f"FROM {base_image}\nARG N\n"
        f"RUN --mount=type=cache,id={cache_id},target=/cache echo {cache_id}; "
        'echo "build $N saw: $(cat /cache/stamp 2>/dev/null || echo nothing)"; echo "from build $N" > /cache/stamp\n'
    )
    first = harness.run(build_step("b1", build_args={"N": "1"}))
    assert first.result.ok, first.output
    assert "Building with BuildKit: /workspace/Dockerfile line 3 uses RUN --mount=type=cache" in first.output
    assert "build 1 saw: nothing" in first.output
    second = harness.run(build_step("b2", build_args={"N": "2"}))
    assert second.result.ok, second.output
    assert "build 2 saw: from build 1" in second.output


def test_secret_mount_keeps_the_secret_out_of_history_and_logs(harness: Harness, base_image: str,
                                                               docker_client: Any, registry: str) -> None:
    """``--secret-build-arg TOKEN`` mounted by the Dockerfile: a BuildKit secret, absent from the image history
    and the build output; ``PLAIN`` is not mounted: ACR's build argument, with a warning that it lands in
    the history."""
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    tag = f"{registry}/tasks-engine-tests/secret-{harness.run_id}:1"
    (harness.workspace / "Dockerfile").write_text(
        f"FROM {base_image}\nARG PLAIN\n"
        f"RUN --mount=type=secret,id=TOKEN echo {uuid.uuid4().hex}; sha256sum /run/secrets/TOKEN\n"
        "RUN echo plain=$PLAIN > /plain\n"
    )
    built = harness.run(build_step("s", tags=[tag], secret_build_args={"TOKEN": secret, "PLAIN": "not-secret"}))
    assert built.result.ok, built.output
    assert hashlib.sha256(secret.encode()).hexdigest() in built.output  # the mount had the exact value
    assert "TOKEN is passed as a BuildKit secret" in built.output
    assert "WARNING: --secret-build-arg PLAIN is passed as a build argument" in built.output
    assert secret not in built.output
    history = _history(docker_client, tag)
    assert secret not in history
    assert "not-secret" in history  # ACR's behaviour for an argument the Dockerfile does not mount


def test_buildkit_by_env_keeps_every_classic_feature(harness: Harness, base_image: str, docker_client: Any,
                                                     registry: str) -> None:
    repo = f"{registry}/tasks-engine-tests/bk-{harness.run_id}"
    (harness.workspace / "app").mkdir()
    (harness.workspace / "app" / "Dockerfile").write_text(
        f"FROM {base_image} AS base\nARG GREETING\nRUN echo \"$GREETING\" > /greeting\n"
        "COPY . /ctx\nFROM base AS final\nCMD cat /greeting\nFROM base AS unused\nRUN exit 1\n"
    )
    (harness.workspace / "app" / ".dockerignore").write_text("secret.txt\n")
    (harness.workspace / "app" / "secret.txt").write_text("must not reach the daemon\n")
    step = build_step("b", context="app", tags=[f"{repo}:v1", f"{repo}:v2"], target="final",
                      build_args={"GREETING": "hello from buildkit"}, labels={"org.example": "yes"}, buildkit=True)
    built = harness.run(step)
    assert built.result.ok, built.output
    assert "Building with BuildKit: DOCKER_BUILDKIT=1 in the step's env" in built.output
    assert "#" in built.output and "DONE" in built.output  # BuildKit's plain progress, line by line
    image = docker_client.images.get(f"{repo}:v2")
    assert image.id == built.result.image_id
    assert image.labels["org.example"] == "yes"
    assert [d["image"]["reference"] for d in built.result.dependencies] == [f"{repo}:v1", f"{repo}:v2"]
    assert built.result.platforms == ["linux/amd64"]
    ran = harness.run(cmd("run", f"{repo}:v1", "sh", "-c", "cat /greeting; ls /ctx"))
    assert "hello from buildkit" in ran.output
    assert "secret.txt" not in ran.output
    pushed = harness.run(push_step("push", f"{repo}:v1"))
    assert pushed.result.ok, pushed.output
    assert pushed.result.pushed[f"{repo}:v1"].startswith("sha256:")


def test_classic_by_default_and_explicit_classic_with_buildkit_syntax(harness: Harness, base_image: str) -> None:
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nRUN echo classic {uuid.uuid4().hex}\n")
    classic = harness.run(build_step("c"))
    assert classic.result.ok, classic.output
    assert "Successfully built" in classic.output
    assert "BuildKit" not in classic.output
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nCOPY --chmod=755 Dockerfile /x\n")
    refused = harness.run(build_step("c2", buildkit=False))
    assert not refused.result.ok
    assert refused.result.error == ("build failed: /workspace/Dockerfile line 2 uses COPY --chmod, which needs "
                                    "BuildKit, but the step's env sets DOCKER_BUILDKIT=0")


def test_platform_args_choose_buildkit(harness: Harness, base_image: str) -> None:
    (harness.workspace / "Dockerfile").write_text(
        f"FROM --platform=$BUILDPLATFORM {base_image}\nARG TARGETARCH\nRUN echo {uuid.uuid4().hex} arch=$TARGETARCH\n"
    )
    built = harness.run(build_step("p"))
    assert built.result.ok, built.output
    assert "line 1 uses FROM using $BUILDPLATFORM, which only BuildKit understands" in built.output
    assert "arch=amd64" in built.output


def test_heredoc_needs_a_newer_daemon_or_says_so(harness: Harness, base_image: str, docker_client: Any) -> None:
    nonce = uuid.uuid4().hex
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nRUN <<EOT\necho from-heredoc {nonce}\nEOT\n")
    built = harness.run(build_step("h"))
    version = docker_client.version()["Version"]
    if _version_tuple(version) >= (23,):
        assert built.result.ok, built.output
        assert "from-heredoc" in built.output
    else:
        assert not built.result.ok
        assert built.result.error == (
            f"build failed: /workspace/Dockerfile line 2: RUN <<EOT (heredoc) needs Docker 23.0 or newer for the "
            f"daemon's built-in Dockerfile frontend (this daemon is Docker {version}); add '# syntax=docker/"
            "dockerfile:1' as the first line to use a newer frontend image (the image must be pullable, or mapped "
            "in the engine configuration's buildkitFrontends)"
        )


def test_unpullable_frontend_is_named_and_can_map_to_builtin(harness_factory: HarnessFactory,
                                                             base_image: str) -> None:
    """No registry here serves docker/dockerfile (no Docker Hub, and no Debian package builds it), so the
    mapping is tested with the built-in frontend."""
    text = (f"# syntax=docker/dockerfile:1\nFROM {base_image}\n"
            f"RUN --mount=type=tmpfs,target=/t echo {uuid.uuid4().hex} mapped-ok\n")
    plain = harness_factory()
    (plain.workspace / "Dockerfile").write_text(text)
    failed = plain.run(build_step("f"))
    assert not failed.result.ok
    assert failed.result.error is not None
    assert failed.result.error.startswith(
        "build failed: the Dockerfile's frontend image docker/dockerfile:1 (# syntax= on line 1) cannot be pulled: "
    )
    assert "buildkitFrontends" in failed.result.error
    mapped = harness_factory(buildkit_frontends={"docker.io/docker/dockerfile:1": "builtin"})
    (mapped.workspace / "Dockerfile").write_text(text)
    built = mapped.run(build_step("m"))
    assert built.result.ok, built.output
    assert "mapped to builtin by the engine configuration" in built.output
    assert "mapped-ok" in built.output


def test_missing_emulation_is_a_clear_error(harness_factory: HarnessFactory, base_image: str,
                                            tmp_path: Path) -> None:
    harness = harness_factory(binfmt_dir=tmp_path / "no-binfmt")
    (harness.workspace / "Dockerfile").write_text(f"FROM {base_image}\nRUN uname -m\n")
    built = harness.run(build_step("a", platform="linux/arm64"))
    assert not built.result.ok
    assert built.result.error == (
        "build failed: building for linux/arm64 on this linux/amd64 host needs emulation: install QEMU user "
        "emulation on the worker (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support; "
        "scripts/setup.sh does it with TE_QEMU=1), or send the run to a worker of that platform "
        "(queue runs.linux-arm64)"
    )


def _arm64_ready(docker_client: Any) -> None:
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        if os.environ.get("TE_QEMU") == "0":
            pytest.skip("TE_QEMU=0: no QEMU emulation wanted on this host")
        missing("no QEMU arm64 emulation on this host (scripts/setup.sh installs it unless TE_QEMU=0)")
    try:
        docker_client.images.pull(ARM64_IMAGE, platform="linux/arm64")
    except Exception as exc:
        missing(f"arm64 base image {ARM64_IMAGE} unavailable: {exc}")


def test_arm64_build_through_qemu(harness: Harness, docker_client: Any) -> None:
    _arm64_ready(docker_client)
    nonce = uuid.uuid4().hex  # a fresh layer: a cached RUN prints nothing
    (harness.workspace / "Dockerfile").write_text(f"FROM {ARM64_IMAGE}\nRUN echo {nonce} machine=$(uname -m)\n")
    built = harness.run(build_step("a", platform="linux/arm64", buildkit=True))
    assert built.result.ok, built.output
    assert "machine=aarch64" in built.output
    assert built.result.platforms == ["linux/arm64"]
    assert docker_client.images.get(built.result.image_id).attrs["Architecture"] == "arm64"
    ran = harness.run(cmd("r", ARM64_IMAGE, "uname", "-m", run_options={"platform": "linux/arm64"}))
    assert ran.result.ok, ran.output
    assert ran.output == "aarch64\n"


def test_platform_list_pushes_a_manifest_list(harness: Harness, base_image: str, docker_client: Any,
                                              registry: str) -> None:
    _arm64_ready(docker_client)
    amd64 = f"{registry}/tasks-engine/busybox-amd64:latest"
    docker_client.images.get(base_image).tag(amd64)
    docker_client.images.push(amd64)
    repo = f"tasks-engine-tests/multi-{harness.run_id}"
    tag = f"{registry}/{repo}:1"
    (harness.workspace / "Dockerfile").write_text(
        f"FROM {registry}/tasks-engine/busybox-$TARGETARCH:latest\nRUN echo {uuid.uuid4().hex} built-on-$(uname -m)\n"
    )
    built = harness.run(build_step("m", tags=[tag], platform="linux/amd64,linux/arm64"))
    assert built.result.ok, built.output
    assert "built-on-x86_64" in built.output and "built-on-aarch64" in built.output
    assert built.result.platforms == ["linux/amd64", "linux/arm64"]
    pushed = harness.run(push_step("push", tag))
    assert pushed.result.ok, pushed.output
    digest = pushed.result.pushed[tag]
    assert digest.startswith("sha256:")
    request = urllib.request.Request(
        f"http://{registry}/v2/{repo}/manifests/1",
        headers={"Accept": "application/vnd.docker.distribution.manifest.list.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        manifest = json.loads(response.read())
    archs = sorted(m["platform"]["architecture"] for m in manifest["manifests"])
    assert archs == ["amd64", "arm64"]
