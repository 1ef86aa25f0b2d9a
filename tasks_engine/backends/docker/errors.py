"""Translation of Docker SDK failures into the engine's error classes and into readable reasons.

Why here and nowhere else: only this package imports ``docker``; callers branch on ``TransientError``
(retry the run later: the daemon is gone) versus ``PermanentError`` and step results, never on SDK classes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import docker.errors
import requests.exceptions

from tasks_engine.errors import PermanentError, TransientError

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def daemon_address(environ: Mapping[str, str] | None = None) -> str:
    """Where ``docker.from_env`` looks for the daemon, for messages."""
    env = os.environ if environ is None else environ
    return env.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def is_connection_error(exc: BaseException) -> bool:
    """True when the daemon itself cannot be talked to (as opposed to the daemon answering with an error)."""
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, docker.errors.DockerException) and not isinstance(exc, docker.errors.APIError):
        # from_env()/version negotiation wrap the connection failure in a bare DockerException.
        text = str(exc)
        return "Error while fetching server API version" in text or "Connection" in text
    return False


def reason(exc: BaseException) -> str:
    """The daemon's own explanation without the SDK's ``500 Server Error for http+docker://...`` preamble."""
    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        if explanation:
            return str(explanation).strip()
    return str(exc).strip() or type(exc).__name__


def unreachable(exc: BaseException, *, environ: Mapping[str, str] | None = None) -> TransientError:
    return TransientError(f"cannot reach the Docker daemon at {daemon_address(environ)}: {reason(exc)}")


def translate(exc: BaseException, *, doing: str) -> Exception:
    """The engine exception for an SDK failure that is not a step result (``raise translate(e) from e``)."""
    if is_connection_error(exc):
        return unreachable(exc)
    if isinstance(exc, docker.errors.APIError) and exc.status_code is not None and exc.status_code >= 500:
        return TransientError(f"Docker daemon error while {doing}: {reason(exc)}")
    return PermanentError(f"Docker refused {doing}: {reason(exc)}")


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, docker.errors.NotFound) or (
        isinstance(exc, docker.errors.APIError) and exc.status_code == 404
    )


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, docker.errors.APIError) and exc.status_code == 409
