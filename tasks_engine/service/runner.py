"""The one place that turns a run request into an executed run: the CLI's local mode and the worker both call it.

Why one home (Woodpecker's ``agent/runner.go``): the security rules of a run — validated run ids, a private
run folder held by a liveness lock, the ``templateEnv`` allow-list, credentials from the engine's
configuration, masking of every secret, contexts that may not read the host, task files that may not leave the
context — are written here once. An adapter (CLI, worker) only chooses where the log goes, what cancels the
run and whether host paths are allowed, and nothing else.

Use::

    with prepare_run(job, engine=config, host_files=False, open_upload=fetch) as run:
        ...                              # the context is on disk, the plan compiled, secrets known
        result = run.execute(sink=sink, cancel=cancel)
"""

from __future__ import annotations

import os
import platform
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tasks_engine import compiler
from tasks_engine.backends.docker import BackendOptions, DockerBackend
from tasks_engine.config.engine import EngineConfig
from tasks_engine.credentials import RegistryCredential
from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy, url_fetcher
from tasks_engine.errors import Problem, UsageError
from tasks_engine.runlock import hold_run_lock
from tasks_engine.runtime.events import EventSink, LogLine
from tasks_engine.runtime.executor import execute_plan
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.runtime.results import RunResult, RunStatus
from tasks_engine.service.files import MAX_TEXT_BYTES, read_text_file
from tasks_engine.service.quick import BuildRequest, build_task_text
from tasks_engine.service.redact import nonempty, pair_value, plan_secrets, url_secrets
from tasks_engine.service.runids import checked_run_id
from tasks_engine.source import (
    ContextInfo,
    ContextKind,
    GitAuth,
    mask_url,
    materialize_context,
    parse_context,
    safe_extract,
)
from tasks_engine.templating.alias_sources import default_alias_source_loader
from tasks_engine.templating.aliases import default_image_aliases
from tasks_engine.templating.rundata import RunInfo
from tasks_engine.templating.values import load_values, merge_values, parse_set

UPLOAD_PREFIX = "upload:"
"""A context string ``upload:sha256:<hex>`` names an uploaded archive; only workers resolve it."""

_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
            "i386": "386", "i686": "386"}

OpenUpload = Callable[[str], AbstractContextManager[BinaryIO]]


def host_architecture() -> str:
    machine = platform.machine().lower()
    return _GO_ARCH.get(machine, machine)


@dataclass(frozen=True, kw_only=True)
class RunJob:
    """Everything that decides what one run does, as plain data (a worker builds it from the stored request).

    Exactly one of ``task_file``, ``task_text``, ``cmd`` and ``build`` says what to run. Secret fields are
    kept out of the repr: a job ends up in tracebacks.
    """

    run_id: str | None
    task_file: str | None = None
    task_text: str | None = field(default=None, repr=False)
    task_filename: str = "<task>"
    cmd: str | None = None
    build: BuildRequest | None = field(default=None, repr=False)
    context: str | None = None
    values_file: str | None = None
    values_text: str | None = field(default=None, repr=False)
    set_values: tuple[str, ...] = field(default=(), repr=False)
    set_secrets: tuple[str, ...] = field(default=(), repr=False)
    registry: str = ""
    commit: str = ""
    branch: str = ""
    repository: str = ""
    git_tag: str = ""
    triggered_by: str = ""
    task_name: str = ""
    credentials: tuple[RegistryCredential, ...] = field(default=(), repr=False)
    git_auth: GitAuth | None = field(default=None, repr=False)
    timeout: int | None = None
    max_parallel: int | None = None
    strict: bool = False
    untrusted: bool = False
    """A pull-request run: the engine's ``registries`` credentials are not given to it either."""
    refresh_images: tuple[str, ...] = ()
    """Base images an image-update run pulls before its steps: the classic builder builds on the host's copy
    of a tag, which on a worker that never pulled the update is the old one."""

    def __post_init__(self) -> None:
        chosen = [n for n in ("task_file", "task_text", "cmd", "build") if getattr(self, n) is not None]
        if len(chosen) != 1:
            raise UsageError("a run needs exactly one of a task file, an encoded task, --cmd or a build")

    @property
    def dockerfile(self) -> str | None:
        return self.build.dockerfile if self.build else None


def job_secrets(job: RunJob, engine: EngineConfig | None = None) -> list[str]:
    """Every value a run must never print, known before anything runs (volume contents come with the plan)."""
    found = [pair_value(s) for s in job.set_secrets]
    if job.build:
        found += [pair_value(s) for s in job.build.secret_build_args]
    found += [c.password for c in job.credentials]
    if engine is not None:
        found += [c.password for c in engine.registries]
    if job.context:
        found += url_secrets(job.context)
    if job.git_auth:
        found.append(job.git_auth.password)
    return nonempty(found)


def final_line(result: RunResult) -> str:
    """ACR's last line of a run: in the CLI's output and in the stored log."""
    seconds = round(result.duration)
    if result.status is RunStatus.SUCCEEDED:
        return f"Run ID: {result.run_id} was successful after {seconds}s"
    reason = result.error.message if result.error else result.status.value
    return f"Run ID: {result.run_id} failed after {seconds}s. Error: {reason}"


def template_environment(config: EngineConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """Only the variables the operator listed in ``templateEnv``: a task file may come from a stranger's
    repository and must not read the host's credentials through ``{{ env "..." }}``."""
    return {name: environ[name] for name in config.template_env if name in environ}


def run_info_for(job: RunJob, *, run_id: str, context: ContextInfo | None, now: datetime) -> RunInfo:
    """``shared_volume`` is the host folder mounted at /workspace (ACR names a Docker volume there; a host
    path serves the same purpose for steps that talk to the daemon)."""
    return RunInfo(
        id=run_id,
        registry=job.registry,
        commit=job.commit or (context.commit if context else ""),
        branch=job.branch or (context.branch if context else ""),
        repository=job.repository,
        git_tag=job.git_tag,
        triggered_by=job.triggered_by,
        task_name=job.task_name,
        shared_volume=str(context.path) if context else "",
        os="linux",
        architecture=host_architecture(),
        date=now,
    )


def values_of(job: RunJob, *, search_dirs: tuple[Path, ...], host_files: bool,
              egress: EgressPolicy | None = None) -> tuple[dict[str, object], dict[str, str]]:
    """``(values, secrets)``: the values file merged under ``--set``; ``--set-secret`` feeds both maps.
    A ``--values`` http(s) URL is fetched under the engine's egress policy."""
    file_values: dict[str, object] = {}
    if job.values_text is not None:
        file_values = load_values(job.values_text, "<values>")
    elif job.values_file and job.values_file.lower().startswith(("http://", "https://")):
        file_values = load_values(fetch_values_url(job.values_file, egress), mask_url(job.values_file))
    elif job.values_file:
        text, name = read_text_file(job.values_file, what="values file", search_dirs=search_dirs,
                                    host_files=host_files)
        file_values = load_values(text, name)
    set_values: dict[str, object] = dict(parse_set(list(job.set_values)))
    secrets = parse_set(list(job.set_secrets))
    set_values.update(secrets)
    return merge_values(file_values, set_values), secrets


def fetch_values_url(url: str, egress: EgressPolicy | None) -> str:
    """A values file behind a URL (issue #8: every fetch of a run goes through one egress policy)."""
    if egress is None:
        raise UsageError(f"values file {mask_url(url)}: URLs need the engine's egress policy")
    try:
        data = url_fetcher(egress, timeout=30.0, max_bytes=MAX_TEXT_BYTES)(url)
    except OSError as exc:  # urllib's errors, HTTPError included
        raise UsageError(f"cannot fetch values file {mask_url(url)}: {getattr(exc, 'reason', exc)}") from exc
    if len(data) > MAX_TEXT_BYTES:
        raise UsageError(f"values file {mask_url(url)} is larger than {MAX_TEXT_BYTES} bytes")
    return data.decode("utf-8-sig", errors="replace")


def task_text_of(job: RunJob, *, search_dirs: tuple[Path, ...], host_files: bool) -> tuple[str, str]:
    if job.cmd is not None:
        return "", "<--cmd>"
    if job.build is not None:
        return build_task_text(job.build, job.registry)[0], "<build>"
    if job.task_text is not None:
        return job.task_text, job.task_filename
    assert job.task_file is not None
    return read_text_file(job.task_file, what="task file", search_dirs=search_dirs, host_files=host_files)


def compile_inputs_for(job: RunJob, engine: EngineConfig, *, run: RunInfo, context_dir: Path | None,
                       host_files: bool, environ: Mapping[str, str] | None = None) -> compiler.CompileInputs:
    """The compiler's inputs for ``job``; also what ``validate``/``render``/``plan`` use, so they agree."""
    search = (context_dir,) if context_dir else ()
    text, filename = task_text_of(job, search_dirs=search, host_files=host_files)
    values, secrets = values_of(job, search_dirs=search, host_files=host_files, egress=engine.egress)
    inputs = compiler.CompileInputs(
        text=text,
        filename=filename,
        run=run,
        values=values,
        secrets=secrets,
        # The operator's configuration overrides single targets; the rest keep ACR's defaults.
        image_aliases={**default_image_aliases(), **engine.image_aliases},
        load_alias_source=default_alias_source_loader(
            context_dir, fetch_url=url_fetcher(engine.egress, timeout=2.0, max_bytes=1 << 20)  # ACR's 2 s
        ),
        environ=template_environment(engine, os.environ if environ is None else environ),
        strict=job.strict,
        total_timeout=job.timeout,
    )
    return replace(inputs, quick_cmd=job.cmd) if job.cmd is not None else inputs


@dataclass
class PreparedRun:
    """A run whose context is on disk and whose plan is compiled; ``execute`` runs it once."""

    job: RunJob
    run_id: str
    engine: EngineConfig
    context: ContextInfo
    compiled: compiler.CompiledTask
    secrets: list[str]
    credentials: list[RegistryCredential]

    @property
    def masker(self) -> SecretMasker:
        return SecretMasker(self.secrets)

    @property
    def warnings(self) -> list[Problem]:
        return self.compiled.warnings

    def execute(self, *, sink: EventSink, cancel: threading.Event | None = None,
                labels: Mapping[str, str] | None = None, clock: Callable[[], datetime] | None = None) -> RunResult:
        """Run the plan on Docker; the log (and ACR's final ``Run ID: ...`` line) goes to ``sink``."""
        now = clock or (lambda: datetime.now(UTC))
        for note in self.compiled.rendered.notes:
            sink.emit(LogLine(time=now(), text=self.masker.mask(note)))
        backend = DockerBackend(
            options=BackendOptions(
                state_root=self.engine.runs_root,
                allow_privileged=self.engine.allow_privileged,
                mount_docker_socket=self.engine.mount_docker_socket,
                allow_host_network=self.engine.allow_host_network,
                # builds branch (issue #8): run options, BuildKit, remote build contexts, build cache bound
                allow_host_mounts=self.engine.allow_host_mounts,
                buildkit_default=self.engine.buildkit_default,
                buildkit_frontends=dict(self.engine.buildkit_frontends),
                docker_cli=self.engine.docker_cli,
                egress=self.engine.egress,
                build_cache_max_bytes=self.engine.build_cache_max_bytes,
            ),
            workspace=self.context.path,
            credentials=self.credentials,
            source_commit=self.job.commit or self.context.commit,
            labels=labels,
            refresh_images=self.job.refresh_images,
        )
        result = execute_plan(
            self.compiled.plan,
            backend,
            sink=sink,
            cancel=cancel,
            secrets=self.secrets,
            max_parallel=self.job.max_parallel or self.engine.max_parallel,
            total_timeout=self.job.timeout,
        )
        sink.emit(LogLine(time=now(), text=final_line(result), plain=True))
        return result


@contextmanager
def run_folder(runs_root: Path, run_id: str, *, reuse: bool = False) -> Iterator[Path]:
    """A private folder per run, held by the liveness lock ``gc`` respects, and removed afterwards.

    ``reuse`` (a worker's redelivery of the same run) empties a folder a dead attempt left; the CLI refuses
    an id that is in use instead.
    """
    folder = runs_root / run_id
    workspace = folder / "workspace"
    try:
        if reuse and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)  # private before the context (maybe an .env the ignore rules keep) is copied in
        workspace.mkdir(exist_ok=False)
    except FileExistsError as exc:
        raise UsageError(f"run id {run_id} is already in use ({folder} exists); choose another --id") from exc
    except OSError as exc:
        raise UsageError(f"cannot create the run folder {folder}: {exc.strerror}") from exc
    try:
        with hold_run_lock(folder):  # tells `tasks-engine gc` this run is alive, however long it takes
            yield workspace
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def materialize_job_context(job: RunJob, workspace: Path, *, host_files: bool,
                            open_upload: OpenUpload | None, egress: EgressPolicy | None = None) -> ContextInfo:
    """Put the run's context into ``workspace``: an upload (workers), git, a tarball, a local folder (CLI)."""
    if job.context and job.context.startswith(UPLOAD_PREFIX):
        if open_upload is None:
            raise UsageError("an uploaded context can only be run by the service")
        digest = job.context[len(UPLOAD_PREFIX):]
        with open_upload(digest) as archive:
            safe_extract(archive, workspace, location=f"upload {digest}")
        return ContextInfo(workspace, "", "", workspace)
    spec = parse_context(job.context)
    on_host = spec.kind is ContextKind.LOCAL or (spec.kind is ContextKind.GIT and _host_path(spec.location))
    if on_host and not host_files:
        raise UsageError(f"context {spec.display}: a path on this host cannot be a service run's context; "
                         "upload it (tasks-engine build/run do) or give a git or tarball URL")
    return materialize_context(spec, workspace, dockerfile=job.dockerfile, git_auth=job.git_auth,
                               egress=egress or DEFAULT_POLICY)


def _host_path(location: str) -> bool:
    """A git "remote" that is a folder (or ``file://``) of the worker host, not a server."""
    return location.lower().startswith("file:") or ("://" not in location and not location.startswith("git@"))


@contextmanager
def prepare_run(job: RunJob, *, engine: EngineConfig, host_files: bool, open_upload: OpenUpload | None = None,
                environ: Mapping[str, str] | None = None, now: datetime | None = None,
                reuse_folder: bool = False) -> Iterator[PreparedRun]:
    """Create the run folder, materialise the context, read the task and values, compile the plan.

    Raises ``DefinitionError`` (the task file), ``UsageError`` (the request), ``ContextError`` subclasses
    (source), ``InfrastructureError`` (something under us). Callers mask what they print with
    ``job_secrets(job, engine)``.
    """
    run_id = checked_run_id(job.run_id)
    with run_folder(engine.runs_root, run_id, reuse=reuse_folder) as workspace:
        context = materialize_job_context(job, workspace, host_files=host_files, open_upload=open_upload,
                                          egress=engine.egress)
        run = run_info_for(job, run_id=run_id, context=context, now=now or datetime.now(UTC))
        inputs = compile_inputs_for(job, engine, run=run, context_dir=context.path, host_files=host_files,
                                    environ=environ)
        compiled = compiler.compile_task(inputs)
        credentials = [*([] if job.untrusted else engine.registries), *job.credentials]
        secrets = nonempty([*inputs.secrets.values(), *job_secrets(job, engine), *plan_secrets(compiled.plan)])
        yield PreparedRun(job=job, run_id=run_id, engine=engine, context=context, compiled=compiled,
                          secrets=secrets, credentials=credentials)
