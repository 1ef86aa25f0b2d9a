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

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from tasks_engine.errors import DefinitionError, Problem, Severity
from tasks_engine.plan.model import BuildSpec

#: ACR's context when the string names none (``parseDockerBuildCmd`` defaults to ``.``).
DEFAULT_CONTEXT = "."
DEFAULT_DOCKERFILE = "Dockerfile"

# pflag's strconv.ParseBool spellings.
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


class BuildFlagError(DefinitionError):
    """A ``build:`` string the engine cannot turn into a build (unknown flag, missing value, bad quoting)."""

    def __init__(self, message: str, *, flag: str | None = None) -> None:
        self.flag = flag
        self.message = message
        super().__init__([Problem(Severity.ERROR, message)])


@dataclass
class _Acc:
    """Mutable collector; frozen into a BuildSpec at the end."""

    contexts: list[str] = field(default_factory=list)
    dockerfile: str = DEFAULT_DOCKERFILE
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
    (("--progress",), _ignore_value),
]
_BOOL_FLAGS: list[tuple[tuple[str, ...], BoolSetter]] = [
    (("--no-cache",), _set_no_cache),
    (("--pull",), _set_pull),
    (("--rm",), _ignore_bool),
    (("--force-rm",), _ignore_bool),
    (("-q", "--quiet"), _ignore_bool),
]

_VALUE_BY_NAME: dict[str, ValueSetter] = {n: s for names, s in _VALUE_FLAGS for n in names}
_BOOL_BY_NAME: dict[str, BoolSetter] = {n: s for names, s in _BOOL_FLAGS for n in names}

SUPPORTED_FLAGS: tuple[str, ...] = tuple("/".join(names) for names, _ in _VALUE_FLAGS + _BOOL_FLAGS)


def _unknown(flag: str) -> BuildFlagError:
    close = difflib.get_close_matches(flag, [*_VALUE_BY_NAME, *_BOOL_BY_NAME], n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return BuildFlagError(
        f"unknown docker build flag {flag!r}{hint}; supported flags: {', '.join(SUPPORTED_FLAGS)}", flag=flag
    )


def _missing(flag: str) -> BuildFlagError:
    return BuildFlagError(f"docker build flag {flag!r} needs a value", flag=flag)


def _parse_bool(flag: str, raw: str) -> bool:
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BuildFlagError(f"docker build flag {flag!r} takes true or false, not {raw!r}", flag=flag)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as exc:  # unbalanced quotes, trailing backslash
        raise BuildFlagError(f"cannot split the build arguments like a shell would: {exc}") from exc


def _take_value(flag: str, tokens: list[str], i: int) -> tuple[str, int]:
    """The value following ``flag`` at ``tokens[i]``; a following flag counts as a missing value."""
    if i >= len(tokens):
        raise _missing(flag)
    value = tokens[i]
    if value.startswith("-") and value != "-":
        raise _missing(flag)
    return value, i + 1


def _apply_value(acc: _Acc, flag: str, value: str) -> None:
    if value == "":
        raise _missing(flag)
    _VALUE_BY_NAME[flag](acc, value)


def _parse_long(acc: _Acc, tok: str, tokens: list[str], i: int) -> int:
    name, has_eq, inline = tok.partition("=")
    if name in _BOOL_BY_NAME:
        _BOOL_BY_NAME[name](acc, _parse_bool(name, inline) if has_eq else True)
        return i
    if name in _VALUE_BY_NAME:
        if has_eq:
            _apply_value(acc, name, inline)
            return i
        value, i = _take_value(name, tokens, i)
        _apply_value(acc, name, value)
        return i
    raise _unknown(name)


def _parse_short(acc: _Acc, tok: str, tokens: list[str], i: int) -> int:
    """pflag shorthand: ``-q``, ``-tx``, ``-t=x``, ``-t x`` and chains such as ``-qt x``."""
    pos = 1
    while pos < len(tok):
        name = "-" + tok[pos]
        rest = tok[pos + 1 :]
        if name in _BOOL_BY_NAME:
            if rest.startswith("="):
                _BOOL_BY_NAME[name](acc, _parse_bool(name, rest[1:]))
                return i
            _BOOL_BY_NAME[name](acc, True)
            pos += 1
            continue
        if name in _VALUE_BY_NAME:
            if rest:
                _apply_value(acc, name, rest[1:] if rest.startswith("=") else rest)
                return i
            value, i = _take_value(name, tokens, i)
            _apply_value(acc, name, value)
            return i
        raise _unknown(name if pos > 1 or len(tok) == 2 else tok)
    return i


def parse_build_args(text: str) -> BuildSpec:
    """Read a ``build:`` value; raise :class:`BuildFlagError` for anything the SDK build could not honour."""
    tokens = _split(text)
    acc = _Acc()
    i = 0
    only_positional = False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if only_positional or tok == "-" or not tok.startswith("-"):
            acc.contexts.append(tok)
        elif tok == "--":
            only_positional = True
        elif tok.startswith("--"):
            i = _parse_long(acc, tok, tokens, i)
        else:
            i = _parse_short(acc, tok, tokens, i)
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
    )
