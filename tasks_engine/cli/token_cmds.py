"""``tasks-engine token create|list|delete``: API tokens, through the API or straight in the store.

Why two paths: the first admin token cannot come from an API that needs a token. On the server host the
operator runs ``token create`` without a server configured, and it goes to the run store named by the service
settings (``--config``, ``TASKS_ENGINE_*``) — without the encryption key, which tokens do not need (they are
stored as SHA-256 digests). With a server and a token configured, the same commands call ``/v1/tokens``.
A new token is printed once, alone on stdout, so a script can capture it.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from tasks_engine.cli.errors import CommandError
from tasks_engine.cli.output import emit, print_json
from tasks_engine.cli.redact import masker_for
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.endpoint import optional_endpoint
from tasks_engine.cli.tables import TOKEN_COLUMNS, token_row
from tasks_engine.errors import UsageError
from tasks_engine.runtime.masking import SecretMasker

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}", re.ASCII)  # the API's TokenBody rule

Json = dict[str, Any]


def _print_created(args: argparse.Namespace, created: Json) -> None:
    if args.output == "json":
        # Not masked: the new token is the answer (the masker holds the configured token, a different one).
        print_json({k: created.get(k) for k in ("name", "role", "created", "token")}, SecretMasker(()))
    else:
        print(created["token"])


def _remote(args: argparse.Namespace, client: ApiClient, masker: SecretMasker) -> int:
    command = args.token_command
    if command == "create":
        created = client.create_token(args.name, args.role)
        if not isinstance(created.get("token"), str):
            raise CommandError(f"the server at {client.server} did not return the new token")
        _print_created(args, created)
    elif command == "list":
        emit(client.list_tokens(), output=args.output, row=token_row, columns=TOKEN_COLUMNS, masker=masker)
    else:
        client.delete_token(args.name)
    return 0


def _local(args: argparse.Namespace, masker: SecretMasker) -> int:
    from tasks_engine.config import load_settings
    from tasks_engine.store import Role, open_store

    store = open_store(load_settings(args.config).service, with_secrets=False)
    command = args.token_command
    if command == "create":
        if not _NAME.fullmatch(args.name):
            raise UsageError(f"invalid token name {args.name!r}: 1-64 of letters, digits, '_', '.', '@', '-'")
        token = store.create_token(args.name, Role(args.role))
        if token is None:
            raise CommandError(f"a token named {args.name!r} exists; delete it first or choose another name")
        _print_created(args, {"name": args.name, "role": args.role, "token": token})
    elif command == "list":
        tokens = [t.to_dict() for t in store.list_tokens()]
        emit(tokens, output=args.output, row=token_row, columns=TOKEN_COLUMNS, masker=masker)
    elif not store.delete_token(args.name):
        raise CommandError(f"no token named {args.name!r}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    masker = masker_for(args)
    endpoint = optional_endpoint(args)
    if endpoint is None:
        return _local(args, masker)
    with ApiClient(endpoint) as client:
        return _remote(args, client, masker)
