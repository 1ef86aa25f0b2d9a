"""Quick tasks: the task file ``az acr build`` runs, generated from its flags.

Why text and not a hand-built plan: going through a task file keeps one code path (the same parser, plan and
logs) for ``tasks-engine build`` run locally, run remotely, and for a ``DockerBuildRequest`` on a worker.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import yaml

from tasks_engine.errors import UsageError

SKIP_PUSH_WARNING = "'--image or -t' is not provided. Skipping image push after build."


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    """``az acr build``'s flags (spec: DockerBuildRequest)."""

    tags: tuple[str, ...] = ()
    dockerfile: str | None = None
    build_args: tuple[str, ...] = ()
    secret_build_args: tuple[str, ...] = ()
    target: str | None = None
    platform: str | None = None
    no_cache: bool = False
    pull: bool = False
    no_push: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "tags": list(self.tags), "dockerfile": self.dockerfile, "buildArgs": list(self.build_args),
            "target": self.target, "platform": self.platform, "noCache": self.no_cache, "pull": self.pull,
            "noPush": self.no_push,
        }


def has_registry(tag: str) -> bool:
    first, sep, _ = tag.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def qualified_tags(build: BuildRequest, registry: str) -> list[str]:
    return [t if has_registry(t) or not registry else f"{registry}/{t}" for t in build.tags]


def build_task_text(build: BuildRequest, registry: str) -> tuple[str, list[str]]:
    """The two-step task ``az acr build`` runs (build, then push when tags are given), and its tags."""
    tags = qualified_tags(build, registry)
    words: list[str] = []
    if build.dockerfile:
        words += ["-f", build.dockerfile]
    for tag in tags:
        words += ["-t", tag]
    for arg in build.build_args:
        words += ["--build-arg", arg]
    for arg in build.secret_build_args:  # a BuildKit secret when the Dockerfile mounts it (issue #8)
        words += ["--secret-build-arg", arg]
    if build.target:
        words += ["--target", build.target]
    if build.platform:
        words += ["--platform", build.platform]
    if build.no_cache:
        words.append("--no-cache")
    if build.pull:
        words.append("--pull")
    words.append(".")
    steps: list[dict[str, object]] = [{"id": "build", "build": shlex.join(words), "timeout": 28800}]
    if tags and not build.no_push:
        unqualified = [t for t in tags if not has_registry(t)]
        if unqualified:
            raise UsageError(f"cannot push {unqualified[0]}: the tag names no registry; pass --registry or --no-push")
        steps.append({"id": "push", "push": tags, "when": ["build"], "timeout": 3600})
    text = yaml.safe_dump({"version": "v1.0.0", "steps": steps}, sort_keys=False)
    return text, tags
