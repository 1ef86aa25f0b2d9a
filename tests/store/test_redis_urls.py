"""One Redis URL, parsed once, for the store's clients and for Celery's broker (``workers/config.py``)."""

from __future__ import annotations

import ssl

import pytest

from tasks_engine.errors import PermanentError
from tasks_engine.store.connect import parse_redis_url, translate


def test_plain_url() -> None:
    t = parse_redis_url("redis://:s3cret@10.0.0.5:6380/3")
    assert (t.scheme, t.hosts, t.db, t.password, t.tls) == ("redis", (("10.0.0.5", 6380),), 3, "s3cret", None)


def test_tls_url_verifies_by_default_and_reads_the_files() -> None:
    t = parse_redis_url("rediss://user:pw@redis.example:6390/1?ssl_ca_certs=/ca.pem&ssl_certfile=/c.pem"
                        "&ssl_keyfile=/c.key")
    assert t.username == "user" and t.password == "pw" and t.db == 1
    assert t.tls == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/ca.pem", "ssl_certfile": "/c.pem",
                     "ssl_keyfile": "/c.key", "ssl_check_hostname": True}
    assert t.options == {}


@pytest.mark.parametrize(("query", "mode", "check"), [
    ("ssl_cert_reqs=none", ssl.CERT_NONE, False),
    ("ssl_cert_reqs=CERT_OPTIONAL", ssl.CERT_OPTIONAL, False),
    ("ssl_cert_reqs=required&ssl_check_hostname=false", ssl.CERT_REQUIRED, False),
])
def test_tls_verification_can_be_relaxed_explicitly(query: str, mode: ssl.VerifyMode, check: bool) -> None:
    tls = parse_redis_url(f"rediss://h:6379/0?{query}").tls
    assert tls is not None and tls["ssl_cert_reqs"] == mode and tls["ssl_check_hostname"] is check


def test_sentinel_url_lists_every_sentinel_with_the_service_and_passwords() -> None:
    t = parse_redis_url("sentinel://:primarypw@s1:26379,s2,[::1]:26380/te-primary/2?sentinel_password=spw")
    assert t.sentinel and t.hosts == (("s1", 26379), ("s2", 26379), ("::1", 26380))
    assert (t.service, t.db, t.password, t.sentinel_password, t.tls) == ("te-primary", 2, "primarypw", "spw", None)
    assert parse_redis_url("sentinels://s1/te/0?ssl_ca_certs=/ca.pem").tls == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/ca.pem", "ssl_check_hostname": True}


def test_unix_url() -> None:
    t = parse_redis_url("unix:///run/redis/redis.sock?db=4")
    assert (t.scheme, t.path, t.db) == ("unix", "/run/redis/redis.sock", 4)


@pytest.mark.parametrize(("url", "message"), [
    ("sentinel://s1:26379", "needs the service name"),
    ("sentinel://s1:26379/svc/x", "database must be a number"),
    ("redis://h:port/0", "not host:port"),
    ("rediss://:pw@h/0?ssl_cert_reqs=maybe", "ssl_cert_reqs must be"),
    ("memcached://h", "expected redis://"),
])
def test_malformed_urls_say_what_is_wrong_without_the_password(url: str, message: str) -> None:
    with pytest.raises(PermanentError, match=message) as info:
        parse_redis_url(url)
    assert "pw@" not in str(info.value)


def test_a_primary_without_replicas_refusing_writes_is_transient() -> None:
    import redis.exceptions

    from tasks_engine.errors import TransientError

    exc = redis.exceptions.ResponseError("NOREPLICAS Not enough good replicas to write.")
    assert isinstance(translate(exc), TransientError)
