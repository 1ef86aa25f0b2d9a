"""Images end to end: build on the local base, push to the local registry, pull back and run; ``build``
(az acr build) with a ``.dockerignore``; a git repository as the context."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import git
import pytest
from e2e_support import Cli, assert_clean, remove_images, write_task

pytestmark = pytest.mark.integration

DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY message.txt /message.txt
CMD ["cat", "/message.txt"]
"""


def _image_context(folder: Path, message: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "message.txt").write_text(message + "\n")
    return folder


def test_build_push_pull_back_and_run(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                      registry: str, base_image: str) -> None:
    run_id = run_ids("bpp")
    context = _image_context(tmp_path / "ctx", f"built-in-{run_id}")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: build
            build: -t $Registry/e2e/app:$ID --build-arg BASE={{ .Values.base }} .
          - id: push
            push: ["$Registry/e2e/app:$ID"]
    """)
    ref = f"{registry}/e2e/app:{run_id}"
    try:
        result = cli.run_task(task, run_id, context=context)
        result.assert_succeeded(run_id)
        record = result.record
        assert [s["status"] for s in record["steps"]] == ["successful", "successful"]
        assert record["dependencies"], record
        images = [o for o in record["outputImages"] if o["tag"] == run_id]
        assert len(images) == 1, record["outputImages"]
        image = images[0]
        assert image["registry"] == registry
        assert image["repository"] == "e2e/app"
        assert image["digest"].startswith("sha256:")

        dep = record["dependencies"][0]
        assert dep["image"]["reference"] == ref
        runtime = dep["runtime-dependency"]
        base_repo = base_image.split("/", 1)[1].rsplit(":", 1)[0]
        assert runtime["registry"] == registry
        assert runtime["repository"] == base_repo
        assert runtime["tag"] == "latest"
        assert runtime["reference"] == base_image
        base_digests = [d.partition("@")[2] for d in docker_client.images.get(base_image).attrs["RepoDigests"]]
        assert runtime["digest"] in base_digests
        assert dep["image"]["digest"] == image["digest"]
        assert_clean(docker_client, run_id)

        # Prove the push: remove the local copy, pull it back from the registry, run it.
        docker_client.images.remove(ref, force=True)
        pulled = docker_client.images.pull(f"{registry}/e2e/app", tag=run_id)
        assert any(d.endswith(image["digest"]) for d in pulled.attrs["RepoDigests"])
        output = docker_client.containers.run(ref, remove=True)
        assert output.decode().strip() == f"built-in-{run_id}"
    finally:
        remove_images(docker_client, run_id, [ref])


def test_build_command_honours_dockerignore(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                            registry: str, base_image: str) -> None:
    run_id = run_ids("bld")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base_image}\nCOPY . /ctx/\nCMD [\"ls\", \"/ctx\"]\n")
    (context / "keep.txt").write_text("keep\n")
    (context / "secret.env").write_text("TOKEN=do-not-ship\n")
    (context / ".dockerignore").write_text("secret.env\n")
    ref = f"{registry}/demo/x:{run_id}"
    try:
        result = cli("build", "-t", f"demo/x:{run_id}", "--registry", registry, "--id", run_id,
                     "-o", "json", str(context))
        result.assert_succeeded(run_id)
        assert [s["id"] for s in result.record["steps"]] == ["build", "push"]
        assert any(o["repository"] == "demo/x" and o["tag"] == run_id for o in result.record["outputImages"])
        listing = docker_client.containers.run(ref, remove=True).decode().split()
        assert "keep.txt" in listing
        assert "Dockerfile" in listing
        assert "secret.env" not in listing
        assert (context / "secret.env").exists()
        assert_clean(docker_client, run_id)
    finally:
        remove_images(docker_client, run_id, [ref])


def test_build_no_push_without_registry(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("bnp")
    context = _image_context(tmp_path / "ctx", "no-push")
    result = cli("build", "-t", f"e2e-local/np:{run_id}", "--no-push", "--build-arg", f"BASE={cli.base}",
                 "--id", run_id, str(context))
    try:
        result.assert_succeeded(run_id)
        assert docker_client.containers.run(f"e2e-local/np:{run_id}", remove=True).decode().strip() == "no-push"
    finally:
        remove_images(docker_client, run_id, [f"e2e-local/np:{run_id}"])


def _git_repo(root: Path, message: str) -> tuple[Path, str]:
    repo_dir = root / "repo.git"
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "e2e")
        cfg.set_value("user", "email", "e2e@example.invalid")
    _image_context(repo_dir / "sub", message)
    (repo_dir / "README.md").write_text("root of the repo\n")
    repo.index.add(["sub/Dockerfile", "sub/message.txt", "README.md"])
    commit = repo.index.commit("first")
    repo.create_head("other")  # a second branch, so the ref in the URL matters
    return repo_dir, commit.hexsha


def test_git_context_with_ref_and_subfolder(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                            registry: str) -> None:
    run_id = run_ids("git")
    repo_dir, sha = _git_repo(tmp_path, f"from-git-{run_id}")
    task = write_task(tmp_path, textwrap.dedent("""
        version: v1.1.0
        steps:
          - id: build
            build: -t $Registry/e2e/git:$ID --build-arg BASE={{ .Values.base }} .
          - id: show
            cmd: $Registry/e2e/git:$ID
          - id: commit
            cmd: '{{ .Values.base }} echo COMMIT={{ .Run.Commit }}'
          - id: files
            cmd: '{{ .Values.base }} ls'
    """))
    try:
        result = cli.run_task(task, run_id, context=f"file://{repo_dir}#main:sub")
        result.assert_succeeded(run_id)
        assert f"from-git-{run_id}" in result.err
        assert f"COMMIT={sha}" in result.err
        assert "README.md" not in result.err  # the workspace is the subfolder
        git_info = result.record["dependencies"][0].get("git") or {}
        assert git_info.get("git-head-revision") == sha, result.record["dependencies"]
        assert_clean(docker_client, run_id)
    finally:
        remove_images(docker_client, run_id, [f"{registry}/e2e/git:{run_id}"])


def test_cache_mount_dockerfile_builds_with_tasks_engine_build(cli: Cli, run_ids: Any, tmp_path: Path,
                                                              docker_client: Any) -> None:
    """The issue's first example: ``RUN --mount=type=cache`` used to fail with "the --mount option requires
    BuildKit"; now BuildKit is chosen, and says why."""
    run_id = run_ids("bkmount")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "requirements.txt").write_text("nothing\n")
    (context / "Dockerfile").write_text(
        f"FROM {cli.base}\nCOPY requirements.txt .\n"
        f"RUN --mount=type=cache,target=/root/.cache echo {run_id} >> /root/.cache/seen && wc -l < /root/.cache/seen\n"
    )
    result = cli("build", "-t", f"e2e-local/bkmount:{run_id}", "--no-push", "--id", run_id, "-o", "json",
                 str(context))
    result.assert_succeeded(run_id)
    assert "Building with BuildKit: /workspace/Dockerfile line 3 uses RUN --mount=type=cache" in result.err
    assert result.step("build")["platforms"] == ["linux/amd64"]
    assert_clean(docker_client, run_id)
