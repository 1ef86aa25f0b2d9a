"""Manifest lists for multi-platform builds: ``docker manifest create`` + ``push`` through the engine's CLI.

Why here: Docker 20.10's image store holds one platform per tag, so a ``--platform linux/amd64,linux/arm64``
build leaves one image per platform (``<tag>-linux-arm64``); the push step pushes those and then the list
that names them under the plain tag, as ``buildx --push`` would. The per-platform tags stay in the registry.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import threading

from tasks_engine.backends.docker.cli import CliMissing, cli_environment, docker_config, run_cli
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.names import docker_name
from tasks_engine.backends.docker.pull import registry_of
from tasks_engine.runtime.backend import LogWriter

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _plain_http(registry: str) -> bool:
    """Loopback registries are plain HTTP here (as the daemon treats 127.0.0.0/8); ``--insecure`` allows it."""
    host = registry.rsplit(":", 1)[0].strip("[]") if registry.count(":") <= 1 else registry.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def push_manifest_list(
    ctx: RunContext, ref: str, entries: list[tuple[str, str]], *, log: LogWriter, stop: threading.Event
) -> tuple[str | None, str | None]:
    """(digest, None) or (None, reason). The per-platform images must already be in the registry."""
    work = ctx.paths.root / "manifests" / docker_name(ref)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        env = cli_environment(docker_config(work / "config", ctx.credentials), {"DOCKER_CLI_EXPERIMENTAL": "enabled"},
                              docker_host=ctx.options.docker_host)
        insecure = ["--insecure"] if _plain_http(registry_of(ref)) else []
        cli = ctx.options.docker_cli
        steps = [[cli, "manifest", "create", *insecure, ref, *(p_ref for _, p_ref in entries)],
                 [cli, "manifest", "push", "--purge", *insecure, ref]]
        output: list[str] = []
        for argv in steps:
            try:
                done = run_cli(argv, env=env, cwd=work, log=output.append, stop=stop, poll=ctx.options.poll_interval)
            except CliMissing as exc:
                return None, f"manifest lists need the docker CLI at {exc}"
            if done.stopped:
                return None, "stopped"
            if done.code != 0:
                return None, " ".join(line.strip() for line in done.tail if line.strip())[-500:]
        digest = next((m.group(0) for line in reversed(output) for m in [_DIGEST.search(line)] if m), "")
        log(f"Pushed manifest list {ref} for {', '.join(p for p, _ in entries)}\n")
        return digest, None
    finally:
        shutil.rmtree(work, ignore_errors=True)
