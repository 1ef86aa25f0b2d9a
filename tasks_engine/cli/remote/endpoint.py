"""Which server a command talks to, and with which token: flags first, then the environment.

Why the environment is preferred for the token: a ``--token`` value is visible to every user of the host in
``ps`` and lands in shell history; ``TASKS_ENGINE_TOKEN`` does neither. Both are accepted, as ``az`` accepts
``--password``, and the help says which to use.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tasks_engine.errors import UsageError

SERVER_ENV = "TASKS_ENGINE_SERVER"
TOKEN_ENV = "TASKS_ENGINE_TOKEN"  # noqa: S105 - the name of a variable, not a secret


@dataclass(frozen=True)
class Endpoint:
    server: str
    token: str = field(repr=False)


def _configured(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str, str]:
    server = getattr(args, "server", None) or environ.get(SERVER_ENV, "")
    token = getattr(args, "token", None) or environ.get(TOKEN_ENV, "")
    return server.strip(), token.strip()


def normalized_server(server: str) -> str:
    text = server.strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1]) == 0:
        raise UsageError(f"invalid server URL {server!r}: expected http://HOST:PORT or https://HOST")
    return text


def configured_token(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str:
    """The token the command line or environment carries (to be masked in everything printed)."""
    return _configured(args, os.environ if environ is None else environ)[1]


def run_endpoint(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Endpoint | None:
    """``run``/``build``: remote when a server is configured, unless ``--local``."""
    if getattr(args, "local", False):
        return None
    server, token = _configured(args, os.environ if environ is None else environ)
    if not server:
        return None
    if not token:
        raise UsageError(f"a server is configured ({server}) but no token: set {TOKEN_ENV} "
                         "(or pass --local to run on this host)")
    return Endpoint(normalized_server(server), token)


def required_endpoint(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Endpoint:
    """``task ...``: there is no local mode; say how to configure the server."""
    server, token = _configured(args, os.environ if environ is None else environ)
    if not server or not token:
        missing = " and ".join(n for n, v in ((SERVER_ENV, server), (TOKEN_ENV, token)) if not v)
        raise UsageError(f"this command needs a Tasks Engine server: set {missing} (or pass --server/--token)")
    return Endpoint(normalized_server(server), token)


def optional_endpoint(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Endpoint | None:
    """``token ...``: the API when both a server and a token are configured, else the store on this host."""
    server, token = _configured(args, os.environ if environ is None else environ)
    return Endpoint(normalized_server(server), token) if server and token else None
