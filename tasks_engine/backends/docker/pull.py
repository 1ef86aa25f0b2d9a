"""Getting a step's image onto the host: pull when missing, or always when the step says ``pull: true``.

Why the result is a string and not an exception: a missing or unpullable image is the step's failure (data),
reported as ``image not found: <ref>: <reason>``; only a daemon that cannot be reached raises.
"""

from __future__ import annotations

import threading
from typing import Any

import docker.auth
import docker.errors
import docker.utils

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.errors import is_connection_error, is_not_found, reason, unreachable
from tasks_engine.backends.docker.streams import consume, progress_item
from tasks_engine.runtime.backend import LogWriter

_NOT_FOUND_HINTS = ("not found", "manifest unknown", "does not exist", "pull access denied", "no such image")


def registry_of(ref: str) -> str:
    """The registry host of an image reference (``docker.io`` for Docker Hub names)."""
    repository, _ = docker.utils.parse_repository_tag(ref)
    try:
        registry, _ = docker.auth.resolve_repository_name(repository)
    except docker.errors.InvalidRepository:
        return ""
    return str(registry)


def progress_line(item: dict[str, Any]) -> str | None:
    """One line of ``docker pull``/``push`` non-TTY output for a stream item; progress bars are skipped."""
    status = item.get("status")
    if not status or item.get("progressDetail"):
        return None
    ident = item.get("id")
    return f"{ident}: {status}\n" if ident else f"{status}\n"


def image_exists(ctx: RunContext, ref: str) -> bool:
    try:
        ctx.api.inspect_image(ref)
    except docker.errors.APIError as exc:
        if is_not_found(exc):
            return False
        raise
    return True


def pull_once(ctx: RunContext, ref: str, *, log: LogWriter, stop: threading.Event,
              platform: str | None = None) -> str | None:
    """Pull ``ref``; None on success, else the failure text."""
    errors: list[str] = []

    def on_item(raw: Any) -> None:
        item = progress_item(raw, errors)
        if item is None:
            return
        line = progress_line(item)
        if line:
            log(line)

    auth = ctx.auth_for(registry_of(ref))
    try:
        stopped = consume(
            lambda: ctx.api.pull(ref, stream=True, decode=True, auth_config=auth, platform=platform),
            on_item=on_item,
            stop=stop,
            poll=ctx.options.poll_interval,
            name=f"pull-{ref}",
        )
    except (docker.errors.DockerException, OSError) as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return _describe(ref, reason(exc), not_found=is_not_found(exc))
    if stopped:
        return f"pull of {ref} stopped"
    if errors:
        return _describe(ref, errors[-1], not_found=False)
    return None


def _describe(ref: str, why: str, *, not_found: bool) -> str:
    if not_found or any(h in why.lower() for h in _NOT_FOUND_HINTS):
        return f"image not found: {ref}: {why}"
    return f"failed to pull image {ref}: {why}"


def ensure_image(
    ctx: RunContext,
    ref: str,
    *,
    force: bool,
    retries: int,
    retry_delay: float,
    log: LogWriter,
    stop: threading.Event,
    platform: str | None = None,
) -> str | None:
    """Make ``ref`` present locally (for ``platform``, a cmd's ``--platform`` option, when given).
    ``force`` (the step's ``pull: true``) pulls even when present and retries
    ``retries`` times, ``retry_delay`` seconds apart (``cmdDownloadRetries``, ``cmdDownloadRetryDelay``)."""
    try:
        if not force and image_exists(ctx, ref):
            return None
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        if isinstance(exc, docker.errors.APIError) and exc.status_code == 400:
            return f"invalid image reference {ref!r}: {reason(exc)}"
        return f"image not found: {ref}: {reason(exc)}"
    if not force:
        log(f"Unable to find image '{ref}' locally\n")
    attempts = retries + 1 if force else 1
    failure: str | None = None
    for n in range(attempts):
        failure = pull_once(ctx, ref, log=log, stop=stop, platform=platform)
        if failure is None or stop.is_set():
            return failure
        if n + 1 < attempts:
            log(f"Failed to pull {ref} ({failure}), retrying in {retry_delay:g} seconds...\n")
            if stop.wait(retry_delay):
                return failure
    return failure
