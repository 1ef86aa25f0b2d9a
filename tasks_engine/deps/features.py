"""What a Dockerfile needs from its builder: BuildKit at all, or a newer Dockerfile frontend than the daemon's.

Why: ACR builds with the classic builder unless the step sets ``DOCKER_BUILDKIT=1``, and a Dockerfile written
for BuildKit then fails with a parse error ("the --mount option requires BuildKit"). We choose BuildKit when the
file uses syntax only BuildKit understands, and say which line made us choose it. Syntax that even BuildKit's
built-in frontend of an older daemon lacks (heredocs, ``COPY --link``, ``ADD --checksum`` before Docker 23/24)
gets an error naming the instruction, the minimum Docker version and the ``# syntax=`` alternative, instead of
a bare parse error from the daemon.

Versions: the built-in frontend follows the BuildKit the daemon vendors — Docker 20.10 has Dockerfile syntax
1.2 (``RUN --mount``, ``COPY --chmod``, platform args), Docker 23.0 has 1.4 (heredocs, ``COPY --link``,
``RUN --network``), Docker 24.0 has 1.5/1.6 (``ADD --checksum``, ``ADD --keep-git-dir``). ``-labs`` features
(``COPY --parents``, ``RUN --security``) need a ``-labs`` frontend image on any version.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from tasks_engine.deps.dockerfile import Instruction, parse_dockerfile
from tasks_engine.deps.shellwords import ShellLexer

#: Build arguments BuildKit sets by itself (the classic builder leaves them empty).
AUTOMATIC_PLATFORM_ARGS = frozenset({
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
})
BUILDKIT = "buildkit"  # any BuildKit (Docker 18.09+ with DOCKER_BUILDKIT=1)
LABS = "labs"


@dataclass(frozen=True)
class Feature:
    """One use of builder-specific syntax: ``line`` 1-based, ``what`` as a user would name it."""

    line: int
    what: str
    needs: str  # BUILDKIT, a minimum Docker version such as "23.0", or LABS

    @property
    def newer_frontend(self) -> bool:
        return self.needs != BUILDKIT


@dataclass(frozen=True)
class DockerfileFeatures:
    features: tuple[Feature, ...]
    syntax: str | None = None
    syntax_line: int = 0
    secret_ids: frozenset[str] = frozenset()

    @property
    def needs_buildkit(self) -> Feature | None:
        """The first feature that makes BuildKit necessary, or None."""
        return self.features[0] if self.features else None

    def too_new_for(self, docker_version: str) -> Feature | None:
        """The first feature the daemon's built-in frontend lacks (``docker_version`` as ``20.10.24``)."""
        have = _version_tuple(docker_version)
        for feature in self.features:
            if feature.needs == LABS or (feature.needs != BUILDKIT and have < _version_tuple(feature.needs)):
                return feature
        return None


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("+")[0].split("-")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or (0,)


def _flags(args: str, escape: str) -> list[tuple[str, str]]:
    """Leading ``--name[=value]`` words of an instruction, as (name, value)."""
    out: list[tuple[str, str]] = []
    for word in ShellLexer(escape=escape).split_raw(args):
        if not word.startswith("--"):
            break
        name, _, value = word[2:].partition("=")
        out.append((name.lower(), value.strip("\"'")))
    return out


def _mount_fields(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in value.split(","):
        key, sep, val = part.partition("=")
        fields[key.strip().lower()] = val.strip() if sep else "true"
    return fields


def _run_features(ins: Instruction, escape: str, secrets: set[str]) -> list[Feature]:
    found: list[Feature] = []
    for name, value in _flags(ins.args, escape):
        if name == "mount":
            fields = _mount_fields(value)
            kind = fields.get("type", "bind")
            found.append(Feature(ins.line, f"RUN --mount=type={kind}", BUILDKIT))
            if kind == "secret":
                target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
                secret_id = fields.get("id") or posixpath.basename(target)
                if secret_id:
                    secrets.add(secret_id)
        elif name == "network":
            found.append(Feature(ins.line, "RUN --network", "23.0"))
        elif name == "security":
            found.append(Feature(ins.line, "RUN --security", LABS))
    return found


_COPY_FLAGS = {"chmod": BUILDKIT, "link": "23.0", "parents": LABS, "exclude": LABS}
_ADD_FLAGS = {**_COPY_FLAGS, "checksum": "24.0", "keep-git-dir": "24.0"}


def _copy_features(ins: Instruction, escape: str) -> list[Feature]:
    table = _ADD_FLAGS if ins.keyword == "ADD" else _COPY_FLAGS
    flags = [name for name, _ in _flags(ins.args, escape) if name in table]
    return [Feature(ins.line, f"{ins.keyword} --{name}", table[name]) for name in flags]


def _platform_features(ins: Instruction, escape: str) -> list[Feature]:
    if ins.keyword == "FROM":
        text = ins.args
        used = sorted(a for a in AUTOMATIC_PLATFORM_ARGS if f"${a}" in text or f"${{{a}}}" in text)
        return [Feature(ins.line, f"FROM using ${used[0]}", BUILDKIT)] if used else []
    words = ShellLexer(escape=escape).split_raw(ins.args)
    declared = [w for w in words if w.partition("=")[0] in AUTOMATIC_PLATFORM_ARGS and "=" not in w]
    return [Feature(ins.line, f"ARG {declared[0]} (set automatically by BuildKit)", BUILDKIT)] if declared else []


def scan_features(text: str) -> DockerfileFeatures:
    """Every builder-specific feature of ``text``, in file order. Raises ``DockerfileError`` for a file the
    parser cannot read (the dependency scan reports the same problem)."""
    parsed = parse_dockerfile(text)
    found: list[Feature] = []
    secrets: set[str] = set()
    syntax = parsed.directives.get("syntax")
    syntax_line = 0
    if syntax:
        syntax_line = next(
            (i + 1 for i, line in enumerate(text.removeprefix("\ufeff").split("\n")) if "syntax" in line.lower()), 1
        )
        found.append(Feature(syntax_line, f"# syntax={syntax}", BUILDKIT))
    for ins in parsed.instructions:
        if ins.heredocs:
            found.append(Feature(ins.line, f"{ins.keyword} <<{ins.heredocs[0].name} (heredoc)", "23.0"))
        if ins.keyword == "RUN":
            found += _run_features(ins, parsed.escape, secrets)
        elif ins.keyword in ("COPY", "ADD"):
            found += _copy_features(ins, parsed.escape)
        elif ins.keyword in ("FROM", "ARG"):
            found += _platform_features(ins, parsed.escape)
    return DockerfileFeatures(tuple(found), syntax, syntax_line, frozenset(secrets))


def too_new_message(feature: Feature, *, docker_version: str, file: str) -> str:
    """The error for syntax the daemon's built-in frontend lacks: instruction, minimum version, way out."""
    if feature.needs == LABS:
        need = "a -labs Dockerfile frontend"
        way = "add '# syntax=docker/dockerfile:1-labs' as the first line"
    else:
        need = f"Docker {feature.needs} or newer for the daemon's built-in Dockerfile frontend"
        way = "add '# syntax=docker/dockerfile:1' as the first line to use a newer frontend image"
    return (
        f"{file} line {feature.line}: {feature.what} needs {need} (this daemon is Docker {docker_version}); "
        f"{way} (the image must be pullable, or mapped in the engine configuration's buildkitFrontends)"
    )
