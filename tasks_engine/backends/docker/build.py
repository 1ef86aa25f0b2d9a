"""``build`` steps: resolve the context and Dockerfile, scan them, choose the builder, build (once per platform).

Paths: ACR runs ``docker build`` in a container whose working directory is the step's working directory
inside the shared ``/workspace``; we resolve the context and an explicit ``-f`` the same way, on the host
copy of the workspace. Only the default ``Dockerfile`` is looked up in the context. A remote context in the
build string (git or tarball URL) is fetched by the engine, under its egress policy, into the run's private
folder — as ACR's scanner downloads it before the build — so its Dockerfile is scanned for dependencies like
any other.

The builder (``choose_builder``): BuildKit when the step's env has ``DOCKER_BUILDKIT=1`` (ACR's opt-in), when
the engine configuration makes it the default, when ``cache: enabled``, a platform list or ``--secret`` asks
for it, or when the Dockerfile uses syntax only BuildKit understands (the log says which line); otherwise
the classic builder, as ACR.
"""

from __future__ import annotations

import os
import posixpath
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import docker.errors

from tasks_engine.backends.docker.buildcache import prune_build_cache
from tasks_engine.backends.docker.buildkit import (
    BuildkitInputs,
    buildkit_build,
    check_frontend,
    dockerfile_for_frontend,
    frontend_for,
    resolve_secrets,
)
from tasks_engine.backends.docker.classic import classic_build, split_tag
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.deps_report import dependency_report
from tasks_engine.backends.docker.emulation import INSTALL_HINT, emulated_platforms, host_platform
from tasks_engine.backends.docker.errors import is_connection_error, reason, unreachable
from tasks_engine.backends.docker.names import docker_name
from tasks_engine.backends.docker.netpolicy import resolve_network
from tasks_engine.backends.docker.push import push_once
from tasks_engine.backends.docker.spec import StepConfigError, parse_size, resolve_build_args
from tasks_engine.backends.docker.workspace import (
    host_path,
    is_remote_context,
    real_inside,
    remove_tree,
    resolve_in_workdir,
)
from tasks_engine.deps.errors import DockerfileError
from tasks_engine.deps.features import DockerfileFeatures, scan_features
from tasks_engine.egress import EgressRefused
from tasks_engine.plan.model import BuildSpec, StepSpec
from tasks_engine.plan.platforms import PlatformError, platform_args, queue_name, split_platforms
from tasks_engine.plan.refs import normalize_push_ref
from tasks_engine.runtime.backend import AttemptResult, LogWriter
from tasks_engine.source import ContextError, ContextKind, mask_url, materialize_context, parse_context

DEFAULT_DOCKERFILE = "Dockerfile"


class BuildPaths:
    """Host paths for one build step (a remote context is fetched first)."""

    def __init__(self, ctx: RunContext, step: StepSpec, build: BuildSpec) -> None:
        workdir = step.working_directory or ctx.options.workspace_mount
        mount = ctx.options.workspace_mount
        self.remote = is_remote_context(build.context)
        self.commit = ctx.source_commit
        if self.remote:
            real_context, self.commit = self._fetch(ctx, step, build)
            context_in_container = mask_url(build.context)
            root = real_context
        else:
            context_in_container = resolve_in_workdir(workdir, build.context)
            context = host_path(ctx.workspace, context_in_container, workspace_mount=mount)
            if context is None:
                raise StepConfigError(
                    f"build context {context_in_container} is outside {mount}; only the shared workspace can be built"
                )
            found = real_inside(ctx.workspace, context)
            if found is None:
                raise StepConfigError(f"build context {context_in_container} is a symlink that leads outside {mount}")
            if not found.is_dir():
                raise StepConfigError(f"build context {context_in_container} does not exist in the workspace")
            real_context, root = found, ctx.workspace
        # The builders read .dockerignore from the context on the host.
        ignore = real_context / ".dockerignore"
        if ignore.is_symlink() and real_inside(root, ignore) is None:
            raise StepConfigError(f"{context_in_container}/.dockerignore is a symlink that leads outside {mount}")
        self.context = str(real_context)
        self.explicit_dockerfile = build.dockerfile is not None
        # Only the default Dockerfile lives in the context; docker resolves an explicit -f against the working
        # directory (so `-f Dockerfile ./sub` builds ./Dockerfile). A remote context is the working directory.
        if build.dockerfile is None:
            file_in_container = posixpath.join(context_in_container, DEFAULT_DOCKERFILE)
            dockerfile: Path | None = real_context / DEFAULT_DOCKERFILE
        elif self.remote:
            file_in_container = build.dockerfile
            dockerfile = real_context / build.dockerfile
        else:
            file_in_container = resolve_in_workdir(workdir, build.dockerfile)
            dockerfile = host_path(ctx.workspace, file_in_container, workspace_mount=mount)
            if dockerfile is None:
                raise StepConfigError(f"Dockerfile {file_in_container} is outside {mount}")
        real_dockerfile = real_inside(root, dockerfile) if dockerfile is not None else None
        if real_dockerfile is None:
            raise StepConfigError(f"Dockerfile {file_in_container} is a symlink that leads outside {mount}")
        self.dockerfile = str(real_dockerfile)
        self.dockerfile_shown = file_in_container

    @staticmethod
    def _fetch(ctx: RunContext, step: StepSpec, build: BuildSpec) -> tuple[Path, str]:
        """The fetched context folder and its commit (the dependency report's git-head-revision)."""
        try:
            spec = parse_context(build.context)
            if spec.kind not in (ContextKind.GIT, ContextKind.TARBALL) or spec.location.startswith("file:"):
                raise StepConfigError(f"build context {spec.display}: only git and http(s) contexts can be remote")
            dest = ctx.paths.root / "contexts" / docker_name(step.id)
            remove_tree(dest)
            info = materialize_context(spec, dest, dockerfile=build.dockerfile, egress=ctx.options.egress)
        except (ContextError, EgressRefused) as exc:
            raise StepConfigError(str(exc)) from exc
        return info.path, info.commit


@dataclass(frozen=True)
class BuilderChoice:
    buildkit: bool
    reason: str


def choose_builder(build: BuildSpec, features: DockerfileFeatures, *, default_buildkit: bool,
                   platforms: list[str], file: str) -> BuilderChoice:
    """Which builder, and why (the run log shows the reason)."""
    needs = features.needs_buildkit
    if build.buildkit is False:
        if needs is not None:
            raise StepConfigError(f"{file} line {needs.line} uses {needs.what}, which needs BuildKit, but the step's "
                                  "env sets DOCKER_BUILDKIT=0")
        return BuilderChoice(False, "DOCKER_BUILDKIT=0 in the step's env")
    if build.buildkit:
        return BuilderChoice(True, "DOCKER_BUILDKIT=1 in the step's env")
    if default_buildkit:
        return BuilderChoice(True, "the engine configuration makes BuildKit the default (buildkit: true)")
    if build.cache == "enabled" and build.cache_ref:
        return BuilderChoice(True, "cache: enabled (the registry build cache needs BuildKit)")
    if len(platforms) > 1:
        return BuilderChoice(True, f"--platform {','.join(platforms)} builds several platforms")
    if build.secrets:
        return BuilderChoice(True, "--secret needs BuildKit")
    if needs is not None:
        return BuilderChoice(True, f"{file} line {needs.line} uses {needs.what}, which only BuildKit understands")
    return BuilderChoice(False, "classic builder (ACR's default)")


def _check_emulation(platforms: list[str], binfmt_dir: Path, docker_host: str | None) -> None:
    """Only for a daemon on this host (a unix socket): a remote daemon's emulation is its own business."""
    host = host_platform()
    if (docker_host or os.environ.get("DOCKER_HOST") or "unix://").startswith("unix://"):
        missing = [p for p in platforms if p != host and p not in emulated_platforms(binfmt_dir)]
        if missing:
            raise StepConfigError(f"building for {missing[0]} on this {host} host needs emulation: "
                                  + INSTALL_HINT.format(queue=queue_name(missing[0])))


def _scan(paths: BuildPaths) -> DockerfileFeatures:
    try:
        text = Path(paths.dockerfile).read_text(encoding="utf-8", errors="replace")
        return scan_features(text)
    except (OSError, DockerfileError):
        return DockerfileFeatures(())  # the dependency scan reports an unreadable Dockerfile


def run_build(ctx: RunContext, step: StepSpec, *, log: LogWriter, stop: threading.Event) -> AttemptResult:
    build = step.build
    if build is None:
        return AttemptResult(ok=False, error=f"step {step.id} has no build arguments")
    try:
        paths = BuildPaths(ctx, step, build)
        shm_size = parse_size(build.shm_size)
        platforms = split_platforms(build.platform)
    except (StepConfigError, PlatformError) as exc:
        return AttemptResult(ok=False, error=f"build failed: {exc}")
    build_args = resolve_build_args(build.build_args, step.env)
    features = _scan(paths)
    try:
        choice = choose_builder(build, features, default_buildkit=ctx.options.buildkit_default,
                                platforms=platforms, file=paths.dockerfile_shown)
    except StepConfigError as exc:
        return AttemptResult(ok=False, error=f"build failed: {exc}")
    dependencies: list[dict[str, Any]] = []
    if os.path.isfile(paths.dockerfile):
        # BuildKit sets TARGETARCH & co. itself; the scan sees the values of the (first) target platform.
        scan_args = {**platform_args(platforms[0] if platforms else host_platform(), host_platform()), **build_args}
        dependencies, scan_error = dependency_report(
            Path(paths.dockerfile),
            tags=build.tags,
            build_args=scan_args if choice.buildkit else build_args,
            target=build.target,
            context=Path(paths.context),
            commit=paths.commit,
        )
        if scan_error:
            return AttemptResult(ok=False, error=f"failed to scan dependencies: {scan_error}")
    try:
        if platforms:
            _check_emulation(platforms, ctx.options.binfmt_dir, ctx.options.docker_host)
        if build.cache == "enabled" and not build.cache_ref:
            log("error creating build cache command: the build names no tag with a registry and the run has no "
                "--registry; building without the registry cache\n")
        if choice.buildkit:
            log(f"Building with BuildKit: {choice.reason}\n")
            result = _with_buildkit(ctx, step, build, paths, build_args, features, platforms, log=log, stop=stop)
        else:
            result = _with_classic(ctx, step, build, paths, build_args, shm_size, log=log, stop=stop)
    except StepConfigError as exc:
        return AttemptResult(ok=False, error=f"build failed: {exc}")
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return AttemptResult(ok=False, error=f"build failed: {reason(exc)}")
    if result.ok:
        result = replace(result, dependencies=dependencies, platforms=platforms or [host_platform()])
        prune_build_cache(ctx.api, max_bytes=ctx.options.build_cache_max_bytes)
    return result


def _with_classic(ctx: RunContext, step: StepSpec, build: BuildSpec, paths: BuildPaths, build_args: dict[str, str],
                  shm_size: int | None, *, log: LogWriter, stop: threading.Event) -> AttemptResult:
    for name, value in build.secret_build_args.items():
        log(f"WARNING: --secret-build-arg {name} is passed as a build argument (classic builder), so its value "
            f"lands in the image history; mount it with RUN --mount=type=secret,id={name} to keep it out\n")
        build_args = {**build_args, name: value}
    return classic_build(
        ctx, step, build, context=paths.context,
        dockerfile=paths.dockerfile,
        build_args=build_args, shm_size=shm_size, network=resolve_network(ctx, build.network), log=log, stop=stop,
    )


def _with_buildkit(ctx: RunContext, step: StepSpec, build: BuildSpec, paths: BuildPaths, build_args: dict[str, str],
                   features: DockerfileFeatures, platforms: list[str], *, log: LogWriter,
                   stop: threading.Event) -> AttemptResult:
    mapped = frontend_for(features, ctx.options.buildkit_frontends)
    check_frontend(features, mapped=mapped, docker_version=ctx.docker_version(), file=paths.dockerfile_shown)
    secrets, secret_args = resolve_secrets(ctx, step, build, features, log=log)
    if mapped:
        log(f"The Dockerfile's frontend {features.syntax} is mapped to {mapped} by the engine configuration\n")

    def private() -> Path:
        folder = ctx.paths.root / "dockerfiles" / docker_name(step.id)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        return folder

    dockerfile = dockerfile_for_frontend(Path(paths.dockerfile), features, mapped, private)
    cache = [build.cache_ref] if build.cache_ref else []
    inputs = BuildkitInputs(context=paths.context, dockerfile=dockerfile, tags=list(build.tags),
                            build_args={**build_args, **secret_args}, secrets=secrets,
                            platform=platforms[0] if len(platforms) == 1 else None,
                            cache_from=cache, inline_cache=bool(cache))
    network = resolve_network(ctx, build.network)
    if len(platforms) > 1:
        result = _platform_set(ctx, step, build, inputs, platforms, network, features, log=log, stop=stop)
    else:
        result = buildkit_build(ctx, step, build, inputs, network=network, features=features, log=log, stop=stop)
    if result.ok and build.cache_ref and result.image_id:
        _push_cache(ctx, result.image_id, build.cache_ref, log=log, stop=stop)
    return result


def _platform_set(ctx: RunContext, step: StepSpec, build: BuildSpec, inputs: BuildkitInputs, platforms: list[str],
                  network: str | None, features: DockerfileFeatures, *, log: LogWriter,
                  stop: threading.Event) -> AttemptResult:
    """One build per platform, each tagged ``<tag>-<os>-<arch>``; the push step assembles the manifest list.
    The plain tags point at the host's platform (else the first) so later steps can run the image here."""
    per_platform: dict[str, str] = {}
    tags = [normalize_push_ref(t) for t in build.tags]
    for platform in platforms:
        suffix = platform.replace("/", "-")
        log(f"Building for {platform}\n")
        one = replace(inputs, platform=platform, tags=[f"{t}-{suffix}" for t in tags])
        result = buildkit_build(ctx, step, build, one, network=network, features=features, log=log, stop=stop)
        if not result.ok or not result.image_id:
            return result
        per_platform[platform] = result.image_id
    local = per_platform.get(host_platform()) or per_platform[platforms[0]]
    for tag in tags:
        repository, name = split_tag(tag)
        ctx.api.tag(local, repository, name)
        ctx.record_manifest_list(tag, [(p, f"{tag}-{p.replace('/', '-')}") for p in platforms])
    return AttemptResult(ok=True, exit_code=0, image_id=local)


def _push_cache(ctx: RunContext, image_id: str, cache_ref: str, *, log: LogWriter, stop: threading.Event) -> None:
    """Push the build (with its inline cache metadata) to ACR's cache reference; a failure only warns."""
    repository, tag = split_tag(cache_ref)
    ctx.api.tag(image_id, repository, tag)
    log(f"Pushing build cache: {cache_ref}\n")
    _, failure = push_once(ctx, cache_ref, log=lambda _text: None, stop=stop)
    log(f"WARNING: could not push the build cache {cache_ref}: {failure}\n" if failure
        else f"Successfully pushed build cache: {cache_ref}\n")
