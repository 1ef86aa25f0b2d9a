"""The generic webhook: any system that can sign a small JSON body the GitHub way can start runs.

``POST /v1/webhooks/generic`` with ``Content-Type: application/json`` and
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`` (:func:`.signatures.sign_github`)::

    {"repositoryUrl": "https://git.example.com/org/repo.git",
     "branch": "main",
     "commit": "0f98877a…(40 or 64 hex digits)",
     "changedPaths": ["services/api/main.py"],          (optional; omitted = unknown = filters match)
     "deliveryId": "build-4711",                          (optional replay key)
     "sender": "ci-bot"}                                  (optional, recorded only)

``branch`` is a branch name (``refs/heads/`` is accepted and stripped); a tag is sent as
``"branch": "refs/tags/v1.2"``. Unknown keys are refused so that a typo (``changed_paths``) is an error,
not a filter that silently matches everything. Without ``deliveryId`` the replay key is
``sha256:<hex of the body>``: re-sending the very same body is a duplicate, which is what a replay is.
:data:`GENERIC_WEBHOOK_SCHEMA` is the JSON Schema of this body (also for the API docs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from tasks_engine.triggers._payload import decode_json_object
from tasks_engine.triggers.errors import bad_request
from tasks_engine.triggers.events import EventKind, Provider, SourceEvent, repository_urls

__all__ = ["GENERIC_WEBHOOK_SCHEMA", "parse_generic"]

_MAX_PATHS = 10_000
_KNOWN_KEYS = frozenset({"repositoryUrl", "branch", "commit", "changedPaths", "deliveryId", "sender"})

GENERIC_WEBHOOK_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://tasks-engine.dev/schemas/generic-webhook.json",
    "title": "Tasks Engine generic webhook",
    "type": "object",
    "required": ["repositoryUrl", "branch", "commit"],
    "additionalProperties": False,
    "properties": {
        "repositoryUrl": {"type": "string", "minLength": 1, "description": "https, ssh or scp-like git URL"},
        "branch": {"type": "string", "minLength": 1, "description": "branch name, or refs/tags/<tag>"},
        "commit": {"type": "string", "pattern": "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"},
        "changedPaths": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": _MAX_PATHS},
        "deliveryId": {"type": "string", "minLength": 1, "maxLength": 200},
        "sender": {"type": "string", "maxLength": 200},
    },
}


def parse_generic(headers: Mapping[str, str], body: bytes) -> SourceEvent:
    """Parse a generic delivery (``headers`` are unused today; kept for symmetry with the forges)."""
    payload = decode_json_object(body, "generic webhook")
    unknown = sorted(set(payload.data) - _KNOWN_KEYS)
    if unknown:
        raise bad_request(f"generic webhook: unknown field(s) {', '.join(unknown)}; allowed: {sorted(_KNOWN_KEYS)}")
    url = payload.nonempty("repositoryUrl")
    key, keys = repository_urls(url, where="repositoryUrl")
    branch = payload.nonempty("branch")
    tag: str | None = None
    if branch.startswith("refs/tags/"):
        tag, branch = branch[len("refs/tags/") :], ""
        if not tag:
            raise bad_request("branch: empty tag name")
    elif branch.startswith("refs/heads/"):
        branch = branch[len("refs/heads/") :]
        if not branch:
            raise bad_request("branch: empty branch name")
    paths: tuple[str, ...] | None = None
    if "changedPaths" in payload.data:
        raw = payload.strings("changedPaths")
        if len(raw) > _MAX_PATHS:
            raise bad_request(f"changedPaths: at most {_MAX_PATHS} entries")
        if any(not p.strip() for p in raw):
            raise bad_request("changedPaths: entries must not be empty")
        paths = tuple(sorted({p.strip().lstrip("/") for p in raw}))
    delivery = payload.opt_text("deliveryId")
    if delivery is not None and not delivery.strip():
        raise bad_request("deliveryId: must not be empty")
    if delivery is None:
        delivery = "sha256:" + hashlib.sha256(bytes(body)).hexdigest()
    return SourceEvent(
        provider=Provider.GENERIC,
        kind=EventKind.COMMIT,
        event_name="push",
        delivery_id=delivery.strip(),
        repository_url=key,
        repository_urls=keys,
        clone_url=url,
        ref=f"refs/tags/{tag}" if tag is not None else f"refs/heads/{branch}",
        branch=branch,
        commit=payload.sha("commit"),
        changed_paths=paths,
        is_tag=tag is not None,
        tag=tag,
        sender=payload.opt_text("sender") or "",
    )
