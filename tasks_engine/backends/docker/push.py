"""``push`` steps: each image up to three times with ACR's backoff (spec §4.5), digest from the stream.

Why the reason is kept: "failed to push images successfully" alone (ACR's text) tells nobody whether the
registry was down or the password wrong; we append the daemon's last error.
"""

from __future__ import annotations

import threading
from typing import Any

import docker.errors
import docker.utils

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.errors import is_connection_error, reason, unreachable
from tasks_engine.backends.docker.manifests import push_manifest_list
from tasks_engine.backends.docker.pull import progress_line, registry_of
from tasks_engine.backends.docker.streams import consume, progress_item
from tasks_engine.plan.model import StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter

_AUTH_HINTS = ("unauthorized", "authentication required", "no basic auth credentials", "denied")


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """``base * 2^attempt`` seconds, capped (acr-builder's ``retry.Do``: 250 ms, 500 ms, 1 s, ... 5 s)."""
    return float(min(cap, base * (2**attempt)))


def _explain(ref: str, why: str) -> str:
    if any(h in why.lower() for h in _AUTH_HINTS):
        return f"{why} (the registry {registry_of(ref)} refused the credentials; check --credential)"
    return why


def push_once(ctx: RunContext, ref: str, *, log: LogWriter, stop: threading.Event) -> tuple[str | None, str | None]:
    """(digest, None) on success, (None, reason) on failure; ``stop`` gives (None, "stopped")."""
    repository, tag = docker.utils.parse_repository_tag(ref)
    errors: list[str] = []
    digest: dict[str, str] = {}

    def on_item(raw: Any) -> None:
        item = progress_item(raw, errors)
        if item is None:
            return
        aux = item.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            digest["value"] = str(aux["Digest"])
        line = progress_line(item)
        if line:
            log(line)

    auth = ctx.auth_for(registry_of(ref))
    try:
        stopped = consume(
            lambda: ctx.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth),
            on_item=on_item,
            stop=stop,
            poll=ctx.options.poll_interval,
            name=f"push-{ref}",
        )
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return None, _explain(ref, reason(exc))
    if stopped:
        return None, "stopped"
    if errors:
        return None, _explain(ref, errors[-1])
    return digest.get("value", ""), None


def run_push(ctx: RunContext, step: StepSpec, *, log: LogWriter, stop: threading.Event) -> AttemptResult:
    """Each image, up to three attempts; a tag a multi-platform build made is pushed as its platforms' images
    followed by the manifest list (``manifests.py``)."""
    pushed: dict[str, str] = {}
    for ref in step.images:
        entries = ctx.manifest_lists.get(ref)
        refs = [p_ref for _, p_ref in entries] if entries else [ref]
        for one in refs:
            failed = _push_with_retries(ctx, one, pushed, log=log, stop=stop)
            if failed is not None:
                return failed
        if entries:
            digest, failure = push_manifest_list(ctx, ref, entries, log=log, stop=stop)
            if failure is not None:
                return AttemptResult(ok=False, error=f"failed to push the manifest list {ref}: {failure}",
                                     pushed=pushed, stopped=stop.is_set())
            pushed[ref] = digest or ""
    return AttemptResult(ok=True, exit_code=0, pushed=pushed)


def _push_with_retries(ctx: RunContext, ref: str, pushed: dict[str, str], *, log: LogWriter,
                       stop: threading.Event) -> AttemptResult | None:
    """None when ``ref`` was pushed (its digest added to ``pushed``), else the step's failed result."""
    opts = ctx.options
    last = "no attempt made"
    for attempt in range(opts.push_attempts):
        log(f"Pushing image: {ref}, attempt {attempt + 1}\n")
        digest, failure = push_once(ctx, ref, log=log, stop=stop)
        if stop.is_set():
            return AttemptResult(ok=False, stopped=True, error="push stopped", pushed=pushed)
        if failure is None:
            pushed[ref] = digest or ""
            log(f"Successfully pushed image: {ref}\n")
            return None
        last = failure
        log(f"Failed to push image: {ref}: {failure}\n")
        if attempt + 1 < opts.push_attempts and stop.wait(
            backoff(attempt, base=opts.push_backoff_base, cap=opts.push_backoff_cap)
        ):
            return AttemptResult(ok=False, stopped=True, error="push stopped", pushed=pushed)
    return AttemptResult(ok=False, error=f"failed to push images successfully: {last}", pushed=pushed)
