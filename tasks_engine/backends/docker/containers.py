"""``cmd`` steps: one attempt = create, start, stream output, wait (or kill on ``stop``), remove.

Why create + start instead of ``containers.run``: the name, labels, network aliases and mounts must be set at
create time, and output must stream live while the executor can still stop the attempt.
"""

from __future__ import annotations

import codecs
import contextlib
import queue
import threading
import time
from typing import Any

import docker.errors
from docker.types import Mount

from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.errors import (
    is_conflict,
    is_connection_error,
    is_not_found,
    reason,
    unreachable,
)
from tasks_engine.backends.docker.names import LABEL_RUN_ID, container_name
from tasks_engine.backends.docker.netpolicy import resolve_network
from tasks_engine.backends.docker.options import PRIVILEGED_REFUSED
from tasks_engine.backends.docker.pull import ensure_image
from tasks_engine.backends.docker.runoptions import run_settings
from tasks_engine.backends.docker.spec import (
    Bind,
    ContainerSpec,
    StepConfigError,
    aliases_for,
    merge_env,
    nano_cpus,
    parse_ports,
    split_entry_point,
)
from tasks_engine.plan.model import StepSpec
from tasks_engine.runtime.backend import AttemptResult, LogWriter

_DONE = object()


def container_spec(ctx: RunContext, step: StepSpec) -> ContainerSpec:
    """Everything ``docker run`` would get for this step (spec §4.4), minus ACR's host shell."""
    if not step.image:
        raise StepConfigError(f"step {step.id} has no image to run")
    opts = ctx.options
    binds = [Bind(str(ctx.workspace), opts.workspace_mount), Bind(str(ctx.paths.home), opts.home_mount)]
    if opts.mount_docker_socket:
        binds.append(Bind(opts.docker_socket_path, opts.docker_socket_path))
    for mount in step.volume_mounts:
        folder = ctx.volumes.get(mount.name)
        if folder is None:
            raise StepConfigError(f"mount name, {mount.name}, does not correspond to a volume")
        binds.append(Bind(folder, mount.mount_path, read_only=True))
    exposed, port_bindings = parse_ports(step.ports, step.expose)
    network = resolve_network(ctx, step.network)
    settings = run_settings(step.run_options, opts)
    aliases = aliases_for(network, step.id)
    if aliases:
        aliases += [a for a in settings.aliases if a not in aliases]
    return ContainerSpec(
        image=step.image,
        command=list(step.args),
        entrypoint=split_entry_point(step.entry_point),
        environment=merge_env([f"HOME={opts.home_mount}"], step.env),
        user=step.user,
        working_dir=step.working_directory,
        labels=ctx.labels(step.id),
        binds=binds,
        exposed=exposed,
        port_bindings=port_bindings,
        network=network,
        aliases=aliases,
        privileged=step.privileged,
        isolation=step.isolation,
        nano_cpus=nano_cpus(step.cpus),
        host_extra=settings.host,
        create_extra=settings.create,
        extra_binds=settings.binds,
        anonymous_volumes=settings.volumes,
    )


def _create(ctx: RunContext, spec: ContainerSpec, name: str) -> str:
    api = ctx.api
    host_config = api.create_host_config(
        mounts=[Mount(b.target, b.source, type="bind", read_only=b.read_only) for b in spec.binds],
        port_bindings=spec.port_bindings or None,
        privileged=spec.privileged,
        network_mode=spec.network,
        isolation=spec.isolation,
        nano_cpus=spec.nano_cpus,
        binds=spec.extra_binds or None,
        **spec.host_extra,
    )
    networking = None
    if spec.aliases and spec.network:
        networking = api.create_networking_config({spec.network: api.create_endpoint_config(aliases=spec.aliases)})
    create = dict(spec.create_extra)
    labels = {**create.pop("labels", {}), **spec.labels}  # the run's labels win: cleanup depends on them
    created = api.create_container(
        spec.image,
        command=spec.command or None,
        entrypoint=spec.entrypoint,
        environment=spec.environment,
        user=spec.user,
        working_dir=spec.working_dir,
        labels=labels,
        name=name,
        ports=spec.exposed or None,
        volumes=spec.anonymous_volumes or None,
        host_config=host_config,
        networking_config=networking,
        **create,
    )
    return str(created["Id"])


def _create_named(ctx: RunContext, spec: ContainerSpec, step_id: str, attempt: int) -> str:
    """Create under the run-unique name; a same-named leftover of this run (a redelivered run after a worker
    died) is removed and the create retried once."""
    name = container_name(ctx.run_id, step_id, attempt)
    try:
        return _create(ctx, spec, name)
    except docker.errors.APIError as exc:
        if not is_conflict(exc):
            raise
        info = ctx.api.inspect_container(name)
        if (info.get("Config", {}).get("Labels") or {}).get(LABEL_RUN_ID) != ctx.run_id:
            raise
        ctx.api.remove_container(name, force=True)
        return _create(ctx, spec, name)


def _remove(ctx: RunContext, container_id: str) -> None:
    with contextlib.suppress(docker.errors.APIError):
        ctx.api.remove_container(container_id, force=True, v=True)  # anonymous volumes (-v /path) too


class _OutputPump:
    """Copies a container's attached output into a bounded queue from a reader thread.

    Why attach before start (as ``docker run`` does) instead of ``logs(follow=True)`` after it: a container
    that exits within milliseconds can finish before a logs request reaches the daemon, and then the whole
    output is lost (seen under load with a ``cat`` step). An attach opened on a created container receives
    every byte from the first one. Why bounded: the reader blocks when the consumer lags, so the daemon (and
    in the end the container's write) waits instead of this process buffering a 1 GB output in memory.
    """

    def __init__(self, stream: Any, *, capacity: int = 64) -> None:
        self._stream = stream
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._abandoned = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._pump, name="container-output", daemon=True).start()

    def abandon(self) -> None:
        """The consumer gives up (stop, or the drain timeout): unblock and end the reader."""
        self._abandoned.set()
        with contextlib.suppress(Exception):
            self._stream.close()

    def _put(self, item: Any) -> bool:
        while not self._abandoned.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _pump(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            for chunk in self._stream:
                text = decoder.decode(chunk)
                if text and not self._put(text):
                    return
            tail = decoder.decode(b"", final=True)
            if tail:
                self._put(tail)
        except Exception as exc:  # the container vanished or the daemon went away; the waiter reports it
            if not self._abandoned.is_set():
                self._put(f"[tasks-engine] output stream ended early: {reason(exc)}\n")
        finally:
            self._put(_DONE)


def _attach(ctx: RunContext, container_id: str) -> Any:
    """An output stream opened before the container starts, so not a byte can be missed."""
    return ctx.api.attach(container_id, stdout=True, stderr=True, stream=True, logs=False)


def _wait(ctx: RunContext, container_id: str, result: dict[str, Any], done: threading.Event) -> None:
    try:
        result["status"] = ctx.api.wait(container_id)
    except Exception as exc:  # reported by the attempt's thread
        result["error"] = exc
    finally:
        done.set()


def run_cmd(ctx: RunContext, step: StepSpec, *, attempt: int, log: LogWriter, stop: threading.Event) -> AttemptResult:
    if step.privileged and not ctx.options.allow_privileged:
        return AttemptResult(ok=False, error=PRIVILEGED_REFUSED)
    try:
        spec = container_spec(ctx, step)
    except StepConfigError as exc:
        return AttemptResult(ok=False, error=str(exc))
    except docker.errors.DockerException as exc:  # inspecting the step's network
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return AttemptResult(ok=False, error=f"docker: {reason(exc)}")
    missing = ensure_image(
        ctx,
        spec.image,
        force=step.pull,
        retries=step.cmd_download_retries,
        retry_delay=step.cmd_download_retry_delay,
        log=log,
        stop=stop,
        platform=spec.create_extra.get("platform"),
    )
    if stop.is_set():
        return AttemptResult(ok=False, stopped=True, error="stopped before the container started")
    if missing:
        return AttemptResult(ok=False, error=missing)
    try:
        return _run_container(ctx, step, spec, attempt=attempt, log=log, stop=stop)
    except docker.errors.DockerException as exc:
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        return AttemptResult(ok=False, error=f"docker: {reason(exc)}")


def _run_container(
    ctx: RunContext,
    step: StepSpec,
    spec: ContainerSpec,
    *,
    attempt: int,
    log: LogWriter,
    stop: threading.Event,
) -> AttemptResult:
    api = ctx.api
    container_id = _create_named(ctx, spec, step.id, attempt)
    keep = step.keep or step.detach
    if keep:
        ctx.keep(container_id)
    try:
        if step.detach:
            api.start(container_id)
            log(f"{container_id}\n")
            return AttemptResult(ok=True, exit_code=None)
        pump = _OutputPump(_attach(ctx, container_id))
        try:
            api.start(container_id)
        except BaseException:
            pump.abandon()
            raise
        return _follow(ctx, container_id, pump, log=log, stop=stop)
    finally:
        if not keep:
            _remove(ctx, container_id)


def _follow(
    ctx: RunContext, container_id: str, pump: _OutputPump, *, log: LogWriter, stop: threading.Event
) -> AttemptResult:
    """Relay output until the stream ends after the container exited. The drain timeout counts silence, not
    total time: a container that wrote a lot just before exiting is still read to the last byte."""
    waited: dict[str, Any] = {}
    exited = threading.Event()
    pump.start()
    threading.Thread(target=_wait, args=(ctx, container_id, waited, exited), daemon=True).start()
    stopped = False
    stream_open = True
    drain_deadline: float | None = None
    while True:
        if stop.is_set() and not stopped:
            stopped = True
            with contextlib.suppress(docker.errors.APIError):
                ctx.api.kill(container_id)
        if exited.is_set():
            if not stream_open:
                break
            if drain_deadline is None:
                drain_deadline = time.monotonic() + ctx.options.log_drain_timeout
            elif time.monotonic() > drain_deadline:
                pump.abandon()
                break
        try:
            item = pump.queue.get(timeout=ctx.options.poll_interval)
        except queue.Empty:
            continue
        if item is _DONE:
            stream_open = False
        else:
            log(item)
            if drain_deadline is not None:
                drain_deadline = time.monotonic() + ctx.options.log_drain_timeout
    if "error" in waited:
        exc = waited["error"]
        if is_connection_error(exc):
            raise unreachable(exc) from exc
        if is_not_found(exc):
            return AttemptResult(ok=False, stopped=stopped, error="the container disappeared while running")
        return AttemptResult(ok=False, stopped=stopped, error=f"docker: {reason(exc)}")
    status = waited.get("status") or {}
    code = int(status.get("StatusCode", -1))
    if stopped:
        return AttemptResult(ok=False, exit_code=code, stopped=True, error="the container was killed (step stopped)")
    if code == 0:
        return AttemptResult(ok=True, exit_code=0)
    return AttemptResult(ok=False, exit_code=code, error=f"exit status {code}")
