"""Celery's broker settings come from the store's Redis URL, so both reach the same server the same way."""

from __future__ import annotations

import ssl

from workers.config import broker_settings


def test_plain_url_is_kept() -> None:
    assert broker_settings("redis://:pw@127.0.0.1:6379/0") == {
        "broker_url": "redis://:pw@127.0.0.1:6379/0", "broker_use_ssl": False, "transport": {}}


def test_tls_url_verifies_like_the_store() -> None:
    broker = broker_settings("rediss://127.0.0.1:6390/1?ssl_ca_certs=/ca.pem&ssl_certfile=/c.crt&ssl_keyfile=/c.key")
    assert broker["broker_url"] == "rediss://127.0.0.1:6390/1"  # the ssl_* options travel in broker_use_ssl
    assert broker["broker_use_ssl"] == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/ca.pem",
                                        "ssl_certfile": "/c.crt", "ssl_keyfile": "/c.key",
                                        "ssl_check_hostname": True}


def test_sentinel_url_becomes_a_kombu_failover_list_with_master_name() -> None:
    broker = broker_settings("sentinel://:p%40w@s1:26379,s2:26380/te-primary/2?sentinel_password=spw")
    assert broker["broker_url"] == "sentinel://:p%40w@s1:26379/2;sentinel://:p%40w@s2:26380/2"
    assert broker["transport"] == {"master_name": "te-primary", "sentinel_kwargs": {"password": "spw"}}
    assert broker["broker_use_ssl"] is False


def test_tls_sentinels_use_tls_to_the_sentinels_and_the_primary() -> None:
    broker = broker_settings("sentinels://s1/te/0?ssl_ca_certs=/ca.pem")
    tls = {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/ca.pem", "ssl_check_hostname": True}
    assert broker["broker_use_ssl"] == tls
    assert broker["transport"]["sentinel_kwargs"] == {"ssl": True, **tls}


def test_unix_socket_becomes_kombu_redis_socket() -> None:
    assert broker_settings("unix:///run/redis.sock?db=3")["broker_url"] == "redis+socket:///run/redis.sock?virtual_host=3"


def test_kombu_reads_the_sentinel_form_back() -> None:
    from kombu import Connection

    broker = broker_settings("sentinel://s1:26379,s2:26380/te/0")
    conn = Connection(broker["broker_url"], transport_options=broker["transport"])
    assert conn.transport_cls == "sentinel"
    assert conn.alt == ["sentinel://s1:26379/0", "sentinel://s2:26380/0"]
