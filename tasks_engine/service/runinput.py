"""What a caller asks a run to do, checked field by field, and turned into the store's ``RunRequest``.

Why one module for quick runs and named tasks: ``POST /v1/runs``, ``POST /v1/tasks`` and, later, the trigger
layer take the same fields (kind, task file or text, context, values, secrets, credentials, pool, platform),
so the rules are written once and every caller reports a bad field the same way: ``InvalidFieldError`` names
the field in the API's JSON spelling (``build.tags[0]``), which the API answers with 422.

Secret material (``secretValues``, secret build arguments, credentials, the git token) is split off into
``RunSecrets`` here, so it never reaches the request the store keeps in clear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tasks_engine.errors import UsageError
from tasks_engine.service.quick import BuildRequest
from tasks_engine.service.runner import UPLOAD_PREFIX
from tasks_engine.source import ContextKind, parse_context
from tasks_engine.source.errors import ContextError
from tasks_engine.store import Credential, Platform, RunRequest, RunSecrets
from tasks_engine.store.blobs import DIGEST

KINDS = ("build", "file", "encoded", "cmd")
RUN_TIMEOUT = (1, 28800)
POOL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", re.ASCII)
_KIND_FIELDS = {"file": "taskFile", "encoded": "encodedTask", "cmd": "cmd", "build": "build"}
_BAD_CHARS = re.compile(r"[\x00\r\n]")


class InvalidFieldError(UsageError):
    """One request field is wrong; ``field`` is its path in the request's JSON (HTTP 422 ``invalid_request``)."""

    def __init__(self, field_path: str, reason: str) -> None:
        self.field = field_path
        self.reason = reason
        super().__init__(f"{field_path}: {reason}")


@dataclass(frozen=True, kw_only=True)
class RunInput:
    """One run's inputs. ``task_text``/``values_text`` are the decoded ``encodedTask``/``encodedValues``."""

    kind: str
    task_file: str | None = None
    task_text: str | None = field(default=None, repr=False)
    cmd: str | None = None
    build: BuildRequest | None = None
    context: str | None = None
    values_file: str | None = None
    values_text: str | None = field(default=None, repr=False)
    values: Mapping[str, str] = field(default_factory=dict)
    secret_values: Mapping[str, str] = field(default_factory=dict, repr=False)
    credentials: tuple[Credential, ...] = field(default=(), repr=False)
    git_token: str | None = field(default=None, repr=False)
    registry: str = ""
    commit: str = ""
    branch: str = ""
    timeout: int | None = None
    max_parallel: int | None = None
    agent_pool: str | None = None
    platform: str | None = None


def pairs_of(values: Mapping[str, str]) -> tuple[str, ...]:
    """``{"k": "v"}`` -> ``("k=v",)``, the ``--set`` form the runner parses."""
    return tuple(f"{k}={v}" for k, v in values.items())


def values_of(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = value
    return out


def _check_text(path: str, value: str | None, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise InvalidFieldError(path, "required")
        return
    if required and not value.strip():
        raise InvalidFieldError(path, "must not be empty")
    if _BAD_CHARS.search(value):
        raise InvalidFieldError(path, "must be one line (no NUL, CR or LF)")


def _check_map(path: str, values: Mapping[str, str]) -> None:
    for key in values:
        if not key or "=" in key or _BAD_CHARS.search(key):
            raise InvalidFieldError(f"{path}.{key}", "a key must be non-empty, one line and without '='")


def _check_build(build: BuildRequest) -> None:
    for i, tag in enumerate(build.tags):
        if not tag or any(c.isspace() for c in tag):
            raise InvalidFieldError(f"build.tags[{i}]", "a tag must be non-empty and contain no whitespace")
    for name, items, need_value in (("buildArgs", build.build_args, False),
                                    ("secretBuildArgs", build.secret_build_args, True)):
        for i, item in enumerate(items):
            key, sep, _ = item.partition("=")
            if not key or _BAD_CHARS.search(item) or (need_value and not sep):
                raise InvalidFieldError(f"build.{name}[{i}]", "expected NAME=VALUE on one line")
    for name, value in (("dockerfile", build.dockerfile), ("target", build.target)):
        _check_text(f"build.{name}", value)
    _check_platform("build.platform", build.platform)


def _check_platform(path: str, value: str | None) -> None:
    if value is None:
        return
    try:
        Platform.parse(value)
    except ValueError as exc:
        raise InvalidFieldError(path, str(exc)) from None


def check_context(context: str | None, *, uploads: bool) -> None:
    """A service run reads its context on a worker: a git or tarball URL, an upload (quick runs only), none.

    Never a folder or a ``file://`` repository: those name paths on whichever worker takes the run.
    """
    if context is None:
        return
    _check_text("context", context)
    if context.startswith(UPLOAD_PREFIX):
        if not uploads:
            raise InvalidFieldError("context", "a named task cannot use an upload (uploads expire); give a git "
                                    "or tarball URL, or no context")
        if not DIGEST.fullmatch(context[len(UPLOAD_PREFIX):]):
            raise InvalidFieldError("context", "expected upload:sha256:<64 lowercase hex digits>")
        return
    try:
        spec = parse_context(context)
    except (ContextError, UsageError) as exc:
        raise InvalidFieldError("context", str(exc)) from None
    path_like = "://" not in spec.location and not spec.location.startswith("git@")
    local_git = spec.kind is ContextKind.GIT and (spec.location.startswith("file:") or path_like)
    if spec.kind is ContextKind.LOCAL or local_git:
        raise InvalidFieldError("context", "a path on the server cannot be a service run's context; upload the "
                                "folder (POST /v1/uploads) or give a git or tarball URL")


def check_run_input(run: RunInput, *, uploads: bool, timeout: tuple[int, int] = RUN_TIMEOUT) -> None:
    """Every rule that can be checked without the task's text; raises ``InvalidFieldError``."""
    if run.kind not in KINDS:
        raise InvalidFieldError("kind", f"expected one of {', '.join(KINDS)}")
    given = {"taskFile": run.task_file, "encodedTask": run.task_text, "cmd": run.cmd, "build": run.build}
    wanted = _KIND_FIELDS[run.kind]
    for name, value in given.items():
        if value is not None and name != wanted and not (name == "taskFile" and run.kind == "encoded"):
            raise InvalidFieldError(name, f"not allowed with kind {run.kind!r} (it takes {wanted})")
    if run.kind == "encoded" and not (run.task_text or "").strip():
        raise InvalidFieldError("encodedTask", "required with kind 'encoded' (base64 of the task file)")
    if run.kind == "cmd":
        _check_text("cmd", run.cmd, required=True)
    if run.kind == "build":
        if run.build is None:
            raise InvalidFieldError("build", "required with kind 'build'")
        _check_build(run.build)
    for name, value in (("taskFile", run.task_file), ("valuesFile", run.values_file), ("registry", run.registry),
                        ("commit", run.commit), ("branch", run.branch)):
        _check_text(name, value)
    if run.values_file is not None and run.values_text is not None:
        raise InvalidFieldError("encodedValues", "give either valuesFile or encodedValues, not both")
    _check_map("values", run.values)
    _check_map("secretValues", run.secret_values)
    for i, cred in enumerate(run.credentials):
        for name in ("registry", "username"):
            _check_text(f"credentials[{i}].{name}", getattr(cred, name), required=True)
    check_context(run.context, uploads=uploads)
    low, high = timeout
    if run.timeout is not None and not low <= run.timeout <= high:
        raise InvalidFieldError("timeout", f"must be between {low} and {high} seconds")
    if run.max_parallel is not None and run.max_parallel < 1:
        raise InvalidFieldError("maxParallel", "must be at least 1")
    if run.agent_pool is not None and not POOL_NAME.fullmatch(run.agent_pool):
        raise InvalidFieldError("agentPool", "1-63 letters, digits, '_', '.' or '-', starting with a letter or digit")
    _check_platform("platform", run.platform)


def request_of(run: RunInput, *, task_name: str = "") -> tuple[RunRequest, RunSecrets]:
    """The stored request and its secret half (encrypted by the store)."""
    request = RunRequest(
        kind=run.kind, task_file=run.task_file, encoded_task=run.task_text, cmd=run.cmd,
        build=run.build.to_dict() if run.build else None, context=run.context, values_file=run.values_file,
        encoded_values=run.values_text, set_values=pairs_of(run.values), registry=run.registry,
        commit=run.commit, branch=run.branch, task_name=task_name, timeout=run.timeout,
        max_parallel=run.max_parallel,
    )
    secrets = RunSecrets(set_secrets=pairs_of(run.secret_values),
                         secret_build_args=run.build.secret_build_args if run.build else (),
                         credentials=run.credentials, git_token=run.git_token)
    return request, secrets


def upload_digest(context: str | None) -> str | None:
    """``upload:sha256:...`` -> ``sha256:...``; None for any other context."""
    if context and context.startswith(UPLOAD_PREFIX):
        return context[len(UPLOAD_PREFIX):]
    return None
