"""The pure half of base-image digest polling, for registries that cannot notify (Docker Hub, MCR …).

The worker that polls does the HTTP; everything it decides is here, as functions of values:

* :data:`MANIFEST_ACCEPT` — all four manifest media types. Leaving one out changes the answer: a registry
  asked for a manifest list without accepting lists rewrites the answer to the linux/amd64 child and returns
  *its* digest; an OCI index not accepted is ``MANIFEST_UNKNOWN`` (service-spec §4.5).
* :func:`manifest_url` — ``HEAD https://<host>/v2/<repository>/manifests/<tag>``; Docker Hub's API host is
  ``registry-1.docker.io`` although images are named ``registry.hub.docker.com`` / ``docker.io``.
* :func:`parse_bearer_challenge` / :func:`token_request` / :func:`parse_token_response` /
  :func:`token_is_fresh` — the registry token flow (``WWW-Authenticate: Bearer realm=…,service=…,scope=…``;
  ``expires_in`` defaults to 60 s; a token is cached per (realm, service, scope)).
* :func:`digest_from_response` — ``Docker-Content-Digest``, else ``sha256:`` of the manifest bytes.
* :func:`poll_interval`, :func:`backoff_delay`, :func:`next_poll_delay` — jittered interval (default
  5 min ± 20 %) and full-jitter exponential backoff after errors (capped), from an injected ``random()``.
* :func:`poll_targets` — one poll per distinct ``registry/repository:tag`` however many tasks use it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from tasks_engine.deps.imageref import DOCKER_HUB_REGISTRY, parse_image_reference
from tasks_engine.triggers._payload import header
from tasks_engine.triggers.cascade import ImageUpdate
from tasks_engine.triggers.registry import DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, OCI_INDEX, OCI_MANIFEST

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TOKEN_TTL",
    "MANIFEST_ACCEPT",
    "BearerChallenge",
    "PollPolicy",
    "PollTarget",
    "TokenGrant",
    "accept_header",
    "backoff_delay",
    "digest_from_response",
    "manifest_url",
    "next_poll_delay",
    "parse_bearer_challenge",
    "parse_token_response",
    "poll_interval",
    "poll_targets",
    "rate_limit_remaining",
    "token_cache_key",
    "token_is_fresh",
    "token_request",
    "update_from_poll",
]

MANIFEST_ACCEPT: tuple[str, ...] = (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST_V2)
DEFAULT_POLL_INTERVAL = 300.0
DEFAULT_TOKEN_TTL = 60
_HUB_API_HOST = "registry-1.docker.io"
Random = Callable[[], float]
"""A source of floats in [0, 1), e.g. ``random.Random(seed).random``; injected so tests are exact."""


def accept_header() -> str:
    return ", ".join(MANIFEST_ACCEPT)


@dataclass(frozen=True, order=True)
class PollTarget:
    """One image tag to poll; ``image`` is the index key."""

    registry: str
    repository: str
    tag: str

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"

    @classmethod
    def from_image(cls, image: str) -> PollTarget:
        ref = parse_image_reference(image)
        return cls(ref.registry, ref.repository, ref.tag)


def manifest_url(target: PollTarget, *, scheme: str = "https") -> str:
    """The manifest URL to ``HEAD``; ``scheme="http"`` only for registries configured as insecure."""
    host = _HUB_API_HOST if target.registry == DOCKER_HUB_REGISTRY else target.registry
    return f"{scheme}://{host}/v2/{target.repository}/manifests/{target.tag}"


@dataclass(frozen=True)
class BearerChallenge:
    realm: str
    service: str | None
    scope: str | None


_PARAM_RE = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')


def parse_bearer_challenge(value: str | None) -> BearerChallenge | None:
    """``Bearer realm="…",service="…",scope="…"`` → challenge; None for ``Basic``, absent or unparsable."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM_RE.match(rest, pos)
        if m is None or m.end() == pos:
            return None
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw)
        pos = m.end()
    realm = params.get("realm", "")
    if not realm.lower().startswith(("https://", "http://")):
        return None
    return BearerChallenge(realm, params.get("service"), params.get("scope"))


def token_request(challenge: BearerChallenge, *, scope: str | None = None) -> str:
    """``GET <realm>?service=…&scope=…``; ``scope`` overrides the challenge's (e.g. ``repository:x:pull``)."""
    query = [(k, v) for k, v in (("service", challenge.service), ("scope", scope or challenge.scope)) if v]
    if not query:
        return challenge.realm
    sep = "&" if "?" in challenge.realm else "?"
    return f"{challenge.realm}{sep}{urlencode(query)}"


def token_cache_key(challenge: BearerChallenge, *, scope: str | None = None) -> tuple[str, str, str]:
    return (challenge.realm, challenge.service or "", scope or challenge.scope or "")


@dataclass(frozen=True)
class TokenGrant:
    token: str
    expires_at: datetime


def parse_token_response(data: Mapping[str, object], now: datetime) -> TokenGrant:
    """The token endpoint's JSON → grant. ``token`` or ``access_token``; ``expires_in`` defaults to 60 s and
    counts from ``now`` (a registry's ``issued_at`` is its clock, not ours). Raises ``ValueError``."""
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ValueError("token response has neither 'token' nor 'access_token'")
    ttl = data.get("expires_in")
    seconds = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl > 0 else DEFAULT_TOKEN_TTL
    return TokenGrant(token, now + timedelta(seconds=seconds))


def token_is_fresh(grant: TokenGrant, now: datetime, *, margin: float = 10.0) -> bool:
    """Use a cached token only while it has more than ``margin`` seconds left (requests take time)."""
    return now + timedelta(seconds=margin) < grant.expires_at


def digest_from_response(headers: Mapping[str, str], body: bytes | None = None) -> str | None:
    """The manifest digest of a ``HEAD``/``GET`` answer; None when neither header nor body gives one."""
    value = (header(headers, "Docker-Content-Digest") or "").strip()
    if value:
        return value
    if body:
        return "sha256:" + hashlib.sha256(body).hexdigest()
    return None


def rate_limit_remaining(headers: Mapping[str, str]) -> int | None:
    """Docker Hub's ``ratelimit-remaining: 76;w=21600`` → 76 (None when absent or unreadable)."""
    value = header(headers, "ratelimit-remaining")
    if not value:
        return None
    head = value.split(";")[0].strip()
    return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class PollPolicy:
    """``interval`` ± ``jitter`` (fraction) between polls; after ``n`` consecutive errors the delay is
    ``min(cap, base_backoff · 2^(n-1))`` with full jitter, never below ``min_delay``."""

    interval: float = DEFAULT_POLL_INTERVAL
    jitter: float = 0.2
    base_backoff: float = 30.0
    max_backoff: float = 3600.0
    min_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.interval <= 0 or not 0 <= self.jitter < 1 or self.base_backoff <= 0:
            raise ValueError("poll interval and backoff must be positive and jitter in [0, 1)")
        if self.max_backoff < self.base_backoff or self.min_delay <= 0:
            raise ValueError("max_backoff must be ≥ base_backoff and min_delay positive")


def poll_interval(random: Random, policy: PollPolicy = PollPolicy()) -> float:
    """A jittered interval in ``[interval·(1-jitter), interval·(1+jitter))``: pollers started together drift
    apart instead of hitting a registry at once."""
    spread = policy.interval * policy.jitter
    return float(max(policy.min_delay, policy.interval - spread + 2 * spread * _unit(random)))


def backoff_delay(attempt: int, random: Random, policy: PollPolicy = PollPolicy()) -> float:
    """Delay after the ``attempt``-th consecutive failure (1-based): full jitter over the capped exponential."""
    if attempt < 1:
        raise ValueError("attempt counts failures from 1")
    ceiling = min(policy.max_backoff, policy.base_backoff * 2 ** min(attempt - 1, 62))
    return float(max(policy.min_delay, ceiling * _unit(random)))


def next_poll_delay(consecutive_failures: int, random: Random, policy: PollPolicy = PollPolicy()) -> float:
    """Seconds until the next poll of a target: the jittered interval, or backoff while it keeps failing."""
    if consecutive_failures <= 0:
        return poll_interval(random, policy)
    return backoff_delay(consecutive_failures, random, policy)


def _unit(random: Random) -> float:
    value = random()
    if not 0.0 <= value < 1.0:
        raise ValueError(f"random() must return a float in [0, 1), got {value!r}")
    return value


def poll_targets(images_by_task: Mapping[str, Iterable[str]]) -> dict[PollTarget, frozenset[str]]:
    """``{task: base images}`` → ``{target: tasks}``: each distinct tag is polled once for all its users.

    Digest-pinned references (``x@sha256:…``) are skipped: a pinned base never moves.
    """
    grouped: dict[PollTarget, set[str]] = {}
    for task, images in images_by_task.items():
        for image in images:
            ref = parse_image_reference(image)
            if ref.digest or not ref.tag or ref.is_scratch:
                continue
            grouped.setdefault(PollTarget(ref.registry, ref.repository, ref.tag), set()).add(task)
    return {target: frozenset(tasks) for target, tasks in sorted(grouped.items())}


def update_from_poll(target: PollTarget, digest: str, previous: str | None) -> ImageUpdate | None:
    """A poll's answer as a cascade input, or None when the tag did not move since the previous poll. The
    first poll (``previous`` None) is an update too: the dependants' ``unchanged`` rule then compares it with
    the digest each was built on, so a change made while nothing polled is not lost. The event id names the
    digest, so two pollers that see the same change give one chain."""
    if previous is not None and digest == previous:
        return None
    return ImageUpdate.external(target.image, digest, f"poll:{target.image}@{digest}", source="poll")
