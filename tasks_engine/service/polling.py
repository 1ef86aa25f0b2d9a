"""Digest polling for registries that cannot notify (``service.pollRegistries``): the I/O half.

What to poll and when is the pure core's (``tasks_engine.triggers.polling``); this module does the HTTP:

* one poll per distinct ``registry/repository:tag`` among the tracked bases of triggerable tasks
  (``poll_targets``), only for the configured registries;
* ``HEAD /v2/<repository>/manifests/<tag>`` with all four manifest types in ``Accept`` (leaving one out
  changes the digest a registry answers), ``Docker-Content-Digest`` compared with the last one seen;
* registry token auth: a ``401`` with ``WWW-Authenticate: Bearer realm=…,service=…,scope=…`` is answered by
  asking the realm for a token (Basic auth with the engine's ``registries`` credentials for that registry,
  if any), cached per (realm, service, scope) until shortly before it expires;
* the next poll is the jittered interval (default 5 min ± 20 %), or exponential backoff with full jitter
  after consecutive failures; a ``429`` counts as ``rate_limited``;
* state per target (last digest, consecutive failures, next poll time) lives in the store, so a new leader
  continues where the last one stopped. The first answer for a target is an update too: the cascade's
  ``unchanged`` rule compares it with what each dependant was built on.

The poller runs in the worker main processes (``workers/bootsteps.py``), one leader at a time under a lock, so
busy pool slots never delay it. Requests go through the engine's egress policy (no cloud metadata address).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tasks_engine.credentials import RegistryCredential
from tasks_engine.egress import EgressPolicy, EgressRefused, open_url
from tasks_engine.service.cascading import CascadeEngine
from tasks_engine.service.depindex import IndexReader, record_sightings
from tasks_engine.store import RedisStore
from tasks_engine.triggers import (
    BearerChallenge,
    ImageUpdate,
    PollPolicy,
    PollTarget,
    TokenGrant,
    accept_header,
    digest_from_response,
    manifest_url,
    next_poll_delay,
    parse_bearer_challenge,
    parse_token_response,
    poll_targets,
    rate_limit_remaining,
    token_cache_key,
    token_is_fresh,
    token_request,
    update_from_poll,
)

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolledRegistry:
    """``host[:port]`` polled over https, or ``http://host:port`` for a registry served without TLS."""

    host: str
    scheme: str = "https"

    @classmethod
    def parse(cls, text: str) -> PolledRegistry:
        value = text.strip().rstrip("/")
        if value.startswith("http://"):
            return cls(value[len("http://"):].lower(), "http")
        return cls(value.removeprefix("https://").lower(), "https")

    def serves(self, registry: str) -> bool:
        hub = {"docker.io", "registry.hub.docker.com", "index.docker.io", "registry-1.docker.io"}
        return registry.lower() == self.host or (registry in hub and self.host in hub)


class PollError(Exception):
    def __init__(self, message: str, *, rate_limited: bool = False) -> None:
        self.rate_limited = rate_limited
        super().__init__(message)


class Poller:
    def __init__(self, store: RedisStore, index: IndexReader, cascade: CascadeEngine,
                 registries: Sequence[PolledRegistry], *, policy: PollPolicy | None = None,
                 egress: EgressPolicy, credentials: Sequence[RegistryCredential] = (), timeout: float = 10.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 rand: Callable[[], float] = random.random) -> None:
        self.store = store
        self.index = index
        self.cascade = cascade
        self.registries = list(registries)
        self.policy = policy or PollPolicy()
        self.egress = egress
        self.credentials = list(credentials)
        self.timeout = timeout
        self.clock = clock
        self.rand = rand
        self._tokens: dict[tuple[str, str, str], TokenGrant] = {}
        self._challenges: dict[tuple[str, str], BearerChallenge] = {}
        self._lock = threading.Lock()

    def _registry(self, target: PollTarget) -> PolledRegistry | None:
        return next((r for r in self.registries if r.serves(target.registry)), None)

    def targets(self) -> dict[PollTarget, frozenset[str]]:
        return {t: tasks for t, tasks in poll_targets(self.index.index().base_images()).items()
                if self._registry(t) is not None}

    def tick(self) -> list[ImageUpdate]:
        """Poll every target whose time has come; feed the changes to the cascade."""
        if not self.registries:
            return []
        targets = self.targets()
        if not targets:
            return []
        now = self.clock()
        states = self.store.poll_states([t.image for t in targets])
        updates: list[ImageUpdate] = []
        for target in sorted(targets):
            state = states.get(target.image, {})
            due = float(state.get("next") or 0)
            if due > now.timestamp():
                continue
            updates += self._poll(target, state, now)
        if updates:
            self.cascade.on_updates(updates)
        return updates

    def _poll(self, target: PollTarget, state: Mapping[str, str], now: datetime) -> list[ImageUpdate]:
        registry = self._registry(target)
        assert registry is not None
        previous = state.get("digest") or None
        failures = int(state.get("failures") or 0)
        try:
            digest = self.head(target, registry)
        except PollError as exc:
            failures += 1
            result = "rate_limited" if exc.rate_limited else "error"
            _LOG.warning("poll %s failed (%d in a row): %s", target.image, failures, exc)
            self._save(target, now, failures, previous, state)
            self.store.count("base_image_checks", (target.registry, result))
            return []
        update = update_from_poll(target, digest, previous)
        self.store.count("base_image_checks", (target.registry, "changed" if update else "unchanged"))
        record_sightings(self.store, [(target.image, digest, "poll")])
        self._save(target, now, 0, digest, state)
        return [update] if update is not None else []

    def _save(self, target: PollTarget, now: datetime, failures: int, digest: str | None,
              state: Mapping[str, str]) -> None:
        delay = next_poll_delay(failures, self.rand, self.policy)
        self.store.set_poll_state(target.image, {
            "digest": digest or "", "failures": str(failures),
            "next": f"{(now + timedelta(seconds=delay)).timestamp():.3f}",
            "checked": now.isoformat(), "checks": str(int(state.get("checks") or 0) + 1),
        })

    # -- HTTP ------------------------------------------------------------------------------------------------

    def head(self, target: PollTarget, registry: PolledRegistry) -> str:
        url = manifest_url(target, scheme=registry.scheme)
        wanted = {"Accept": accept_header()}
        known = self._challenges.get((target.registry, target.repository))
        cached = self._cached_token(known, target) if known is not None else None
        if cached is not None:  # a fresh token from an earlier poll: no 401 round trip
            wanted["Authorization"] = f"Bearer {cached}"
        status, headers = self._request(url, method="HEAD", headers=wanted)
        if status == 401:
            challenge = parse_bearer_challenge(headers.get("www-authenticate"))
            if challenge is None:
                raise PollError(f"401 from {url} without a Bearer challenge")
            with self._lock:
                self._challenges[(target.registry, target.repository)] = challenge
            token = self._token(challenge, target, registry)
            status, headers = self._request(url, method="HEAD", headers={"Accept": accept_header(),
                                                                         "Authorization": f"Bearer {token}"})
        if status == 429:
            raise PollError(f"rate limited by {target.registry} (remaining: {rate_limit_remaining(headers)})",
                            rate_limited=True)
        if status != 200:
            raise PollError(f"HEAD {url}: HTTP {status}")
        digest = digest_from_response(headers)
        if digest is None:  # a registry that omits the header: hash the exact manifest bytes
            status, headers, body = self._get(url, headers={"Accept": accept_header()})
            digest = digest_from_response(headers, body)
        if not digest:
            raise PollError(f"{url}: no manifest digest in the answer")
        return digest

    def _cached_token(self, challenge: BearerChallenge, target: PollTarget) -> str | None:
        key = token_cache_key(challenge, scope=f"repository:{target.repository}:pull")
        with self._lock:
            grant = self._tokens.get(key)
        return grant.token if grant is not None and token_is_fresh(grant, self.clock()) else None

    def _token(self, challenge: BearerChallenge, target: PollTarget, registry: PolledRegistry) -> str:
        scope = f"repository:{target.repository}:pull"
        key = token_cache_key(challenge, scope=scope)
        now = self.clock()
        cached = self._cached_token(challenge, target)
        if cached is not None:
            return cached
        headers = {}
        cred = next((c for c in self.credentials if registry.serves(c.registry)), None)
        if cred is not None:
            pair = base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {pair}"
        status, _, body = self._get(token_request(challenge, scope=scope), headers=headers)
        if status != 200:
            raise PollError(f"token endpoint {challenge.realm}: HTTP {status}")
        try:
            data: Any = json.loads(body)
            grant = parse_token_response(data if isinstance(data, dict) else {}, now)
        except ValueError as exc:
            raise PollError(f"token endpoint {challenge.realm}: {exc}") from exc
        with self._lock:
            self._tokens[key] = grant
        return grant.token

    def _request(self, url: str, *, method: str, headers: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        status, out, _ = self._open(url, method=method, headers=headers, read=False)
        return status, out

    def _get(self, url: str, *, headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self._open(url, method="GET", headers=headers, read=True)

    def _open(self, url: str, *, method: str, headers: Mapping[str, str], read: bool
              ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, method=method,  # noqa: S310 - a configured registry's URL
                                         headers={"User-Agent": "tasks-engine-poller", **headers})
        try:
            with open_url(request, policy=self.egress, timeout=self.timeout) as response:
                body = response.read(4 << 20) if read else b""
                info = getattr(response, "headers", {})
                return int(getattr(response, "status", 200)), {k.lower(): v for k, v in info.items()}, body
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, b""
        except (OSError, ValueError, EgressRefused) as exc:  # refused, timed out, DNS, egress policy
            raise PollError(f"{method} {url}: {getattr(exc, 'reason', exc)}") from exc
