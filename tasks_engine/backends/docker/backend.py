"""``DockerBackend``: the ``Backend`` protocol (tasks_engine/runtime/backend.py) on a Docker daemon.

Mechanism only: one attempt of one step per ``run_attempt``; the executor owns retries, timeouts and the DAG.
Every container and network the run creates carries ``tasks-engine.run-id``/``tasks-engine.step-id`` labels
and a run-unique name, so teardown (and ``gc`` after a crash) finds them.

Differences from acr-builder, on purpose:

* No host shell and no ``docker`` CLI container: steps are created through the API (spec preface 1).
* The Docker socket is not mounted into steps unless ``BackendOptions.mount_docker_socket``.
* ``home`` and secret volumes are host folders under ``state_root`` bind-mounted into the steps (no helper
  image); ``HOME=/acb/home`` is set before the step's env, so the step's own ``HOME`` wins (as in ACR).
* Networks the run creates are named ``<name>-<run-id>``; steps get network alias = step id.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import docker
import docker.errors

from tasks_engine.backends.docker.build import run_build
from tasks_engine.backends.docker.containers import run_cmd
from tasks_engine.backends.docker.context import RunContext
from tasks_engine.backends.docker.errors import (
    is_connection_error,
    is_not_found,
    reason,
    translate,
    unreachable,
)
from tasks_engine.backends.docker.names import BUILTIN_NETWORKS, docker_name, network_name, run_filter
from tasks_engine.backends.docker.options import BackendOptions
from tasks_engine.backends.docker.pull import pull_once
from tasks_engine.backends.docker.push import run_push
from tasks_engine.backends.docker.secrets import write_secret_volumes
from tasks_engine.backends.docker.workspace import RunPaths, prepare_home
from tasks_engine.credentials import RegistryCredential
from tasks_engine.deps.imageref import ImageReferenceError, parse_image_reference
from tasks_engine.errors import InfrastructureError, PermanentError
from tasks_engine.plan.model import NetworkSpec, RunPlan, StepSpec, StepType
from tasks_engine.runtime.backend import AttemptResult, LogWriter

_LOG = logging.getLogger(__name__)
DEFAULT_NETWORK_DRIVER = "bridge"


class DockerBackend:
    def __init__(
        self,
        *,
        client_factory: Callable[[], Any] | None = None,
        options: BackendOptions,
        workspace: Path,
        credentials: Sequence[RegistryCredential] = (),
        clock: Callable[[], float] = time.time,
        source_commit: str | None = None,
        labels: Mapping[str, str] | None = None,
        refresh_images: Sequence[str] = (),
    ) -> None:
        """``source_commit`` is the commit of the context the caller checked out; when given, the dependency
        report uses it instead of running git on the host inside a workspace the steps can write to. ``labels`` are
        added to every container, network and volume of the run. ``refresh_images`` are pulled at setup
        (an image-update run's updated bases); one that cannot be pulled is a warning, not a failure."""
        self._labels = dict(labels or {})
        self._refresh = list(refresh_images)
        self._source_commit = source_commit
        if client_factory is None:
            host = options.docker_host
            client_factory = (lambda: docker.DockerClient(base_url=host)) if host else docker.from_env
        self._client_factory = client_factory
        self._options = options
        self._workspace = Path(workspace)
        self._credentials = list(credentials)
        self._clock = clock
        self._client: Any = None
        self._ctx: RunContext | None = None
        self._lock = threading.Lock()

    # -- protocol -------------------------------------------------------------------------------------------

    def setup(self, plan: RunPlan, *, log: Callable[[str], None] | None = None) -> None:
        say = log or (lambda text: _LOG.info("%s", text))
        client = self._connect()
        paths = RunPaths.for_run(self._options.state_root, docker_name(plan.run_id))
        ctx = RunContext(
            client=client,
            run_id=plan.run_id,
            workspace=self._workspace,
            paths=paths,
            options=self._options,
            credentials=self._credentials,
            clock=self._clock,
            source_commit=self._source_commit,
            extra_labels=self._labels,
        )
        self._ctx = ctx
        prepare_home(paths, credentials=self._credentials if self._options.mount_docker_socket else None)
        for spec in self._networks_of(plan):
            self._create_network(ctx, spec, say)
        paths.volumes.mkdir(parents=True, exist_ok=True)
        ctx.volumes.update(write_secret_volumes(plan.volumes, paths))
        for name in ctx.volumes:
            say(f"Volume source {name} successfully created")
        for ref in self._refresh:
            say(f"Pulling the updated base image {ref} (image update trigger)")
            failure = pull_once(ctx, ref, log=lambda text: None, stop=threading.Event())
            if failure:
                say(f"Warning: {failure}; the build uses this host's copy of {ref}")
        _LOG.info("run %s: set up %d network(s), %d volume(s)", plan.run_id, len(ctx.networks), len(ctx.volumes))

    def run_attempt(self, step: StepSpec, *, attempt: int, log: LogWriter, stop: threading.Event) -> AttemptResult:
        ctx = self._ctx
        if ctx is None:
            raise InfrastructureError("DockerBackend.run_attempt called before setup")
        try:
            if step.type is StepType.CMD:
                return run_cmd(ctx, step, attempt=attempt, log=log, stop=stop)
            if step.type is StepType.BUILD:
                return run_build(ctx, step, log=log, stop=stop)
            return run_push(ctx, step, log=log, stop=stop)
        except InfrastructureError:
            raise
        except Exception as exc:
            # The daemon went away mid-step (requests' errors are not DockerExceptions); anything else is a bug
            # and reaches the executor as it is.
            if is_connection_error(exc):
                raise unreachable(exc) from exc
            raise

    def digest_of(self, ref: str) -> str | None:
        """The ``RepoDigests`` entry of the local image for the same repository as ``ref`` (acr-builder's
        ``docker inspect`` lookup): a digest exists only for images pushed or pulled by digest."""
        try:
            wanted = parse_image_reference(ref)
        except ImageReferenceError:
            return None
        if wanted.digest:
            return wanted.digest
        try:
            info = self._connect().api.inspect_image(ref)
        except docker.errors.DockerException as exc:
            if is_connection_error(exc):
                raise unreachable(exc) from exc
            return None
        for entry in info.get("RepoDigests") or []:
            name, _, digest = str(entry).partition("@")
            try:
                have = parse_image_reference(name)
            except ImageReferenceError:
                continue
            if (have.registry, have.repository) == (wanted.registry, wanted.repository) and digest:
                return digest
        return None

    def teardown(self, plan: RunPlan) -> None:
        """Remove everything labelled with the run id, the run's networks and its folder. Never raises: what
        could not be removed is logged and left for ``gc``."""
        paths = RunPaths.for_run(self._options.state_root, docker_name(plan.run_id))
        try:
            api = self._connect().api
        except InfrastructureError as exc:
            _LOG.warning("run %s: teardown could not reach Docker, leaving objects for gc: %s", plan.run_id, exc)
            paths.remove()
            return
        filters = run_filter(plan.run_id)
        self._each(
            plan,
            "container",
            lambda: api.containers(all=True, filters=filters),
            lambda c: api.remove_container(c["Id"], force=True, v=True),
            lambda c: c.get("Names") or c["Id"],
        )
        created = list(self._ctx.created_networks) if self._ctx else []
        self._each(
            plan,
            "network",
            lambda: [*({"Name": n} for n in created), *api.networks(filters=filters)],
            lambda n: api.remove_network(n["Name"]),
            lambda n: n["Name"],
            dedupe=True,
        )
        self._each(
            plan,
            "volume",
            lambda: (api.volumes(filters=filters) or {}).get("Volumes") or [],
            lambda v: api.remove_volume(v["Name"], force=True),
            lambda v: v["Name"],
        )
        paths.remove()
        self._ctx = None
        with self._lock:
            client, self._client = self._client, None
        with contextlib.suppress(Exception):
            client.close()

    # -- helpers --------------------------------------------------------------------------------------------

    def _connect(self) -> Any:
        """The client, created on first use (``docker.from_env`` already talks to the daemon) and pinged."""
        with self._lock:
            if self._client is None:
                try:
                    client = self._client_factory()
                    client.ping()
                except (docker.errors.DockerException, OSError) as exc:
                    raise unreachable(exc) from exc
                except Exception as exc:  # requests' connection errors are not DockerExceptions
                    if is_connection_error(exc):
                        raise unreachable(exc) from exc
                    raise
                self._client = client
            return self._client

    def _networks_of(self, plan: RunPlan) -> list[NetworkSpec]:
        specs = list(plan.networks)
        if plan.default_network and all(n.name != plan.default_network for n in specs):
            specs.append(NetworkSpec(name=plan.default_network, driver=DEFAULT_NETWORK_DRIVER, is_default=True))
        return specs

    def _create_network(self, ctx: RunContext, spec: NetworkSpec, say: Callable[[str], None]) -> None:
        name = network_name(spec.name, ctx.run_id, skip_creation=spec.skip_creation)
        ctx.networks[spec.name] = name
        if spec.skip_creation or name in BUILTIN_NETWORKS:
            say(f"Skip creating network: {name}")
            return
        say(f"Creating Docker network: {name}, driver: '{spec.driver}'")
        try:
            ctx.api.create_network(
                name,
                driver=spec.driver or None,
                enable_ipv6=spec.ipv6 or None,
                labels=ctx.labels(),
                check_duplicate=True,
            )
        except docker.errors.APIError as exc:
            if exc.status_code != 409 or not self._owned_network(ctx, name):
                raise PermanentError(f"failed to create network {name}: {reason(exc)}") from exc
        except docker.errors.DockerException as exc:
            raise translate(exc, doing=f"creating network {name}") from exc
        ctx.created_networks.append(name)
        say(f"Successfully set up Docker network: {name}")

    @staticmethod
    def _owned_network(ctx: RunContext, name: str) -> bool:
        """A same-named network left by an earlier delivery of this very run can be reused."""
        with contextlib.suppress(docker.errors.APIError):
            labels = ctx.api.inspect_network(name).get("Labels") or {}
            return bool(labels.get("tasks-engine.run-id") == ctx.run_id)
        return False

    @staticmethod
    def _each(
        plan: RunPlan,
        kind: str,
        listing: Callable[[], list[Any]],
        remove: Callable[[Any], Any],
        label: Callable[[Any], Any],
        *,
        dedupe: bool = False,
    ) -> None:
        try:
            items = listing()
        except Exception as exc:  # teardown never raises
            _LOG.warning("run %s: listing %ss failed: %s", plan.run_id, kind, reason(exc))
            return
        seen: set[str] = set()
        for item in items:
            key = str(label(item))
            if dedupe and key in seen:
                continue
            seen.add(key)
            try:
                remove(item)
            except Exception as exc:
                if not is_not_found(exc):
                    _LOG.warning("run %s: removing %s %s failed: %s", plan.run_id, kind, key, reason(exc))
