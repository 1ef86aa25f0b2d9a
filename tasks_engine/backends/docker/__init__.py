"""The Docker backend: the only package that imports the ``docker`` SDK."""

from tasks_engine.backends.docker.backend import DockerBackend
from tasks_engine.backends.docker.gc import GcReport, collect_garbage, collect_garbage_from_env
from tasks_engine.backends.docker.options import PRIVILEGED_REFUSED, BackendOptions
from tasks_engine.credentials import (
    RegistryCredential,
    normalize_registry,
    parse_credential,
    parse_credentials,
)

__all__ = [
    "PRIVILEGED_REFUSED",
    "BackendOptions",
    "DockerBackend",
    "GcReport",
    "RegistryCredential",
    "collect_garbage",
    "collect_garbage_from_env",
    "normalize_registry",
    "parse_credential",
    "parse_credentials",
]
