"""Dockerfile base-image scanning, image reference normalisation and the dependency report (spec §5)."""

from tasks_engine.deps.dockerfile import Heredoc, Instruction, ParsedDockerfile, parse_dockerfile
from tasks_engine.deps.errors import DockerfileError
from tasks_engine.deps.imageref import (
    DOCKER_HUB_REGISTRY,
    ImageRef,
    ImageReferenceError,
    normalize_image_tag,
    normalize_push_refs,
    parse_image_reference,
)
from tasks_engine.deps.report import DependencyReport, build_dependency_report, build_dependency_reports
from tasks_engine.deps.scan import DockerfileDeps, Stage, scan_dockerfile

__all__ = [
    "DOCKER_HUB_REGISTRY",
    "DependencyReport",
    "DockerfileDeps",
    "DockerfileError",
    "Heredoc",
    "ImageRef",
    "ImageReferenceError",
    "Instruction",
    "ParsedDockerfile",
    "Stage",
    "build_dependency_report",
    "build_dependency_reports",
    "normalize_image_tag",
    "normalize_push_refs",
    "parse_dockerfile",
    "parse_image_reference",
    "scan_dockerfile",
]
