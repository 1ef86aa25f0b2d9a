"""API tokens: create (the clear token is returned once), list, delete, and authenticate a request.

The store keeps only SHA-256 digests, so authenticating is one hash and one lookup by digest: the clear token
is never compared with anything, and a wrong token costs the same as a right one. A string that cannot be one
of our tokens (wrong prefix, absurd length) is refused without asking Redis at all.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from typing import Any

from tasks_engine.errors import ConflictError, NotFoundError
from tasks_engine.service.runinput import InvalidFieldError
from tasks_engine.store import TOKEN_PREFIX, RedisStore, Role, TokenRecord

TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}", re.ASCII)
MAX_TOKEN_CHARS = 128


@dataclass(frozen=True)
class IssuedToken:
    record: TokenRecord
    token: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "token": self.token}


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidFieldError("role", f"expected one of {', '.join(r.value for r in Role)}") from None


@dataclass
class AccessService:
    store: RedisStore

    def create(self, name: str, role: Role | str) -> IssuedToken:
        if not TOKEN_NAME.fullmatch(name):
            raise InvalidFieldError("name", "1-64 letters, digits, '_', '.', '@' or '-', starting with a letter "
                                    "or digit")
        chosen = role if isinstance(role, Role) else parse_role(role)
        token = self.store.create_token(name, chosen)
        if token is None:
            raise ConflictError(f"a token named {name!r} exists")
        record = self.store.lookup_token(token, touch=False)
        assert record is not None, "a token just created is readable"
        return IssuedToken(record, token)

    def list(self) -> builtins.list[TokenRecord]:
        return self.store.list_tokens()

    def delete(self, name: str) -> None:
        if not (TOKEN_NAME.fullmatch(name) and self.store.delete_token(name)):
            raise NotFoundError(f"token {name!r} not found")

    def authenticate(self, token: str) -> TokenRecord | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
            return None
        return self.store.lookup_token(token)
