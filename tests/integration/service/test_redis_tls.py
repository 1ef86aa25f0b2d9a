"""Redis over TLS (``rediss://``) for the store and Celery alike: a TLS-only ``redis-server`` that requires
client certificates, certificates made by openssl for this test, and a run from the CLI through the API and a
worker; and the other half of the promise, that both sides verify the server (kombu alone would not)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from cli_support import FINAL_OK, cli, cli_env
from redis_ha_support import TlsRedisServer, custom_stack, make_certificates, need

pytestmark = pytest.mark.integration


def test_store_workers_api_and_log_follow_all_run_over_tls(tmp_path: Path, registry: str, base_image: str,
                                                           docker_client: Any) -> None:
    need("redis-server", "openssl")
    certs = make_certificates(tmp_path / "pki")
    with custom_stack(registry, TlsRedisServer(tmp_path / "redis", certs)) as stack:
        assert stack.redis.url.startswith("rediss://")
        stack.start_api()
        stack.start_worker("tls1")
        result = cli(stack, "run", "--cmd", f"{base_image} echo over tls", "/dev/null", env=cli_env(stack))
        assert result.rc == 0, result.describe() + "".join(p.text()[-3000:] for p in stack.processes)
        assert "over tls" in result.out and FINAL_OK in result.out
        assert "Defaulting to insecure SSL" not in "".join(p.text() for p in stack.processes)


def test_a_server_certificate_from_another_ca_is_refused_by_the_store_and_the_broker(
        tmp_path: Path, registry: str) -> None:
    from kombu import Connection

    from tasks_engine.errors import TransientError
    from tasks_engine.store import connect
    from tasks_engine.store.connect import redis_errors
    from workers.config import broker_settings

    need("redis-server", "openssl")
    certs = make_certificates(tmp_path / "pki")
    other = make_certificates(tmp_path / "other", ca_name="someone else")
    server = TlsRedisServer(tmp_path / "redis", certs)
    server.start()
    try:
        good = server.url
        assert connect(good).ping()
        broker = broker_settings(good)
        with Connection(broker["broker_url"], ssl=broker["broker_use_ssl"], connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
        bad = good.replace(str(certs.ca), str(other.ca))
        with pytest.raises(TransientError, match="certificate verify failed"), redis_errors():
            connect(bad).ping()
        broker = broker_settings(bad)
        assert broker["broker_use_ssl"]["ssl_cert_reqs"] == ssl.CERT_REQUIRED
        with Connection(broker["broker_url"], ssl=broker["broker_use_ssl"], connect_timeout=5) as conn, \
                pytest.raises(Exception, match="certificate verify failed"):
            conn.ensure_connection(max_retries=1)
    finally:
        server.stop()
