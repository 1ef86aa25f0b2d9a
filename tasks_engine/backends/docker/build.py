"""``build`` steps through the daemon's build API: the classic builder, ACR's default ``DOCKER_BUILDKIT=0``.

Paths: ACR runs ``docker build`` in a container whose working directory is the step's working directory
inside the shared ``/workspace``; we resolve the context (and an explicit ``-f``) the same way, on the host
copy of the workspace. The default ``Dockerfile`` is looked up in the context, as the CLI does. Remote
contexts (git, http) are handed to the daemon, which fetches them itself; their Dockerfile is not
scanned for dependencies.

Not supported (logged): ``cache: enabled`` (buildx registry cache) and ``DOCKER_BUILDKIT=1`` — the SDK speaks
only the classic builder API.
"""

from __future__ import annotations

import os
import posixpath
import threading
from pathlib import Path
from typing import Any

import docker.errors
import docker.utils

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.deps_report import dependency_report
from tasks_engine.backends.docker.errors import is_connection_error, reason, unreachable
from tasks_engine.backends.docker.netpolicy import resolve_network
from tasks_engine.backends.docker.spec import StepConfigError, parse_size, resolve_build_args
from tasks_engine.backends.docker.streams import consume, stream_error
from tasks_engine.backends.docker.workspace import host_path, is_remote_context, real_inside, resolve_in_workdir
from tasks_engine.plan.model import BuildSpec, StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter

DEFAULT_DOCKERFILE = "Dockerfile"


class BuildPaths:
    """Host paths (or a remote URL) for one build step."""

    def __init__(self, ctx: RunContext, step: StepSpec, build: BuildSpec) -> None:
        workdir = step.working_directory or ctx.options.workspace_mount
        self.remote = is_remote_context(build.context)
        self.context: str
        self.dockerfile: str | None
        if self.remote:
            self.context = build.context
            self.dockerfile = build.dockerfile
            return
        context_in_container = resolve_in_workdir(workdir, build.context)
        mount = ctx.options.workspace_mount
        context = host_path(ctx.workspace, context_in_container, workspace_mount=mount)
        if context is None:
            raise StepConfigError(
                f"build context {context_in_container} is outside {mount}; only the shared workspace can be built"
            )
        real_context = real_inside(ctx.workspace, context)
        if real_context is None:
            raise StepConfigError(f"build context {context_in_container} is a symlink that leads outside {mount}")
        if not real_context.is_dir():
            raise StepConfigError(f"build context {context_in_container} does not exist in the workspace")
        # The SDK reads .dockerignore from the context on the host.
        ignore = real_context / ".dockerignore"
        if ignore.is_symlink() and real_inside(ctx.workspace, ignore) is None:
            raise StepConfigError(f"{context_in_container}/.dockerignore is a symlink that leads outside {mount}")
        self.context = str(real_context)
        # Only the default Dockerfile lives in the context; docker resolves an explicit -f against the working
        # directory (so `-f Dockerfile ./sub` builds ./Dockerfile, not ./sub/Dockerfile).
        if build.dockerfile is None:
            file_in_container = posixpath.join(context_in_container, DEFAULT_DOCKERFILE)
            dockerfile = real_context / DEFAULT_DOCKERFILE
        else:
            file_in_container = resolve_in_workdir(workdir, build.dockerfile)
            named = host_path(ctx.workspace, file_in_container, workspace_mount=mount)
            if named is None:
                raise StepConfigError(f"Dockerfile {file_in_container} is outside {mount}")
            dockerfile = named
        real_dockerfile = real_inside(ctx.workspace, dockerfile)
        if real_dockerfile is None:
            raise StepConfigError(f"Dockerfile {file_in_container} is a symlink that leads outside {mount}")
        self.dockerfile = str(real_dockerfile)


def _split_tag(ref: str) -> tuple[str, str | None]:
    repository, tag = docker.utils.parse_repository_tag(ref)
    return str(repository), (str(tag) if tag else None)


def run_build(ctx: RunContext, step: StepSpec, *, log: LogWriter, stop: threading.Event) -> AttemptResult:
    build = step.build
    if build is None:
        return AttemptResult(ok=False, error=f"step {step.id} has no build arguments")
    try:
        paths = BuildPaths(ctx, step, build)
        shm_size = parse_size(build.shm_size)
    except StepConfigError as exc:
        return AttemptResult(ok=False, error=f"build failed: {exc}")
    build_args = resolve_build_args(build.build_args, step.env)
    if build.cache and build.cache.lower() == "enabled":
        log("WARNING: cache: enabled (buildx registry cache) is not supported; building without it\n")
    dependencies: list[dict[str, Any]] = []
    if paths.dockerfile and not paths.remote and os.path.isfile(paths.dockerfile):
        dependencies, scan_error = dependency_report(
            Path(paths.dockerfile),
            tags=build.tags,
            build_args=build_args,
            target=build.target,
            context=Path(paths.context),
            commit=ctx.source_commit,
        )
        if scan_error:
            return AttemptResult(ok=False, error=f"failed to scan dependencies: {scan_error}")
    try:
        return _build(ctx, step, build, paths, build_args, shm_size, dependencies, log=log, stop=stop)
    except StepConfigError as exc:
        return AttemptResult(ok=False, error=f"build failed: {exc}")
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return AttemptResult(ok=False, error=f"build failed: {reason(exc)}")


def _build(
    ctx: RunContext,
    step: StepSpec,
    build: BuildSpec,
    paths: BuildPaths,
    build_args: dict[str, str],
    shm_size: int | None,
    dependencies: list[dict[str, Any]],
    *,
    log: LogWriter,
    stop: threading.Event,
) -> AttemptResult:
    api = ctx.api
    network = resolve_network(ctx, build.network)
    errors: list[str] = []
    state: dict[str, str] = {}

    def on_item(item: Any) -> None:
        if not isinstance(item, dict):
            return
        failure = stream_error(item)
        if failure is not None:
            errors.append(failure)
            log(str(item["error"]).rstrip("\n") + "\n")
            return
        aux = item.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            state["image_id"] = str(aux["ID"])
        text = item.get("stream")
        if isinstance(text, str):
            log(text)
            if text.startswith("Successfully built "):
                state.setdefault("image_id", text.split()[-1])
        elif item.get("status") and not item.get("progressDetail"):
            log(f"{item['status']}\n")

    # Only the user's labels: run labels would change the image (and its digest) on every run, so identical
    # rebuilds would look like base-image updates to anything that tracks digests.
    labels = dict(build.labels)
    stopped = consume(
        lambda: api.build(
            path=paths.context,
            dockerfile=paths.dockerfile,
            tag=build.tags[0] if build.tags else None,
            buildargs=build_args or None,
            target=build.target,
            labels=labels or None,
            nocache=build.no_cache,
            pull=build.pull,
            platform=build.platform,
            network_mode=network,
            extra_hosts=dict(build.add_hosts) or None,
            shmsize=shm_size,
            isolation=build.isolation,
            rm=True,
            forcerm=True,
            decode=True,
        ),
        on_item=on_item,
        stop=stop,
        poll=ctx.options.poll_interval,
        name=f"build-{step.id}",
    )
    if stopped:
        return AttemptResult(ok=False, stopped=True, error="build stopped")
    if errors:
        return AttemptResult(ok=False, exit_code=1, error=f"build failed: {errors[-1]}")
    image_id = state.get("image_id")
    if image_id is None:
        return AttemptResult(ok=False, error="build failed: the daemon reported no image id")
    for ref in build.tags[1:]:
        repository, tag = _split_tag(ref)
        api.tag(image_id, repository, tag)
    return AttemptResult(ok=True, exit_code=0, image_id=image_id, dependencies=dependencies)
