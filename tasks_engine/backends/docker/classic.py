"""``build`` steps through the daemon's build API with the classic builder: ACR's default ``DOCKER_BUILDKIT=0``.

Kept for fidelity: a task file that does not opt into BuildKit (and whose Dockerfile needs nothing only
BuildKit understands) builds exactly as on ACR, with the SDK's streamed output (``Step 1/3 : FROM …``,
``Successfully built …``).
"""

from __future__ import annotations

import threading
from typing import Any

import docker.auth
import docker.utils

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.streams import consume, progress_item
from tasks_engine.plan.model import BuildSpec, StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter


def split_tag(ref: str) -> tuple[str, str | None]:
    repository, tag = docker.utils.parse_repository_tag(ref)
    return str(repository), (str(tag) if tag else None)


def use_run_logins(api: Any, ctx: RunContext) -> None:
    """Give the build the run's registry logins: the daemon pulls a private ``FROM`` image with them.

    Why on the client: the SDK's build call takes no credentials and sends its client's whole auth config as
    ``X-Registry-Config``, loaded from the user's ``~/.docker/config.json`` (on a worker, an empty config: no
    host login reaches a run). With run logins that config is exactly them; without, it stays as loaded.
    """
    if not ctx.credentials:
        return
    auths = {cred.registry: cred.auth_config() for cred in ctx.credentials}  # a later login for a registry wins
    api._auth_configs = docker.auth.AuthConfig({"auths": auths})


def classic_build(
    ctx: RunContext,
    step: StepSpec,
    build: BuildSpec,
    *,
    context: str,
    dockerfile: str | None,
    build_args: dict[str, str],
    shm_size: int | None,
    network: str | None,
    log: LogWriter,
    stop: threading.Event,
) -> AttemptResult:
    api = ctx.api
    errors: list[str] = []
    state: dict[str, str] = {}

    def on_item(raw: Any) -> None:
        seen = len(errors)
        item = progress_item(raw, errors)
        if len(errors) > seen:
            log(str(raw["error"]).rstrip("\n") + "\n")
        if item is None:
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
    use_run_logins(api, ctx)
    stopped = consume(
        lambda: api.build(
            path=context,
            dockerfile=dockerfile,
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
            cache_from=list(build.cache_from) or None,
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
        repository, tag = split_tag(ref)
        api.tag(image_id, repository, tag)
    return AttemptResult(ok=True, exit_code=0, image_id=image_id)
