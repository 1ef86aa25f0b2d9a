"""``tasks-engine token ...``: the operator's bootstrap straight in the store (no server, no encryption key),
then the same commands through the API; roles enforced on the tokens made."""

from __future__ import annotations

import json

import pytest
from cli_support import cli, cli_env
from harness import ServiceStack

pytestmark = pytest.mark.integration


def test_bootstrap_in_the_store_then_use_the_token(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    # The server host: service settings from the environment, no server configured, and no encryption key.
    host = cli_env(stack, server=False)
    host.pop("TASKS_ENGINE_ENCRYPTION_KEY")
    made = cli(stack, "token", "create", "--role", "reader", "--name", "watcher", env=host)
    assert made.rc == 0, made.describe()
    token = made.out.strip()
    assert token.startswith("te_") and made.out == token + "\n" and made.err == ""
    again = cli(stack, "token", "create", "--role", "reader", "--name", "watcher", env=host)
    assert again.rc == 1 and "exists" in again.err
    listed = cli(stack, "token", "list", "-o", "json", env=host)
    assert {t["name"]: t["role"] for t in json.loads(listed.out)} == {"admin": "admin", "watcher": "reader"}
    assert token not in listed.out

    reader = cli_env(stack, token=token)
    assert cli(stack, "task", "list-runs", env=reader).rc == 0
    denied = cli(stack, "run", "--cmd", f"{base_image} true", env=reader)
    assert denied.rc == 1
    assert denied.err.startswith(f"tasks-engine: error: the server at {stack.api_url} refused the request (HTTP 403")
    assert token not in denied.err

    assert cli(stack, "token", "delete", "--name", "watcher", env=host).rc == 0
    assert cli(stack, "token", "delete", "--name", "watcher", env=host).rc == 1
    revoked = cli(stack, "task", "list", env=reader)
    assert revoked.rc == 1 and "refused the token (HTTP 401" in revoked.err


def test_tokens_through_the_api(stack: ServiceStack) -> None:
    stack.start_api()
    made = cli(stack, "token", "create", "--role", "runner", "--name", "ci", "-o", "json")
    assert made.rc == 0, made.describe()
    body = json.loads(made.out)
    assert body["name"] == "ci" and body["role"] == "runner" and body["token"].startswith("te_")
    table = cli(stack, "token", "list")
    assert [line.split()[:2] for line in table.out.splitlines()[2:]] == [["admin", "admin"], ["ci", "runner"]]
    runner = cli_env(stack, token=body["token"])
    assert cli(stack, "token", "list", env=runner).rc == 1  # a runner may not manage tokens
    assert cli(stack, "token", "delete", "--name", "ci").rc == 0
    assert "ci" not in cli(stack, "token", "list").out.split()
