"""Errors the CLI's service commands raise, mapped onto exit codes by ``main``.

Why not ``NotFoundError``/``ConflictError``: those are ``UsageError`` (exit 2, "fix your command line"),
but a run that does not exist on the server, a refused token or a server that is down is not a typing
mistake: scripts must tell them apart from usage errors, so they exit 1, like a failed run.
"""

from __future__ import annotations

from tasks_engine.errors import EngineError, UsageError


class CommandError(EngineError):
    """The command could not do what it was asked: the server refused it, or what it names does not exist."""


class ServerUnavailable(CommandError):
    """The server cannot be reached, answered 503, or dropped the connection: worth retrying a read."""


class RequestRejected(UsageError):
    """The server found a field of the request invalid (HTTP 400/422): the command line needs fixing."""
