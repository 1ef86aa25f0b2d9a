"""Parse a ``build:`` string (the arguments of ``docker build``) into a :class:`BuildSpec`.

Why our own parser: acr-builder hands the string to the docker CLI through a host shell, and only sniffs
it with ``strings.Fields`` for tags, build args and the context, so ``-t=x`` / ``--build-arg=K=V`` are
invisible to it and ``--pull .`` hides the context (spec §4.3.1, §8.16). We build through the Docker SDK
instead, so every flag must map onto an SDK option: the string is split like a POSIX shell would
(``shlex``), flags are read the way docker's ``pflag`` reads them (``-t x``, ``-t=x``, ``-tx``,
``--tag x``, ``--tag=x``, ``--flag=true|false``), and a flag we cannot honour is an error naming it,
never silently dropped.

Accepted but without effect (they only tune the classic CLI's output or intermediate containers, which the SDK
build handles itself): ``--rm``, ``--force-rm``, ``-q``/``--quiet``, ``--progress``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tasks_engine.plan.model import BuildSpec
from tasks_engine.plan.pflag import Flag, FlagError, FlagReader, split_words

#: ACR's context when the string names none (``parseDockerBuildCmd`` defaults to ``.``).
DEFAULT_CONTEXT = "."
DEFAULT_DOCKERFILE = "Dockerfile"

#: A ``build:`` string the engine cannot turn into a build (unknown flag, missing value, bad quoting).
BuildFlagError = FlagError


@dataclass
class _Acc:
    """Mutable collector; frozen into a BuildSpec at the end."""

    contexts: list[str] = field(default_factory=list)
    dockerfile: str | None = None
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    platform: str | None = None
    network: str | None = None
    add_hosts: dict[str, str] = field(default_factory=dict)
    shm_size: str | None = None
    isolation: str | None = None
    cache_from: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    secret_build_args: dict[str, str] = field(default_factory=dict)


def _set_dockerfile(acc: _Acc, v: str) -> None:
    acc.dockerfile = v


def _add_tag(acc: _Acc, v: str) -> None:
    acc.tags.append(v)


def _add_build_arg(acc: _Acc, v: str) -> None:
    key, sep, value = v.partition("=")
    if not key:
        raise BuildFlagError(f"--build-arg {v!r} has no variable name (expected NAME=value or NAME)")
    # A bare NAME means "take the value from the environment", as docker does.
    acc.build_args[key] = value if sep else None


def _set_target(acc: _Acc, v: str) -> None:
    acc.target = v


def _add_label(acc: _Acc, v: str) -> None:
    key, _, value = v.partition("=")
    if not key:
        raise BuildFlagError(f"--label {v!r} has no label name (expected KEY=value)")
    acc.labels[key] = value


def _set_platform(acc: _Acc, v: str) -> None:
    acc.platform = v


def _set_network(acc: _Acc, v: str) -> None:
    acc.network = v


def _add_host(acc: _Acc, v: str) -> None:
    # docker accepts host=ip (newer) and host:ip; the first ':' separates (IPv6 addresses keep the rest).
    sep = "=" if "=" in v else ":"
    host, found, ip = v.partition(sep)
    if not found or not host or not ip:
        raise BuildFlagError(f"--add-host {v!r} is not HOST:IP", flag="--add-host")
    acc.add_hosts[host] = ip


def _set_shm_size(acc: _Acc, v: str) -> None:
    acc.shm_size = v


def _set_isolation(acc: _Acc, v: str) -> None:
    acc.isolation = v


def _add_cache_from(acc: _Acc, v: str) -> None:
    acc.cache_from.append(v)


def _add_secret(acc: _Acc, v: str) -> None:
    # BuildKit's --secret id=NAME[,src=PATH|,env=VAR]; checked (and the path kept in the workspace) at run time.
    fields = dict(part.partition("=")[::2] for part in v.split(","))
    if not (fields.get("id") or fields.get("src") or fields.get("source")):
        raise BuildFlagError(f"--secret {v!r} names no id (expected id=NAME,src=PATH or id=NAME,env=VAR)")
    acc.secrets.append(v)


def _add_secret_build_arg(acc: _Acc, v: str) -> None:
    key, sep, value = v.partition("=")
    if not key or not sep:
        raise BuildFlagError(f"--secret-build-arg {v!r} is not NAME=value")
    acc.secret_build_args[key] = value


def _ignore_value(acc: _Acc, v: str) -> None:
    del acc, v


def _set_no_cache(acc: _Acc, v: bool) -> None:
    acc.no_cache = v


def _set_pull(acc: _Acc, v: bool) -> None:
    acc.pull = v


def _ignore_bool(acc: _Acc, v: bool) -> None:
    del acc, v


ValueSetter = Callable[[_Acc, str], None]
BoolSetter = Callable[[_Acc, bool], None]

# (names, setter); the first name is the one shown in messages.
_VALUE_FLAGS: list[tuple[tuple[str, ...], ValueSetter]] = [
    (("-t", "--tag"), _add_tag),
    (("-f", "--file"), _set_dockerfile),
    (("--build-arg",), _add_build_arg),
    (("--target",), _set_target),
    (("--label",), _add_label),
    (("--platform",), _set_platform),
    (("--network",), _set_network),
    (("--add-host",), _add_host),
    (("--shm-size",), _set_shm_size),
    (("--isolation",), _set_isolation),
    (("--cache-from",), _add_cache_from),
    (("--secret",), _add_secret),
    # acb build's flag (az acr build --secret-build-arg): a build argument that must not reach the image history.
    (("--secret-build-arg",), _add_secret_build_arg),
    (("--progress",), _ignore_value),
]
_BOOL_FLAGS: list[tuple[tuple[str, ...], BoolSetter]] = [
    (("--no-cache",), _set_no_cache),
    (("--pull",), _set_pull),
    (("--rm",), _ignore_bool),
    (("--force-rm",), _ignore_bool),
    (("-q", "--quiet"), _ignore_bool),
]

_VALUE_BY_NAME: dict[str, ValueSetter] = {names[0]: s for names, s in _VALUE_FLAGS}
_BOOL_BY_NAME: dict[str, BoolSetter] = {names[0]: s for names, s in _BOOL_FLAGS}
_READER = FlagReader(
    "docker build",
    [Flag(names, True, names[0]) for names, _ in _VALUE_FLAGS]
    + [Flag(names, False, names[0]) for names, _ in _BOOL_FLAGS],
    interspersed=True,
)

SUPPORTED_FLAGS: tuple[str, ...] = _READER.supported


def parse_build_args(text: str) -> BuildSpec:
    """Read a ``build:`` value; raise :class:`BuildFlagError` for anything the SDK build could not honour."""
    parsed = _READER.read(split_words(text, what="the build arguments"))
    acc = _Acc(contexts=list(parsed.positional))
    for flag, value in parsed.flags:
        if isinstance(value, bool):
            _BOOL_BY_NAME[flag.key](acc, value)
        else:
            _VALUE_BY_NAME[flag.key](acc, value)
    if len(acc.contexts) > 1:
        raise BuildFlagError(
            "docker build takes exactly one context (a directory, git URL or tarball URL), got "
            + ", ".join(repr(c) for c in acc.contexts)
        )
    context = acc.contexts[0] if acc.contexts else DEFAULT_CONTEXT
    if context == "-":
        raise BuildFlagError("a build context read from stdin ('-') is not supported in a task")
    if context == "":
        raise BuildFlagError("the build context is an empty string")
    return BuildSpec(
        context=context,
        dockerfile=acc.dockerfile,
        tags=acc.tags,
        build_args=acc.build_args,
        target=acc.target,
        labels=acc.labels,
        no_cache=acc.no_cache,
        pull=acc.pull,
        platform=acc.platform,
        network=acc.network,
        add_hosts=acc.add_hosts,
        shm_size=acc.shm_size,
        isolation=acc.isolation,
        cache_from=acc.cache_from,
        secrets=acc.secrets,
        secret_build_args=acc.secret_build_args,
    )
