"""``compile_plan``: a validated :class:`TaskDefinition` -> a :class:`RunPlan` with every ACR default applied.

This is the one place that owns acr-builder's ``initialize`` rules (spec §3.5): step timeouts, retry delay,
env merge, ids, working directories, the default network, build-flag parsing, push normalisation, and the DAG.
Fields a step type ignores in ACR are left empty in the plan (push steps carry no env, network, retries or
repeat; build steps no entry point or pre-pull), so the executor never has to know those exceptions.

The compiler trusts the definition layer's lint but does not depend on it: whatever it cannot compile
becomes a :class:`DefinitionError` pointing at the step, never a ``KeyError``. Same input, same plan,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from tasks_engine.definition.model import StepDef, StepKind, TaskDefinition
from tasks_engine.errors import DefinitionError, Problem, Severity, UsageError
from tasks_engine.plan.buildflags import BuildFlagError, parse_build_args
from tasks_engine.plan.cache import cache_ref_for
from tasks_engine.plan.dag import build_dependencies
from tasks_engine.plan.model import (
    BuildSpec,
    MountSpec,
    NetworkSpec,
    RunPlan,
    StepSpec,
    StepType,
    VolumeSpec,
)
from tasks_engine.plan.normalize import (
    StepValueError,
    expand_command_alias,
    merge_envs,
    normalize_workdir,
    remove_quotes,
)
from tasks_engine.plan.pflag import FlagError
from tasks_engine.plan.refs import normalize_push_refs
from tasks_engine.plan.runflags import CmdLine, parse_cmd_line

#: ``retryDelay`` when the file's value is ``<= 0`` (``defaultStepRetryDelayInSeconds``; the docs say 0).
DEFAULT_RETRY_DELAY = 5
#: Driver of the network the engine creates when the task declares none (Linux; ACR uses ``nat`` on Windows).
DEFAULT_NETWORK_DRIVER = "bridge"
DEFAULT_NETWORK_PREFIX = "tasks-engine-"
#: Since acr-builder ad3e8e6 a build runs with the classic builder unless the step opts into BuildKit.
BUILDKIT_OFF = "DOCKER_BUILDKIT=0"
BUILDKIT_ON = "DOCKER_BUILDKIT=1"
CACHE_VALUES = ("enabled", "disabled")

_NO_ALIASES: Mapping[str, str] = MappingProxyType({})
_KIND_TO_TYPE = {StepKind.BUILD: StepType.BUILD, StepKind.CMD: StepType.CMD, StepKind.PUSH: StepType.PUSH}


@dataclass
class _Problems:
    """Collects problems once each, in discovery order, with positions from the definition."""

    definition: TaskDefinition
    filename: str = ""
    items: list[Problem] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, path: str, message: str) -> None:
        if (path, message) in self._seen:
            return
        self._seen.add((path, message))
        line, column = self.definition.position(path)
        self.items.append(
            Problem(Severity.ERROR, message, line=line, column=column, path=path, file=self.filename)
        )


def default_network_for(run_id: str) -> str:
    """The run-unique name of the network created when a task declares none (ACR: ``acb_default_network``)."""
    return f"{DEFAULT_NETWORK_PREFIX}{run_id}"


def _networks(
    definition: TaskDefinition, run_id: str, default_network_name: str | None
) -> tuple[list[NetworkSpec], str | None]:
    if not definition.networks:
        name = default_network_name or default_network_for(run_id)
        return [NetworkSpec(name=name, driver=DEFAULT_NETWORK_DRIVER, is_default=True)], name
    specs = [
        NetworkSpec(
            name=n.name,
            driver=n.driver or "",
            ipv6=n.ipv6,
            skip_creation=n.skip_creation,
            is_default=n.is_default,
        )
        for n in definition.networks
    ]
    # The last network marked default wins (acr-builder iterates in reverse); none -> steps get no network.
    default = next((n.name for n in reversed(specs) if n.is_default), None)
    return specs, default


def _check_shape(step: StepDef, path: str, problems: _Problems, volume_names: set[str]) -> None:
    """The ``Step.Validate`` rules the graph does not cover; the lint normally reported them already."""
    present = [bool(step.cmd), bool(step.build), bool(step.push)]
    if sum(present) > 1:
        problems.add(path, "step must only contain a single build, cmd, or push property")
    elif sum(present) == 0:
        problems.add(path, "step is missing a cmd, build, or push property")
    if step.id and any(ch.isspace() for ch in step.id):
        problems.add(f"{path}.id", "step ID cannot contain spaces")
    if (step.retries or 0) < 0:
        problems.add(f"{path}.retries", "step must specify retries >= 0")
    if (step.repeat or 0) < 0:
        problems.add(f"{path}.repeat", "step must specify repeat >= 0")
    mounts = step.volume_mounts or []
    if mounts and step.kind is StepKind.PUSH:
        problems.add(
            f"{path}.volumeMounts", "invalid use of Mounts: mounts are only allowed on cmd and build steps"
        )
    paths_seen: set[str] = set()
    for m_index, mount in enumerate(mounts):
        m_path = f"{path}.volumeMounts[{m_index}]"
        if not mount.name or not mount.mount_path:
            problems.add(m_path, "mount name or mount path is empty")
        elif mount.name not in volume_names:
            problems.add(f"{m_path}.name", f"mount name, {mount.name}, does not correspond to a volume")
        if mount.mount_path in paths_seen:
            problems.add(f"{m_path}.mountPath", "mount with duplicate container file path found")
        paths_seen.add(mount.mount_path)
    if step.cache and step.cache.lower() not in CACHE_VALUES:
        problems.add(
            f"{path}.cache", "invalid value for cache property. Valid values are 'enabled', 'disabled'"
        )


def _step_env(
    step: StepDef, definition: TaskDefinition, path: str, problems: _Problems
) -> tuple[list[str], bool | None]:
    """The merged env with the shell's quote removal applied (ACR's host shell removes the quotes of
    ``NAME="value"``; nothing is expanded here), and the step's own BuildKit choice: True for ACR's opt-in
    ``DOCKER_BUILDKIT=1``, False for an explicit ``DOCKER_BUILDKIT=0``, None when it made none (the
    compiler then appends ACR's default ``DOCKER_BUILDKIT=0``)."""
    try:
        merged = merge_envs(step.env or [], definition.env)
    except StepValueError as exc:
        where = "env" if "task environment" in str(exc) else f"{path}.env"
        problems.add(where, f"failed to merge task and step environment variables: {exc}")
        return list(step.env or []), None
    env: list[str] = []
    own = len(step.env or [])
    for index, entry in enumerate(merged):
        try:
            env.append(remove_quotes(entry))
        except StepValueError as exc:
            where = f"{path}.env[{index}]" if index < own else "env"
            problems.add(where, f"invalid environment variable: {exc}")
            env.append(entry)
    choice = True if BUILDKIT_ON in env else (False if BUILDKIT_OFF in env else None)
    if step.kind is StepKind.BUILD and choice is None:
        env.append(BUILDKIT_OFF)
    return env, choice


def _build_spec(
    step: StepDef, path: str, problems: _Problems, *, buildkit: bool | None, registry: str, task_name: str
) -> BuildSpec:
    try:
        spec = parse_build_args(step.build or "")
    except BuildFlagError as exc:
        problems.add(f"{path}.build", f"step {step.effective_id}: build: {exc.message}")
        return BuildSpec()
    cache = step.cache.lower() if step.cache and step.cache.lower() in CACHE_VALUES else None
    cache_ref = cache_ref_for(spec.tags, task_name=task_name, step_id=step.effective_id, registry=registry)
    return replace(
        spec, cache=cache, cache_ref=cache_ref if cache == "enabled" else None, buildkit=buildkit
    )


def _fold_cmd_line(container: StepSpec, line: CmdLine) -> StepSpec:
    """Apply the cmd's own ``docker run`` options over the step's properties (they come later on ACR's
    command line, so they win; lists extend the step's)."""
    f = line.folded
    pull = container.pull or f.get("pull") == "always"
    entry_point = f.get("entryPoint", container.entry_point)
    return replace(
        container,
        image=line.image,
        args=line.args,
        env=[*container.env, *f.get("env", [])],
        ports=[*container.ports, *f.get("ports", [])],
        expose=[*container.expose, *f.get("expose", [])],
        working_directory=f.get("workingDirectory", container.working_directory),
        user=f.get("user", container.user),
        entry_point=entry_point,
        network=f.get("network", container.network),
        privileged=container.privileged or bool(f.get("privileged")),
        detach=container.detach or bool(f.get("detach")),
        isolation=f.get("isolation", container.isolation),
        cpus=f.get("cpus", container.cpus),
        pull=pull,
        run_options=line.options,
    )


def _compile_step(
    step: StepDef,
    *,
    index: int,
    depends_on: list[str],
    definition: TaskDefinition,
    default_network: str | None,
    aliases: Mapping[str, str],
    problems: _Problems,
    registry: str = "",
    task_name: str = "",
) -> StepSpec:
    path = f"steps[{index}]"
    step_type = _KIND_TO_TYPE[step.kind]
    timeout = step.timeout if step.timeout and step.timeout > 0 else definition.effective_step_timeout
    retry_delay = step.retry_delay if step.retry_delay and step.retry_delay > 0 else DEFAULT_RETRY_DELAY
    env, buildkit = _step_env(step, definition, path, problems)
    base = StepSpec(
        id=step.effective_id,
        type=step_type,
        depends_on=depends_on,
        timeout=timeout,
        retry_delay=retry_delay,
        start_delay=max(0, step.start_delay or 0),
        ignore_errors=bool(step.ignore_errors),
        working_directory=None,
    )
    if step_type is StepType.PUSH:
        refs = step.push or []
        if any(not ref for ref in refs):
            problems.add(f"{path}.push", "push names an empty image reference")
        # push ignores env, network, workingDirectory, retries and repeat in ACR (spec §4.5, §10).
        return replace(base, images=normalize_push_refs(refs))

    if step.disable_working_directory_override:
        workdir: str | None = None
    else:
        workdir = normalize_workdir(step.working_directory or definition.working_directory or "")
    container = replace(
        base,
        retries=max(0, step.retries or 0),
        retry_on_errors=list(step.retry_on_errors or []),
        repeat=max(0, step.repeat or 0),
        detach=bool(step.detach),
        keep=bool(step.keep),
        privileged=bool(step.privileged),
        env=env,
        network=step.network or default_network,
        working_directory=workdir,
        user=step.user or None,
        isolation=step.isolation or None,
        cpus=step.cpus or None,
        ports=list(step.ports or []),
        expose=list(step.expose or []),
        volume_mounts=[MountSpec(name=m.name, mount_path=m.mount_path) for m in step.volume_mounts or []],
    )
    if step_type is StepType.BUILD:
        build = _build_spec(step, path, problems, buildkit=buildkit, registry=registry, task_name=task_name)
        return replace(container, build=build)

    cmd_step = replace(
        container,
        image="",
        entry_point=step.entry_point or None,
        pull=bool(step.pull),
        cmd_download_retries=max(0, step.cmd_download_retries or 0),
        cmd_download_retry_delay=max(0, step.cmd_download_retry_delay or 0),
    )
    if step.cmd:
        try:
            return _fold_cmd_line(cmd_step, parse_cmd_line(expand_command_alias(step.cmd, aliases)))
        except FlagError as exc:
            problems.add(f"{path}.cmd", f"step {step.effective_id}: {exc.message}")
    return cmd_step


def compile_plan(
    definition: TaskDefinition,
    *,
    run_id: str,
    registry: str = "",
    task_name: str = "",
    command_aliases: Mapping[str, str] = _NO_ALIASES,
    total_timeout: int | None = None,
    default_network_name: str | None = None,
    filename: str = "",
) -> RunPlan:
    """Compile one run of ``definition``.

    ``command_aliases`` is the alias table of a v1.1.0+ file (empty otherwise): the first word of each ``cmd``
    is expanded with it, as ACR's ``ExpandCommandAliases``. ``total_timeout`` overrides the file's
    ``totalTimeout``. ``default_network_name`` names the network created when the task declares none.
    ``filename`` only labels the problems of a :class:`DefinitionError`.
    """
    if total_timeout is not None and total_timeout <= 0:
        raise UsageError(f"total timeout must be a positive number of seconds, not {total_timeout}")
    problems = _Problems(definition, filename)
    networks, default_network = _networks(definition, run_id, default_network_name)
    volume_names = {v.name for v in definition.volumes}

    ids = [s.effective_id for s in definition.steps]
    deps, issues = build_dependencies(ids, [s.when for s in definition.steps])
    steps: list[StepSpec] = []
    for index, step in enumerate(definition.steps):
        path = f"steps[{index}]"
        _check_shape(step, path, problems, volume_names)
        for issue in (i for i in issues if i.index == index):
            problems.add(f"{path}.{issue.field}", issue.message)
        steps.append(
            _compile_step(
                step,
                index=index,
                depends_on=deps[index],
                definition=definition,
                default_network=default_network,
                aliases=command_aliases,
                problems=problems,
                registry=registry,
                task_name=task_name,
            )
        )
    if problems.items:
        raise DefinitionError(problems.items)
    return RunPlan(
        run_id=run_id,
        steps=steps,
        networks=networks,
        volumes=[VolumeSpec(name=v.name, secret=dict(v.secret)) for v in definition.volumes],
        default_network=default_network,
        total_timeout=total_timeout if total_timeout is not None else definition.effective_total_timeout,
        registry=registry,
        task_name=task_name,
    )
