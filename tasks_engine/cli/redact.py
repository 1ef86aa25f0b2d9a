"""The secrets a command line carries, so that every error line the CLI prints can be masked.

Why at the CLI's edge: a template error (``{{ fail .Secrets.x }}``), a schema error that quotes a rendered
value, or a malformed ``--set-secret`` pair reaches ``main`` as an exception before any run (and its
log masker) exists. ``main`` masks what it prints with the values found here.
"""

from __future__ import annotations

import argparse
import json

from tasks_engine.cli.remote.endpoint import configured_token
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.service.redact import pair_value, url_secrets


def _credential_password(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return stripped
        value = data.get("password") if isinstance(data, dict) else None
        return value if isinstance(value, str) else ""
    _, sep, rest = stripped.partition("=")
    _, sep2, password = rest.partition(":")
    return password if sep and sep2 else stripped


def secrets_of_args(args: argparse.Namespace) -> list[str]:
    """``--set-secret``, ``--secret-build-arg``/``--secret-arg``, ``--credential`` passwords,
    ``--git-access-token``, ``--webhook-secret``, a token in a context URL, and the API token (``--token`` or
    ``TASKS_ENGINE_TOKEN``)."""
    found: list[str] = [configured_token(args)]
    for item in getattr(args, "set_secrets", None) or []:
        found.append(pair_value(item))
    for item in getattr(args, "secret_build_args", None) or []:
        found.append(pair_value(item))
    for text in getattr(args, "credentials", None) or []:
        found.append(_credential_password(text))
    for attr in ("git_access_token", "webhook_secret"):
        value = getattr(args, attr, None)
        if isinstance(value, str):
            found.append(value)
    context = getattr(args, "context", None)
    if isinstance(context, str):
        found += url_secrets(context)
    return [s for s in found if s]


def masker_for(args: argparse.Namespace) -> SecretMasker:
    return SecretMasker(secrets_of_args(args))
