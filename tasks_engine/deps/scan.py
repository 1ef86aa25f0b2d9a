"""Base-image dependencies of a Dockerfile: the runtime image (final stage) and the build-time images.

ACR's rules (acr-builder ``scan/dependencies.go``, spec §5.1), kept for compatibility:

* ``ARG name=value`` anywhere before a ``FROM`` feeds the expansion of later ``FROM`` lines; ``--build-arg``
  values win over ARG defaults and the *first* ARG definition wins over later ones; quotes are removed;
* ``FROM <alias>`` reuses the origin of an earlier stage (chains are followed);
* ``--target`` stops the scan at that stage; the runtime image is the origin of the last stage scanned;
* build-time images are the other distinct origins; ``golang`` and ``library/golang:latest`` are one image;
* no ``FROM`` at all → ``unexpected dockerfile format``.

Improvements over ACR (ACR fails or misreads these): ``FROM --platform=… image``; ``${VAR:-default}`` and
the other POSIX modifiers, expanded like Docker; line continuations, parser directives, heredocs (see
``dockerfile.py``); ``ARG a=1 b=2`` sets both; ARG defaults may use earlier ARGs; build-time images come out
in order of appearance (ACR: Go map order); an unknown ``--target`` is an error; every stage is recorded.

A bare ``--build-arg NAME`` (value ``None``) means "take it from the environment" in Docker; the scanner has
no environment (it is pure), so such an argument does not override the ARG default. ACR fails the scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tasks_engine.deps.dockerfile import parse_dockerfile
from tasks_engine.deps.errors import DockerfileError
from tasks_engine.deps.imageref import ImageRef, ImageReferenceError, parse_image_reference
from tasks_engine.deps.shellwords import ShellLexer

_STAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9\-_.]*$")
_FROM_FLAGS = frozenset({"platform"})


@dataclass(frozen=True)
class Stage:
    """One ``FROM``: ``base`` as written after expansion, ``origin`` the external image it starts from."""

    index: int
    name: str | None
    base: str
    origin: ImageRef
    platform: str | None
    line: int
    parent_stage: str | None = None
    """Name of the earlier stage ``base`` refers to, or None when ``base`` is an image."""


@dataclass(frozen=True)
class DockerfileDeps:
    runtime: ImageRef
    buildtime: tuple[ImageRef, ...]
    stages: tuple[Stage, ...]
    args: Mapping[str, str]


def scan_dockerfile(
    text: str,
    *,
    build_args: Mapping[str, str | None] | None = None,
    target: str | None = None,
    file: str = "Dockerfile",
) -> DockerfileDeps:
    """Find the base images of ``text``; raise ``DockerfileError`` (with the line) when it cannot."""
    try:
        return _scan(text, build_args or {}, target, file)
    except DockerfileError as exc:
        if exc.problems and exc.problems[0].file != file:
            raise DockerfileError(exc.message, line=exc.line, file=file) from exc
        raise


def _scan(text: str, build_args: Mapping[str, str | None], target: str | None, file: str) -> DockerfileDeps:
    parsed = parse_dockerfile(text)
    env: dict[str, str] = {k: v for k, v in build_args.items() if v is not None}
    stages: list[Stage] = []
    by_name: dict[str, ImageRef] = {}
    wanted = target.lower() if target else None
    reached_target = False
    for ins in parsed.instructions:
        lexer = ShellLexer(escape=parsed.escape, line=ins.line)
        if ins.keyword == "ARG":
            _apply_arg(lexer.words(ins.args, env), env, line=ins.line)
        elif ins.keyword == "FROM":
            stage = _from_stage(ins.args, lexer, env, by_name, index=len(stages), line=ins.line)
            stages.append(stage)
            if stage.name is not None:
                by_name[stage.name] = stage.origin
            if wanted is not None and stage.name == wanted:
                reached_target = True
                break
    if not stages:
        raise DockerfileError("unexpected dockerfile format: no FROM instruction found", file=file)
    if wanted is not None and not reached_target:
        raise DockerfileError(f"target stage {target!r} could not be found", file=file)
    runtime = stages[-1].origin
    buildtime: list[ImageRef] = []
    seen = {runtime.identity}
    for stage in stages:
        if stage.origin.identity not in seen:
            seen.add(stage.origin.identity)
            buildtime.append(stage.origin)
    return DockerfileDeps(runtime, tuple(buildtime), tuple(stages), dict(env))


def _apply_arg(words: list[str], env: dict[str, str], *, line: int) -> None:
    if not words:
        raise DockerfileError("ARG requires at least one argument", line=line)
    for word in words:
        name, eq, value = word.partition("=")
        if not name:
            raise DockerfileError(f"ARG names can not be blank: {word!r}", line=line)
        # ACR: a build arg wins, and so does the first definition; ARG without a value sets nothing.
        if eq and name not in env:
            env[name] = value


def _from_stage(
    args: str,
    lexer: ShellLexer,
    env: Mapping[str, str],
    by_name: Mapping[str, ImageRef],
    *,
    index: int,
    line: int,
) -> Stage:
    words = lexer.split_raw(args)
    platform: str | None = None
    while words and words[0].startswith("--"):
        flag, eq, value = words.pop(0)[2:].partition("=")
        if flag.lower() not in _FROM_FLAGS or not eq:
            raise DockerfileError(f"unknown flag in FROM: --{flag}", line=line)
        platform = lexer.process(value, env)
    if len(words) not in (1, 3):
        raise DockerfileError("FROM requires either one or three arguments", line=line)
    name: str | None = None
    if len(words) == 3:
        if words[1].lower() != "as":
            raise DockerfileError(f"FROM expects 'AS' as the second argument, got {words[1]!r}", line=line)
        name = words[2].lower()
        if not _STAGE_NAME_RE.match(name):
            raise DockerfileError(f"invalid name for build stage: {words[2]!r}", line=line)
    base = lexer.process(words[0], env).strip()
    if not base:
        raise DockerfileError(f"base name ({words[0]}) should not be blank", line=line)
    origin = by_name.get(base.lower())
    if origin is not None:
        return Stage(index, name, base, origin, platform, line, parent_stage=base.lower())
    try:
        origin = parse_image_reference(base)
    except ImageReferenceError as exc:
        raise DockerfileError(f"invalid base image {base!r}: {exc.reason}", line=line) from exc
    return Stage(index, name, base, origin, platform, line)
