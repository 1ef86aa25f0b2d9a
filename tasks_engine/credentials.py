"""Registry credentials for pulls and pushes, parsed from ACR's ``--credential`` forms.

Why a class with a masked password: credentials travel through option objects, logs and error messages; a
``repr`` that printed the password would leak it into every traceback and debug line. Only
``auth_config()`` (what the Docker SDK sends to the daemon) ever returns the clear value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasks_engine.errors import UsageError

MASK = "***"
_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com"}
)
# ACR's JSON credential keys (acr-builder graph/registry_credential.go); the provider types other than
# "opaque" need Azure Key Vault or a managed identity, which a self-hosted engine does not have.
_JSON_KEYS = frozenset(
    {
        "registry",
        "username",
        "password",
        "userNameProviderType",
        "passwordProviderType",
        "identity",
        "aadResourceId",
    }
)
_OPAQUE = ("", "opaque")


def normalize_registry(registry: str) -> str:
    """One spelling per registry host, so ``https://127.0.0.1:5000/`` and ``127.0.0.1:5000`` match."""
    text = registry.strip().lower()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme) :]
    text = text.split("/", 1)[0]
    return "docker.io" if text in _HUB_ALIASES else text


@dataclass(frozen=True)
class RegistryCredential:
    registry: str
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"RegistryCredential(registry={self.registry!r}, username={self.username!r}, password={MASK!r})"

    __str__ = __repr__

    def matches(self, registry: str) -> bool:
        return normalize_registry(self.registry) == normalize_registry(registry)

    def auth_config(self) -> dict[str, str]:
        """The ``X-Registry-Auth`` payload the Docker SDK encodes for pull and push."""
        return {"username": self.username, "password": self.password, "serveraddress": self.registry}


def credential_for(credentials: Iterable[RegistryCredential], registry: str) -> RegistryCredential | None:
    """The last credential given for ``registry`` wins, as a later ``docker login`` overrides one."""
    found = None
    for cred in credentials:
        if cred.matches(registry):
            found = cred
    return found


def _parse_json(text: str) -> RegistryCredential:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"invalid credential: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError:
        raise UsageError("invalid credential: not valid JSON") from None
    if not isinstance(data, dict):
        raise UsageError("invalid credential: the JSON form must be an object with registry, username, password")
    unknown = sorted(str(k) for k in data if k not in _JSON_KEYS)
    if unknown:
        raise UsageError(f"invalid credential: unknown key(s) {', '.join(unknown)}")
    for key in ("userNameProviderType", "passwordProviderType"):
        kind = data.get(key) or ""
        if not isinstance(kind, str) or kind.lower() not in _OPAQUE:
            raise UsageError(
                f"invalid credential: {key} {kind!r} is not supported; only 'opaque' (the value itself) is"
            )
    if data.get("identity") or data.get("aadResourceId"):
        raise UsageError("invalid credential: managed identities are not supported; give username and password")
    values: dict[str, str] = {}
    for key in ("registry", "username", "password"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise UsageError(f"invalid credential: {key!r} must be a non-empty string")
        values[key] = value
    return RegistryCredential(values["registry"], values["username"], values["password"])


def parse_credential(text: str) -> RegistryCredential:
    """``{"registry": ..., "username": ..., "password": ...}`` (ACR's JSON) or ``registry=user:password``.

    Error messages never quote the input: it holds a password.
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        return _parse_json(stripped)
    registry, sep, rest = stripped.partition("=")
    if not sep or not registry.strip():
        raise UsageError("invalid credential: expected 'registry=username:password' or ACR's JSON form")
    username, sep, password = rest.partition(":")
    if not sep or not username or not password:
        raise UsageError(f"invalid credential for {registry.strip()!r}: expected 'username:password' after '='")
    return RegistryCredential(registry.strip(), username, password)


def parse_credentials(texts: Sequence[str]) -> list[RegistryCredential]:
    return [parse_credential(t) for t in texts]
