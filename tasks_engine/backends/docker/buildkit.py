"""``build`` steps with BuildKit: the docker CLI (``DOCKER_BUILDKIT=1 docker build``) against the same daemon.

Route (docs/architecture.md): the daemon's embedded BuildKit, driven by the docker CLI that ships with the
engine (Debian's docker.io), called with an argument list from this package only. It gives cache and secret
mounts, ``--secret``, platform args and ``--platform`` through QEMU, keeps images in the daemon's image
store (so later ``cmd`` steps and ``push`` work as with the classic builder), and shares the daemon's build
cache between runs on a worker. ``cache: enabled`` uses ACR's cache reference as an inline-cache image: the
build imports it with ``--cache-from`` and the engine pushes the result there, so a second build on another
worker (empty local cache) reuses the layers through the registry.

Secrets: a ``--secret-build-arg NAME=V`` whose NAME the Dockerfile mounts (``RUN --mount=type=secret,id=NAME``)
is passed as a BuildKit secret — a file readable only by this process, never a build argument — so it
stays out of the image history (ACR leaks it, acr-builder#644). Build-argument values travel in the CLI's
environment (``--build-arg NAME``), not on its command line.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tasks_engine.backends.docker.cli import CliMissing, cli_environment, docker_config, run_cli
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.names import docker_name
from tasks_engine.backends.docker.spec import StepConfigError
from tasks_engine.backends.docker.workspace import host_path, real_inside, resolve_in_workdir, write_private_file
from tasks_engine.deps.features import DockerfileFeatures, too_new_message
from tasks_engine.plan.model import BuildSpec, StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter

BUILTIN_FRONTEND = "builtin"
INLINE_CACHE_ARG = "BUILDKIT_INLINE_CACHE"
# Names the docker CLI itself reads from its environment: such build arguments go on the command line.
_RESERVED_ENV = re.compile(r"^(PATH|HOME|LANG|DOCKER_.*|BUILDKIT_.*|BUILDX_.*)$")
_FRONTEND_FAILURE = re.compile(r"(resolve image config for|failed to solve with frontend gateway)", re.I)


@dataclass
class BuildkitInputs:
    """Everything one ``docker build`` invocation needs, resolved on the host."""

    context: str
    dockerfile: str
    tags: list[str]
    build_args: dict[str, str]
    secrets: dict[str, bytes] = field(default_factory=dict)
    platform: str | None = None
    cache_from: list[str] = field(default_factory=list)
    inline_cache: bool = False


def normalize_frontend(image: str) -> str:
    """``docker/dockerfile:1`` and ``docker.io/docker/dockerfile:1`` name the same frontend."""
    name = image.strip()
    return name.removeprefix("docker.io/").removeprefix("library/")


def frontend_for(features: DockerfileFeatures, frontends: dict[str, str]) -> str | None:
    """The engine's mapping for the Dockerfile's ``# syntax=`` image: a mirror, ``builtin``, or None."""
    if not features.syntax:
        return None
    wanted = normalize_frontend(features.syntax)
    for key, target in frontends.items():
        if normalize_frontend(key) == wanted:
            return target
    return None


def _rewrite_syntax(text: str, features: DockerfileFeatures, target: str) -> str:
    """The Dockerfile with its ``# syntax=`` line pointing at ``target`` (a mirror) or removed (builtin)."""
    lines = text.split("\n")
    index = features.syntax_line - 1
    lines[index] = "" if target == BUILTIN_FRONTEND else f"# syntax={target}"
    if target == BUILTIN_FRONTEND:
        del lines[index]  # a blank first line would end the parser directives (# escape=) early
    return "\n".join(lines)


def resolve_secrets(
    ctx: RunContext, step: StepSpec, build: BuildSpec, features: DockerfileFeatures, *, log: LogWriter
) -> tuple[dict[str, bytes], dict[str, str]]:
    """(BuildKit secrets by id, secret build arguments that must stay build arguments).

    ``--secret id=X,src=PATH`` reads PATH in the workspace (relative to the working directory, never outside
    it); ``--secret id=X,env=VAR`` (or just ``id=X``) takes the step's env variable.
    """
    env = dict(e.split("=", 1) for e in step.env if "=" in e)
    secrets: dict[str, bytes] = {}
    for spec in build.secrets:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        secret_id = fields.get("id") or posixpath.basename(fields.get("src") or fields.get("source") or "")
        source = fields.get("src") or fields.get("source")
        if source:
            workdir = step.working_directory or ctx.options.workspace_mount
            inside = resolve_in_workdir(workdir, source)
            path = host_path(ctx.workspace, inside, workspace_mount=ctx.options.workspace_mount)
            real = real_inside(ctx.workspace, path) if path is not None else None
            if real is None or not real.is_file():
                raise StepConfigError(f"--secret {secret_id}: {inside} is not a file in the workspace")
            secrets[secret_id] = real.read_bytes()
        else:
            var = fields.get("env") or secret_id
            if var not in env:
                raise StepConfigError(f"--secret {secret_id}: the step's env has no {var}")
            secrets[secret_id] = env[var].encode()
    as_args: dict[str, str] = {}
    for name, value in build.secret_build_args.items():
        if name in features.secret_ids:
            secrets[name] = value.encode()
            log(f"--secret-build-arg {name} is passed as a BuildKit secret (RUN --mount=type=secret,id={name})\n")
        else:
            as_args[name] = value
            log(f"WARNING: --secret-build-arg {name} is passed as a build argument, so its value lands in the "
                f"image history; mount it with RUN --mount=type=secret,id={name} to keep it out\n")
    return secrets, as_args


def check_frontend(features: DockerfileFeatures, *, mapped: str | None, docker_version: str, file: str) -> None:
    """Refuse syntax the daemon's built-in frontend lacks, before the daemon prints a bare parse error."""
    if features.syntax and mapped != BUILTIN_FRONTEND:
        return  # a frontend image handles the syntax (or fails with a clear pull error)
    feature = features.too_new_for(docker_version)
    if feature is not None:
        raise StepConfigError(too_new_message(feature, docker_version=docker_version, file=file))


def _argv(ctx: RunContext, build: BuildSpec, inputs: BuildkitInputs, iidfile: Path) -> tuple[list[str], dict[str, str]]:
    argv = [ctx.options.docker_cli, "build", "--progress=plain", "--iidfile", str(iidfile), "-f", inputs.dockerfile]
    env: dict[str, str] = {}
    for tag in inputs.tags:
        argv += ["-t", tag]
    for key, value in inputs.build_args.items():
        if _RESERVED_ENV.match(key):
            argv += ["--build-arg", f"{key}={value}"]
        else:
            argv += ["--build-arg", key]
            env[key] = value
    if inputs.inline_cache:
        argv += ["--build-arg", f"{INLINE_CACHE_ARG}=1"]
    for key, value in build.labels.items():
        argv += ["--label", f"{key}={value}"]
    for flag, option in (("--target", build.target), ("--platform", inputs.platform), ("--shm-size", build.shm_size)):
        if option:
            argv += [flag, option]
    for host, ip in build.add_hosts.items():
        argv += ["--add-host", f"{host}:{ip}"]
    for ref in [*build.cache_from, *inputs.cache_from]:
        argv += ["--cache-from", ref]
    if build.no_cache:
        argv.append("--no-cache")
    if build.pull:
        argv.append("--pull")
    return argv, env


def buildkit_build(
    ctx: RunContext,
    step: StepSpec,
    build: BuildSpec,
    inputs: BuildkitInputs,
    *,
    network: str | None,
    features: DockerfileFeatures,
    log: LogWriter,
    stop: threading.Event,
) -> AttemptResult:
    """One ``docker build`` with BuildKit; the image id comes from ``--iidfile``."""
    if network and network not in ("default", "host", "none"):
        return AttemptResult(ok=False, error=f"build failed: BuildKit builds support --network default, host or none, "
                                             f"not {network}")
    work = ctx.paths.root / "buildkit" / docker_name(f"{step.id}-{threading.get_ident()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    work.chmod(0o700)
    try:
        iidfile = work / "iid"
        argv, env = _argv(ctx, build, inputs, iidfile)
        if network:
            argv += ["--network", network]
        for secret_id, content in inputs.secrets.items():
            path = work / f"secret-{docker_name(secret_id)}"
            write_private_file(path, content, mode=0o400)
            argv += ["--secret", f"id={secret_id},src={path}"]
        argv.append(inputs.context)
        config = docker_config(work / "config", ctx.credentials)
        cli_env = cli_environment(config, {"DOCKER_BUILDKIT": "1", **env}, docker_host=ctx.options.docker_host)
        try:
            done = run_cli(argv, env=cli_env, cwd=work, log=log, stop=stop, poll=ctx.options.poll_interval)
        except CliMissing as exc:
            return AttemptResult(ok=False, error=f"build failed: BuildKit builds need the docker CLI at {exc}; "
                                                 "install docker.io (scripts/setup.sh does) or set dockerCli")
        if done.stopped:
            return AttemptResult(ok=False, stopped=True, error="build stopped")
        if done.code != 0:
            return AttemptResult(ok=False, exit_code=done.code, error=f"build failed: {_explain(done.tail, features)}")
        image_id = iidfile.read_text(encoding="utf-8").strip() if iidfile.is_file() else ""
        if not image_id:
            return AttemptResult(ok=False, error="build failed: BuildKit reported no image id")
        return AttemptResult(ok=True, exit_code=0, image_id=image_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _explain(tail: list[str], features: DockerfileFeatures) -> str:
    text = "\n".join(tail)
    if features.syntax and _FRONTEND_FAILURE.search(text):
        last = next((ln for ln in reversed(tail) if ln.strip()), "")
        return (f"the Dockerfile's frontend image {features.syntax} (# syntax= on line {features.syntax_line}) cannot "
                f"be pulled: {last.strip()}; map it to a mirror or to 'builtin' in the engine configuration "
                "(buildkitFrontends)")
    for line in reversed(tail):
        if line.strip() and not line.startswith("#"):
            return line.strip()
    return tail[-1].strip() if tail else "docker build failed"


def dockerfile_for_frontend(
    dockerfile: Path, features: DockerfileFeatures, mapped: str | None, work_dir: Callable[[], Path]
) -> str:
    """The Dockerfile to build: the original, or a private copy whose ``# syntax=`` line was mapped."""
    if not mapped or not features.syntax:
        return str(dockerfile)
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    folder = work_dir()
    copy = folder / dockerfile.name
    write_private_file(copy, _rewrite_syntax(text, features, mapped).encode(), mode=0o600)
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if ignore.is_file():  # docker looks for <Dockerfile>.dockerignore next to the Dockerfile it is given
        write_private_file(folder / ignore.name, ignore.read_bytes(), mode=0o600)
    return str(copy)
