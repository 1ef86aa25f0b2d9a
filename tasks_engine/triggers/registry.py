"""Registry notifications (docker/distribution's event envelope) → :class:`ImagePushed` values.

``POST /v1/webhooks/registry`` receives ``{"events": [...]}`` with media type
``application/vnd.docker.distribution.events.v1+json`` (registry 2.x) or ``…events.v2+json`` (3.x; same
shape, schema1 removed). Events in one envelope are unrelated. Only ``push`` of a *manifest or index that
carries a tag* can move a tag, so only those become :class:`ImagePushed`; layer pushes, pulls, mounts,
deletes and pushes by digest (the children of a multi-arch push) are returned as ignored with a reason.
A bare single event object (ACR's webhook shape) is accepted as a one-event envelope.

The registry host is ``request.host`` (the externally visible name clients pushed to) unless the endpoint is
configured with a registry name, which wins (a registry behind a proxy may see an internal host). Hosts and
repositories are normalised through :func:`tasks_engine.deps.imageref.parse_image_reference`, so the keys
equal the dependency index's (``docker.io`` → ``registry.hub.docker.com``, ``library/`` added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks_engine.deps.imageref import ImageReferenceError, parse_image_reference
from tasks_engine.triggers._payload import Fields, decode_json_object
from tasks_engine.triggers.cascade import ImageUpdate
from tasks_engine.triggers.errors import bad_request

__all__ = [
    "EVENTS_V1_MEDIA_TYPE",
    "EVENTS_V2_MEDIA_TYPE",
    "INDEX_MEDIA_TYPES",
    "MANIFEST_MEDIA_TYPES",
    "IgnoredRegistryEvent",
    "ImagePushed",
    "RegistryNotification",
    "parse_registry_notification",
    "update_from_push",
]

EVENTS_V1_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
EVENTS_V2_MEDIA_TYPE = "application/vnd.docker.distribution.events.v2+json"
_ACCEPTED_CONTENT_TYPES = frozenset({EVENTS_V1_MEDIA_TYPE, EVENTS_V2_MEDIA_TYPE, "application/json"})

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_MEDIA_TYPES = frozenset({
    OCI_MANIFEST,
    DOCKER_MANIFEST_V2,
    # schema1, still sent by registry 2.x
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
})
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")


@dataclass(frozen=True)
class ImagePushed:
    """A tag now points at ``digest``. ``image`` is the index key ``registry/repository:tag``."""

    registry: str
    repository: str
    tag: str
    digest: str
    media_type: str
    event_id: str

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"


@dataclass(frozen=True)
class IgnoredRegistryEvent:
    event_id: str
    action: str
    reason: str


@dataclass(frozen=True)
class RegistryNotification:
    pushed: tuple[ImagePushed, ...]
    ignored: tuple[IgnoredRegistryEvent, ...]


def parse_registry_notification(
    body: bytes, content_type: str | None = None, *, registry: str | None = None
) -> RegistryNotification:
    """Parse an envelope; a malformed body or foreign content type raises ``TriggerError`` (400).

    A well-formed envelope whose events are all ignored is not an error: the registry counts any 2xx as
    delivered and would otherwise back its queue up.
    """
    media = (content_type or "").split(";")[0].strip().lower()
    if media and media not in _ACCEPTED_CONTENT_TYPES:
        raise bad_request(
            f"registry notification: unsupported content type {media!r}; expected {EVENTS_V2_MEDIA_TYPE} or "
            f"{EVENTS_V1_MEDIA_TYPE}"
        )
    envelope = decode_json_object(body, "registry notification")
    if "events" in envelope.data:
        events = envelope.objects("events", required=True)
    elif "action" in envelope.data and "target" in envelope.data:
        events = [envelope]
    else:
        raise bad_request("registry notification: expected an envelope {\"events\": [...]}")
    pushed: list[ImagePushed] = []
    ignored: list[IgnoredRegistryEvent] = []
    for event in events:
        outcome = _event(event, registry)
        if isinstance(outcome, ImagePushed):
            pushed.append(outcome)
        else:
            ignored.append(outcome)
    return RegistryNotification(tuple(pushed), tuple(ignored))


def _event(event: Fields, configured_registry: str | None) -> ImagePushed | IgnoredRegistryEvent:
    event_id = event.nonempty("id")
    action = event.nonempty("action")
    if action != "push":
        return IgnoredRegistryEvent(event_id, action, f"{action} events do not move tags")
    target = event.obj("target")
    media_type = (target.opt_text("mediaType") or "").strip()
    if media_type not in MANIFEST_MEDIA_TYPES and media_type not in INDEX_MEDIA_TYPES:
        what = media_type or "an unknown media type"
        return IgnoredRegistryEvent(event_id, action, f"push of {what} is not a manifest")
    tag = (target.opt_text("tag") or "").strip()
    if not tag:
        return IgnoredRegistryEvent(event_id, action, "manifest pushed by digest (no tag)")
    digest = target.nonempty("digest")
    if not _DIGEST_RE.fullmatch(digest):
        raise bad_request(f"{target.path('digest')}: {digest[:100]!r} is not a content digest")
    repository = target.nonempty("repository")
    host = (configured_registry or "").strip()
    if not host:
        request = event.opt_obj("request")
        host = ((request.opt_text("host") if request is not None else None) or "").strip()
    if not host:
        raise bad_request(f"{event.where}: no request.host and no registry name configured for this endpoint")
    host = host.lower()
    if "." not in host and ":" not in host and host != "localhost":
        raise bad_request(
            f"registry host {host!r} is not a registry domain (no '.' or port); configure the endpoint's registry name"
        )
    try:
        ref = parse_image_reference(f"{host}/{repository}:{tag}")
    except ImageReferenceError as exc:
        raise bad_request(f"{target.path('repository')}: {exc.reason} ({host}/{repository}:{tag})") from exc
    return ImagePushed(ref.registry, ref.repository, ref.tag, digest, media_type, event_id)


def update_from_push(pushed: ImagePushed) -> ImageUpdate:
    """A registry push as a cascade input: a new chain rooted at the registry's event id. (A push by one of
    our runs is announced earlier by :func:`~tasks_engine.triggers.cascade.finish_run`; this later sighting of
    the same digest is then a ``duplicate``.)"""
    return ImageUpdate.external(pushed.image, pushed.digest, f"registry:{pushed.event_id}", source="registry")
