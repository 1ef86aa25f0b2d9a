"""Digest polling maths: Accept types, token challenge and cache, digest, jitter and backoff, grouping."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.triggers import (
    MANIFEST_ACCEPT,
    BearerChallenge,
    PollPolicy,
    PollTarget,
    accept_header,
    backoff_delay,
    digest_from_response,
    manifest_url,
    next_poll_delay,
    parse_bearer_challenge,
    parse_token_response,
    poll_interval,
    poll_targets,
    rate_limit_remaining,
    token_cache_key,
    token_is_fresh,
    token_request,
    update_from_poll,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_all_four_manifest_types_are_accepted() -> None:
    assert set(MANIFEST_ACCEPT) == {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
    assert accept_header().count(",") == 3


def test_manifest_url_uses_docker_hubs_api_host() -> None:
    assert manifest_url(PollTarget.from_image("node:20")) == "https://registry-1.docker.io/v2/library/node/manifests/20"
    assert manifest_url(PollTarget.from_image("localhost:5000/base/x:1"), scheme="http") == (
        "http://localhost:5000/v2/base/x/manifests/1"
    )


def test_bearer_challenge() -> None:
    value = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull"'
    )
    challenge = parse_bearer_challenge(value)
    assert challenge == BearerChallenge(
        "https://auth.docker.io/token", "registry.docker.io", "repository:library/node:pull"
    )
    assert token_request(challenge) == (
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnode%3Apull"
    )
    assert token_cache_key(challenge) == (
        "https://auth.docker.io/token",
        "registry.docker.io",
        "repository:library/node:pull",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('bearer realm="https://r.example/t"', BearerChallenge("https://r.example/t", None, None)),
        (
            'Bearer realm="https://r.example/t?x=1", scope="a,b"',
            BearerChallenge("https://r.example/t?x=1", None, "a,b"),
        ),
        ("Bearer realm=https://r.example/t,service=reg", BearerChallenge("https://r.example/t", "reg", None)),
        ('Bearer realm="https://r.example/t",service="a\\"b"', BearerChallenge("https://r.example/t", 'a"b', None)),
        ('Basic realm="registry"', None),
        ("Bearer", None),
        ('Bearer service="x"', None),
        ('Bearer realm="ftp://x"', None),
        ('Bearer realm="https://x" garbage', None),
        (None, None),
        ("", None),
    ],
)
def test_challenge_variants(value: str | None, expected: BearerChallenge | None) -> None:
    assert parse_bearer_challenge(value) == expected


def test_token_request_with_scope_override_and_existing_query() -> None:
    challenge = BearerChallenge("https://r.example/t?x=1", "reg", None)
    assert (
        token_request(challenge, scope="repository:a:pull")
        == "https://r.example/t?x=1&service=reg&scope=repository%3Aa%3Apull"
    )
    assert token_request(BearerChallenge("https://r.example/t", None, None)) == "https://r.example/t"


def test_token_expiry_defaults_to_60_seconds() -> None:
    grant = parse_token_response({"token": "abc"}, NOW)
    assert grant.expires_at == NOW + timedelta(seconds=60)
    assert parse_token_response({"access_token": "x", "expires_in": 3600}, NOW).expires_at == NOW + timedelta(hours=1)
    assert parse_token_response({"token": "x", "expires_in": 0}, NOW).expires_at == NOW + timedelta(seconds=60)
    assert parse_token_response({"token": "x", "expires_in": True}, NOW).expires_at == NOW + timedelta(seconds=60)
    assert token_is_fresh(grant, NOW + timedelta(seconds=49))
    assert not token_is_fresh(grant, NOW + timedelta(seconds=50))
    with pytest.raises(ValueError, match="neither"):
        parse_token_response({"expires_in": 60}, NOW)


def test_digest_from_headers_or_body() -> None:
    assert digest_from_response({"docker-content-digest": " sha256:abc "}) == "sha256:abc"
    assert digest_from_response({}, b"{}") == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert digest_from_response({}) is None


def test_rate_limit_header() -> None:
    assert rate_limit_remaining({"RateLimit-Remaining": "76;w=21600"}) == 76
    assert rate_limit_remaining({"ratelimit-remaining": "x"}) is None
    assert rate_limit_remaining({}) is None


def test_default_interval_is_five_minutes_with_jitter() -> None:
    assert poll_interval(lambda: 0.5) == pytest.approx(300)
    assert poll_interval(lambda: 0.0) == pytest.approx(240)
    assert poll_interval(lambda: 0.999999) == pytest.approx(360, abs=0.01)


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    top = lambda: 0.999999  # noqa: E731
    assert [round(backoff_delay(n, top)) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_delay(100, top) == pytest.approx(3600, abs=0.01)
    assert backoff_delay(3, lambda: 0.0) == 1.0
    assert next_poll_delay(0, lambda: 0.5) == pytest.approx(300)
    assert next_poll_delay(2, top) == pytest.approx(60, abs=0.01)
    with pytest.raises(ValueError):
        backoff_delay(0, top)
    with pytest.raises(ValueError):
        poll_interval(lambda: 1.0)


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        PollPolicy(interval=0)
    with pytest.raises(ValueError):
        PollPolicy(jitter=1.0)
    with pytest.raises(ValueError):
        PollPolicy(max_backoff=1, base_backoff=30)


@given(st.integers(0, 10_000), st.integers(1, 60))
def test_delays_stay_within_bounds(seed: int, failures: int) -> None:
    rng = random.Random(seed).random
    policy = PollPolicy()
    assert 240 <= poll_interval(rng, policy) < 360
    assert policy.min_delay <= backoff_delay(failures, rng, policy) <= policy.max_backoff


def test_one_poll_per_distinct_image() -> None:
    targets = poll_targets(
        {
            "app": ["node:20", "registry.hub.docker.com/library/node:20", "debian:12"],
            "web": ["docker.io/library/node:20", "node@sha256:" + "a" * 64, "scratch"],
            "api": ["node:20@sha256:" + "b" * 64, "localhost:5000/base/x:1"],
        }
    )
    assert {t.image: sorted(tasks) for t, tasks in targets.items()} == {
        "localhost:5000/base/x:1": ["api"],
        "registry.hub.docker.com/library/debian:12": ["app"],
        "registry.hub.docker.com/library/node:20": ["app", "web"],
    }


def test_poll_answers_become_updates_only_when_the_tag_moved() -> None:
    target = PollTarget.from_image("node:20")
    assert update_from_poll(target, "sha256:1", "sha256:1") is None
    update = update_from_poll(target, "sha256:2", "sha256:1")
    assert update is not None and update.source == "poll"
    assert update.image == "registry.hub.docker.com/library/node:20"
    assert update.event_id == "poll:registry.hub.docker.com/library/node:20@sha256:2"
    assert update.cause.generation == 0 and update.cause.root_event_id == update.event_id
    first = update_from_poll(target, "sha256:2", None)
    assert first is not None and first.event_id == update.event_id
