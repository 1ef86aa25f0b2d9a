"""Webhook authentication: constant-time checks over the raw body, and signing for tests and docs.

Why bytes and not parsed JSON: GitHub signs the exact bytes it sent; re-serialising a parsed body changes
whitespace and key order and every check would fail (or, worse, a lenient re-encoding would accept a body
that was never signed). The API must pass the request body untouched.

Schemes (service-spec §3.1):

* GitHub (and the generic webhook): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``. The
  whole header string is compared with :func:`hmac.compare_digest`; the hex is lower case as GitHub sends
  it, an upper-case hex is accepted too (normalised before the comparison, which stays constant-time).
* GitLab: ``X-Gitlab-Token: <secret>`` in plain text, compared in constant time as well.

An empty secret is refused (``ValueError``): a hook "secured" by an empty key would accept anyone who knows
the scheme, which is what go-scm does when no key is configured and what we never want.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "GITHUB_SIGNATURE_HEADER",
    "GITLAB_TOKEN_HEADER",
    "sign_github",
    "verify_generic_signature",
    "verify_github_signature",
    "verify_gitlab_token",
]

GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256"
GITLAB_TOKEN_HEADER = "X-Gitlab-Token"  # noqa: S105 - a header name, not a secret
_PREFIX = "sha256="
_HEX_LEN = 64
_HEX_DIGITS = frozenset("0123456789abcdef")


def _require_secret(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise ValueError("a webhook secret must be a non-empty string")
    return secret.encode("utf-8")


def sign_github(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` value GitHub would send for ``body``: ``sha256=<64 hex digits>``."""
    digest = hmac.new(_require_secret(secret), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_github_signature(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``header`` is the HMAC-SHA256 of ``body`` under ``secret`` (GitHub's scheme).

    A missing header, another algorithm (``sha1=…``), a wrong length or non-hex digits are False, never an
    exception: the caller answers 401 without saying why.
    """
    key = _require_secret(secret)
    if header is None:
        return False
    candidate = header.strip()
    if candidate[: len(_PREFIX)].lower() != _PREFIX:
        return False
    hexpart = candidate[len(_PREFIX) :].lower()
    if len(hexpart) != _HEX_LEN or not all(c in _HEX_DIGITS for c in hexpart):
        return False
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    # Both operands are ASCII str of equal length; compare_digest does not short-circuit.
    return hmac.compare_digest(expected, hexpart)


def verify_generic_signature(body: bytes, header: str | None, secret: str) -> bool:
    """The generic webhook is signed exactly the GitHub way (same header, same HMAC)."""
    return verify_github_signature(body, header, secret)


def verify_gitlab_token(header: str | None, secret: str) -> bool:
    """True when GitLab's plain-text ``X-Gitlab-Token`` equals ``secret`` (constant-time comparison)."""
    key = _require_secret(secret)
    if header is None:
        return False
    # Compare digests, not the strings: equal lengths, so not even the secret's length leaks through timing.
    given = hashlib.sha256(header.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(given, hashlib.sha256(key).digest())
