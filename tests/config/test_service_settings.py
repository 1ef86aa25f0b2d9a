"""Service settings: file keys, environment overrides, and one-line errors that name where a value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.config import load_settings, parse_seconds, parse_size
from tasks_engine.config.service import KEYS, ServiceSettings, settings_table
from tasks_engine.errors import UsageError


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, "stateRoot: /srv/te\n"), environ={}).service
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.api_host == "127.0.0.1" and settings.api_port == 8080
    assert settings.log_retention == 30 * 86400 and settings.max_attempts == 2
    assert settings.blob_path == Path("/srv/te/blobs")
    assert settings.queue_for(None) == "runs" and settings.queue_for("gpu") == "runs.pool.gpu"


def test_file_then_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, "service:\n  leaseTtl: 2m\n  logMaxBytes: 1GiB\n  redisUrl: redis://a:1/0\n")
    settings = load_settings(path, environ={"TASKS_ENGINE_REDIS_URL": "rediss://b:2/1"}).service
    assert settings.lease_ttl == 120 and settings.log_max_bytes == 1 << 30
    assert settings.redis_url == "rediss://b:2/1"


@pytest.mark.parametrize(("text", "env", "needle"), [
    ("service: 3\n", {}, "service must be a mapping"),
    ("service: {bogus: 1}\n", {}, "unknown key(s) service.bogus"),
    ("service: {leaseTtl: soon}\n", {}, "service.leaseTtl: expected a duration"),
    ("service: {redisUrl: http://x}\n", {}, "service.redisUrl: expected a redis://"),
    ("service: {apiListen: 8080}\n", {}, "expected HOST:PORT"),
    ("", {"TASKS_ENGINE_API_LISTEN": "127.0.0.1:\u00b3"}, "expected HOST:PORT"),
    ("service: {leaseTtl: 10s, leaseRenew: 20s}\n", {}, "must be shorter than"),
    ("", {"TASKS_ENGINE_MAX_ATTEMPTS": "x"}, "environment variable TASKS_ENGINE_MAX_ATTEMPTS"),
    ("", {"TASKS_ENGINE_RUN_ID_PREFIX": "../x"}, "is not a plain name"),
    ("service: {apiProcesses: 0}\n", {}, "service.apiProcesses: must be at least 1"),
    ("", {"TASKS_ENGINE_API_PROCESSES": "two"}, "environment variable TASKS_ENGINE_API_PROCESSES"),
    ("service: {hostDockerLogins: perhaps}\n", {}, "service.hostDockerLogins"),
    ("", {"TASKS_ENGINE_HOST_DOCKER_LOGINS": "2"}, "environment variable TASKS_ENGINE_HOST_DOCKER_LOGINS"),
])
def test_errors_name_the_source(tmp_path: Path, text: str, env: dict[str, str], needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UsageError) as info:
        load_settings(path, environ=env)
    assert needle in str(info.value)


@given(st.integers(1, 10**6), st.sampled_from(["", "s", "m", "h", "d", "ms"]))
def test_durations(n: int, unit: str) -> None:
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "ms": 0.001}[unit]
    assert parse_seconds(f"{n}{unit}") == pytest.approx(n * factor)


@given(st.text(max_size=12))
def test_durations_reject_garbage_with_a_value_error(text: str) -> None:
    try:
        assert parse_seconds(text) > 0
    except ValueError as exc:
        assert str(exc)


@given(st.integers(1, 2**40), st.sampled_from(["", "B", "KiB", "MiB", "GiB"]))
def test_sizes(n: int, unit: str) -> None:
    factor = {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
    assert parse_size(f"{n}{unit}") == n * factor


def test_the_key_secret_is_never_in_the_repr() -> None:
    settings = ServiceSettings(encryption_key="very-secret-key")
    assert "very-secret-key" not in repr(settings)


def test_every_key_is_documented() -> None:
    rows = settings_table()
    assert len(rows) == len(KEYS)
    assert all(doc and env.startswith("TASKS_ENGINE_") for _, env, _, doc in rows)
    assert {f"service.{k.name}" for k in KEYS} == {r[0] for r in rows}


def test_missing_encryption_key_is_a_clear_error(tmp_path: Path) -> None:
    settings = ServiceSettings(state_root=tmp_path)
    with pytest.raises(UsageError, match="no encryption key"):
        settings.read_encryption_keys()
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "encryption.key").write_text("k1, k2\n")
    assert settings.read_encryption_keys() == ["k1", "k2"]


def test_docs_configuration_lists_every_key_as_the_code_has_it() -> None:
    from tasks_engine.config.service import settings_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_markdown() in doc, "docs/configuration.md is stale: paste settings_markdown() into it"
