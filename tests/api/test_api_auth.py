"""Bearer tokens and roles: 401 with a challenge without a valid token, 403 for a role too small."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI

from tasks_engine.api import errors
from tasks_engine.api.auth import Auth, check_access
from tasks_engine.api.errors import ApiError
from tasks_engine.service.access import MAX_TOKEN_CHARS, AccessService
from tasks_engine.store import Role, TokenRecord

TOKENS = {f"te_{role.value}": TokenRecord(name=role.value, role=role, created="2026-12-01T00:00:00Z")
          for role in Role}


@pytest.mark.parametrize(("holder", "needed", "allowed"), [
    (Role.READER, Role.READER, True), (Role.READER, Role.RUNNER, False), (Role.READER, Role.ADMIN, False),
    (Role.RUNNER, Role.READER, True), (Role.RUNNER, Role.RUNNER, True), (Role.RUNNER, Role.ADMIN, False),
    (Role.ADMIN, Role.READER, True), (Role.ADMIN, Role.RUNNER, True), (Role.ADMIN, Role.ADMIN, True),
])
def test_each_role_includes_the_ones_before_it(holder: Role, needed: Role, allowed: bool) -> None:
    token = f"te_{holder.value}"
    if allowed:
        assert check_access(token, needed, TOKENS.get).name == holder.value
    else:
        with pytest.raises(ApiError) as caught:
            check_access(token, needed, TOKENS.get)
        assert caught.value.status == 403 and needed.value in caught.value.message


def test_no_token_and_an_unknown_token_are_401_with_a_bearer_challenge() -> None:
    for token, error in ((None, None), ("", None), ("te_nobody", "invalid_token")):
        with pytest.raises(ApiError) as caught:
            check_access(token, Role.READER, TOKENS.get)
        assert caught.value.status == 401
        challenge = caught.value.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer realm=")
        assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def test_strings_that_cannot_be_tokens_are_refused_without_a_lookup() -> None:
    class NoStore:
        def lookup_token(self, token: str) -> TokenRecord | None:
            raise AssertionError("looked up")

    access = AccessService(NoStore())  # type: ignore[arg-type]
    assert access.authenticate("Basic abc") is None
    assert access.authenticate("te_" + "x" * MAX_TOKEN_CHARS) is None


@pytest.fixture
def client(app_client: Callable[[Any], Any]) -> Iterator[Any]:
    app = FastAPI()
    auth = Auth(TOKENS.get)

    @app.get("/who")
    def who(record: TokenRecord = Depends(auth.require(Role.RUNNER))) -> dict[str, str]:  # noqa: B008
        return {"name": record.name}

    for exc_class in errors.HANDLED:
        app.add_exception_handler(exc_class, errors.handle)
    yield app_client(app)


def test_the_dependency_reads_the_authorization_header(client: Any) -> None:
    assert client.get("/who", headers={"Authorization": "Bearer te_runner"}).json() == {"name": "runner"}
    assert client.get("/who", headers={"Authorization": "bearer te_admin"}).json() == {"name": "admin"}
    for headers in ({}, {"Authorization": "Basic dTpw"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer te_unknown"}):
        reply = client.get("/who", headers=headers)
        assert reply.status_code == 401, headers
        assert reply.headers["www-authenticate"].startswith("Bearer")
        assert reply.json()["error"]["code"] == "unauthorized"
    denied = client.get("/who", headers={"Authorization": "Bearer te_reader"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"


def test_unknown_query_parameters_are_refused_but_only_after_authenticating(client: Any) -> None:
    typo = client.get("/who", params={"stauts": "Failed"}, headers={"Authorization": "Bearer te_runner"})
    assert typo.status_code == 422
    assert typo.json()["error"]["fields"][0]["field"] == "stauts"
    assert client.get("/who", params={"stauts": "Failed"}).status_code == 401
