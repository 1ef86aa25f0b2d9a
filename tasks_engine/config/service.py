"""Service settings: the ``service:`` section of the configuration file, overridden by environment variables.

Why a table: every key is declared once with its type, default, environment variable and meaning, and the
same table renders ``docs/configuration.md`` (``tasks-engine config keys``), so the documented keys cannot
drift from the ones the code reads. Environment variables win over the file because containers and
``scripts/service.sh`` configure processes that way.

Durations accept ``30s``, ``5m``, ``2h``, ``30d`` or a number of seconds; sizes ``512MiB``, ``1GiB``, ``64KiB``
or a number of bytes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tasks_engine.config.filedata import ConfigData
from tasks_engine.errors import UsageError

_DURATION = re.compile(r"(?P<n>[0-9]+(?:\.[0-9]+)?)(?P<unit>ms|s|m|h|d)?", re.ASCII)
_SIZE = re.compile(r"(?P<n>[0-9]+)(?P<unit>B|KiB|MiB|GiB|KB|MB|GB)?", re.ASCII)
_DURATION_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1000, "MB": 10**6,
               "GB": 10**9}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", re.ASCII)


def parse_seconds(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 2h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.fullmatch(str(value).strip())
        if not match:
            raise ValueError(f"expected a duration such as 30s, 5m or 2h, got {value!r}")
        seconds = float(match["n"]) * _DURATION_UNITS[match["unit"]]
    if seconds <= 0:
        raise ValueError("must be greater than zero")
    return seconds


def parse_size(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a size such as 64MiB")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.fullmatch(str(value).strip())
        if not match:
            raise ValueError(f"expected a size such as 512MiB or 1GiB, got {value!r}")
        size = int(match["n"]) * _SIZE_UNITS[match["unit"]]
    if size <= 0:
        raise ValueError("must be greater than zero")
    return size


def _parse_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a whole number")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _parse_str(value: object) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError("expected a string")
    return str(value)


def parse_seconds_or_zero(value: object) -> float:
    """A duration that may be ``0`` (``cascadeDebounce: 0`` queues dependants at once)."""
    if value in (0, "0", "0s"):
        return 0.0
    return parse_seconds(value)


def _parse_positive_int(value: object) -> int:
    number = _parse_int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _parse_registry_list(value: object) -> tuple[str, ...]:
    """``host[:port]`` (https) or ``http://host:port`` entries, comma-separated or a YAML list."""
    items = value if isinstance(value, list) else str(_parse_str(value)).split(",")
    out = []
    for item in items:
        text = _parse_str(item).strip()
        if not text:
            continue
        host = text.removeprefix("http://").removeprefix("https://").rstrip("/")
        if not host or "/" in host or any(c.isspace() for c in host):
            raise ValueError(f"{text!r} is not a registry host (host[:port] or http://host:port)")
        out.append(text)
    return tuple(out)


def _parse_name(value: object) -> str:
    text = _parse_str(value)
    if not _NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain name (letters, digits, '_', '.', '-')")
    return text


def _parse_redis_url(value: object) -> str:
    text = _parse_str(value)
    if not text.startswith(("redis://", "rediss://", "unix://", "sentinel://", "sentinels://")):
        raise ValueError("expected a redis://, rediss://, unix:// or sentinel:// URL")
    return text


def _parse_http_url(value: object) -> str:
    text = _parse_str(value).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _parse_listen(value: object) -> str:
    text = _parse_str(value)
    host, sep, port = text.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return text


@dataclass(frozen=True)
class _Key:
    name: str  # the file key (camelCase)
    attr: str
    parse: Callable[[object], Any]
    default: Any
    doc: str

    @property
    def env(self) -> str:
        return "TASKS_ENGINE_" + re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).upper()


# The default state root matches EngineConfig's; ``None`` defaults are derived from it in ``_derive``.
KEYS: tuple[_Key, ...] = (
    _Key("redisUrl", "redis_url", _parse_redis_url, "redis://127.0.0.1:6379/0",
         "Redis for the run store and the Celery broker (redis://, rediss:// for TLS, sentinel://)."),
    _Key("keyPrefix", "key_prefix", _parse_name, "te",
         "Prefix of every Redis key the store writes; lets several installations share one Redis."),
    _Key("apiListen", "api_listen", _parse_listen, "127.0.0.1:8080", "Where the API listens (HOST:PORT)."),
    _Key("apiProcesses", "api_processes", _parse_positive_int, 1,
         "API processes serving apiListen together (one listening socket; a process that dies is replaced). "
         "Each takes about one core at full load."),
    _Key("apiUrl", "api_url", _parse_http_url, "http://127.0.0.1:8080",
         "How workers reach the API (uploaded contexts are fetched from it)."),
    _Key("blobDir", "blob_dir", _parse_str, None, "Folder of uploaded contexts on the API host (default: "
         "<stateRoot>/blobs)."),
    _Key("maxUploadBytes", "max_upload_bytes", parse_size, 512 << 20,
         "Largest context upload accepted (HTTP 413 above it)."),
    _Key("uploadTtl", "upload_ttl", parse_seconds, 86400.0,
         "How long an uploaded context is kept after its upload or its last use by a run."),
    _Key("logRetention", "log_retention", parse_seconds, 30 * 86400.0,
         "How long run records and logs are kept after a run finishes (ACR: 30 days)."),
    _Key("logMaxBytes", "log_max_bytes", parse_size, 100 << 20,
         "Per-run log cap; output beyond it is dropped behind a visible truncation marker."),
    _Key("encryptionKeyFile", "encryption_key_file", _parse_str, None,
         "File holding the server key that encrypts secret values at rest (default: "
         "<stateRoot>/service/encryption.key, created 0600 by scripts/service.sh)."),
    _Key("encryptionKey", "encryption_key", _parse_str, None,
         "The server key itself (a Fernet key; several comma-separated keys rotate: the first encrypts)."),
    _Key("runIdPrefix", "run_id_prefix", _parse_name, "ca", "Prefix of service run ids (ca1, ca2, ...)."),
    _Key("defaultQueue", "default_queue", _parse_name, "runs", "Celery queue of runs without an agent pool."),
    _Key("poolQueuePrefix", "pool_queue_prefix", _parse_name, "runs.pool.",
         "Queue of agent pool P is <poolQueuePrefix>P."),
    _Key("workerConcurrency", "worker_concurrency", _parse_int, 2, "Runs one worker process executes at once."),
    _Key("leaseTtl", "lease_ttl", parse_seconds, 60.0,
         "A run whose worker stops renewing its lease for this long is taken back by the reaper."),
    _Key("leaseRenew", "lease_renew", parse_seconds, 20.0, "How often the executing worker renews its lease."),
    _Key("reaperInterval", "reaper_interval", parse_seconds, 15.0, "How often the reaper looks for lost runs."),
    _Key("sweepInterval", "sweep_interval", parse_seconds, 60.0,
         "How often each worker removes what dead executions left on its Docker host."),
    _Key("requeueAfter", "requeue_after", parse_seconds, 30.0,
         "A queued run whose broker message is missing for this long is published again."),
    _Key("maxAttempts", "max_attempts", _parse_int, 2,
         "Deliveries of one run at most (2 = one redelivery after a lost worker)."),
    _Key("redeliverStarted", "redeliver_started", _parse_bool, True,
         "Redeliver a run whose lost worker had already started steps (false: finish it as Error)."),
    _Key("hostDockerLogins", "host_docker_logins", _parse_bool, False,
         "Let runs on workers push and pull with the Docker logins of the worker's user (~/.docker/config.json "
         "or DOCKER_CONFIG). Off: only the engine's registries and the task's credentials (none for pull-request "
         "runs), whatever `docker login` was done on the worker's host."),
    _Key("maxRequestBytes", "max_request_bytes", parse_size, 4 << 20,
         "Largest JSON request body (task files, values) the API accepts."),
    _Key("adminTokenFile", "admin_token_file", _parse_str, None,
         "Where scripts/service.sh keeps the admin token it created (default: <stateRoot>/service/admin.token)."),
    _Key("registryWebhookToken", "registry_webhook_token", _parse_str, None,
         "The token the registry's notifications send (`Authorization: Bearer <token>`) to "
         "POST /v1/webhooks/registry; without one (here or in registryWebhookTokenFile) that endpoint refuses "
         "everything."),
    _Key("registryWebhookTokenFile", "registry_webhook_token_file", _parse_str, None,
         "File holding registryWebhookToken (default: <stateRoot>/service/registry-webhook.token, created 0600 "
         "by scripts/setup.d/50-registry-notifications.sh)."),
    _Key("registryName", "registry_name", _parse_str, None,
         "Registry host to record for notified pushes instead of the event's request.host (a registry behind a "
         "proxy that sees an internal name)."),
    _Key("maxWebhookBytes", "max_webhook_bytes", parse_size, 25 << 20,
         "Largest webhook body accepted (GitHub sends up to 25 MB)."),
    _Key("webhookDeliveryTtl", "webhook_delivery_ttl", parse_seconds, 31 * 86400.0,
         "How long a webhook delivery id is remembered: a replay within it answers 200 and starts nothing."),
    _Key("cascadeDebounce", "cascade_debounce", parse_seconds_or_zero, 5.0,
         "Updates of one base within this window coalesce into one run per dependant (0: queue at once)."),
    _Key("cascadeMaxGenerations", "cascade_max_generations", _parse_positive_int, 5,
         "Longest chain of image-update runs one update may cause (base -> mid -> app is 2 generations)."),
    _Key("cascadeDedupeTtl", "cascade_dedupe_ttl", parse_seconds, 86400.0,
         "A dependant already queued for one image digest is not queued for it again within this time."),
    _Key("cascadeDeferTimeout", "cascade_defer_timeout", parse_seconds, 9 * 3600.0,
         "A dependant waiting for an upstream rebuild runs anyway after this long (a run that never ended)."),
    _Key("pollRegistries", "poll_registries", _parse_registry_list, (),
         "Registries whose tracked base images are polled for digest changes (comma-separated host[:port], "
         "http://host:port for one without TLS; docker.io for Docker Hub). Registries that notify need none."),
    _Key("pollInterval", "poll_interval", parse_seconds, 300.0,
         "Time between two polls of one image (jittered by ±20 %; backoff after errors)."),
    _Key("timerGrace", "timer_grace", parse_seconds, 120.0,
         "A timer occurrence is started if a scheduler sees it within this long; older ones are not backfilled."),
)


@dataclass(frozen=True)
class ServiceSettings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "te"
    api_listen: str = "127.0.0.1:8080"
    api_processes: int = 1
    api_url: str = "http://127.0.0.1:8080"
    blob_dir: str | None = None
    max_upload_bytes: int = 512 << 20
    upload_ttl: float = 86400.0
    log_retention: float = 30 * 86400.0
    log_max_bytes: int = 100 << 20
    encryption_key_file: str | None = None
    encryption_key: str | None = None
    run_id_prefix: str = "ca"
    default_queue: str = "runs"
    pool_queue_prefix: str = "runs.pool."
    worker_concurrency: int = 2
    lease_ttl: float = 60.0
    lease_renew: float = 20.0
    reaper_interval: float = 15.0
    sweep_interval: float = 60.0
    requeue_after: float = 30.0
    max_attempts: int = 2
    redeliver_started: bool = True
    host_docker_logins: bool = False
    max_request_bytes: int = 4 << 20
    admin_token_file: str | None = None
    registry_webhook_token: str | None = None
    registry_webhook_token_file: str | None = None
    registry_name: str | None = None
    max_webhook_bytes: int = 25 << 20
    webhook_delivery_ttl: float = 31 * 86400.0
    cascade_debounce: float = 5.0
    cascade_max_generations: int = 5
    cascade_dedupe_ttl: float = 86400.0
    cascade_defer_timeout: float = 9 * 3600.0
    poll_registries: tuple[str, ...] = ()
    poll_interval: float = 300.0
    timer_grace: float = 120.0
    state_root: Path = Path("/var/tmp/tasks-engine")

    def __repr__(self) -> str:
        """Never the keys themselves: settings end up in logs and tracebacks."""
        hidden = ("encryption_key", "registry_webhook_token")
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}
        shown["encryption_key"] = "***" if self.encryption_key else None
        shown["registry_webhook_token"] = "***" if self.registry_webhook_token else None
        return f"ServiceSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @property
    def api_host(self) -> str:
        return self.api_listen.rpartition(":")[0].strip("[]")

    @property
    def api_port(self) -> int:
        return int(self.api_listen.rpartition(":")[2])

    @property
    def service_dir(self) -> Path:
        return self.state_root / "service"

    @property
    def blob_path(self) -> Path:
        return Path(self.blob_dir) if self.blob_dir else self.state_root / "blobs"

    @property
    def encryption_key_path(self) -> Path:
        return Path(self.encryption_key_file) if self.encryption_key_file else self.service_dir / "encryption.key"

    @property
    def admin_token_path(self) -> Path:
        return Path(self.admin_token_file) if self.admin_token_file else self.service_dir / "admin.token"

    @property
    def registry_webhook_token_path(self) -> Path:
        if self.registry_webhook_token_file:
            return Path(self.registry_webhook_token_file)
        return self.service_dir / "registry-webhook.token"

    def read_registry_webhook_token(self) -> str | None:
        """The registry notifications' token, or None when none is configured (the endpoint then refuses)."""
        if self.registry_webhook_token:
            return self.registry_webhook_token
        try:
            token = self.registry_webhook_token_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return token or None

    def queue_for(self, agent_pool: str | None) -> str:
        """The Celery queue of an agent pool (``--agent-pool``); the default queue without one."""
        return f"{self.pool_queue_prefix}{agent_pool}" if agent_pool else self.default_queue

    def read_encryption_keys(self) -> list[str]:
        """The configured keys, first one current. Raises ``UsageError`` when there is none."""
        text = self.encryption_key
        if not text:
            try:
                text = self.encryption_key_path.read_text(encoding="ascii").strip()
            except FileNotFoundError:
                raise UsageError(
                    f"no encryption key: set service.encryptionKey, TASKS_ENGINE_ENCRYPTION_KEY or create "
                    f"{self.encryption_key_path} (scripts/service.sh start does)"
                ) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read the encryption key {self.encryption_key_path}: {exc}") from exc
        keys = [k.strip() for k in text.split(",") if k.strip()]
        if not keys:
            raise UsageError("the encryption key is empty")
        return keys


def service_settings_from(config: ConfigData, *, state_root: Path,
                          environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """The ``service:`` section of ``config``, then ``TASKS_ENGINE_*`` environment variables on top."""
    env = os.environ if environ is None else environ
    where = config.where or "<configuration>"
    section = config.data.get("service") if config.data else None
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise UsageError(f"{where}: service must be a mapping")
    by_name = {k.name: k for k in KEYS}
    unknown = sorted(set(section) - set(by_name))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) service.{', service.'.join(unknown)}; "
                         f"known: {', '.join(sorted(by_name))}")
    values: dict[str, Any] = {"state_root": state_root}
    for key in KEYS:
        raw: object = None
        origin = ""
        if key.env in env and env[key.env] != "":
            raw, origin = env[key.env], f"environment variable {key.env}"
        elif key.name in section and section[key.name] is not None:
            raw, origin = section[key.name], f"{where}: service.{key.name}"
        if raw is None:
            values[key.attr] = key.default
            continue
        try:
            values[key.attr] = key.parse(raw)
        except ValueError as exc:
            raise UsageError(f"{origin}: {exc}") from None
    settings = ServiceSettings(**values)
    if settings.lease_renew >= settings.lease_ttl:
        raise UsageError(f"{where}: service.leaseRenew ({settings.lease_renew}s) must be shorter than "
                         f"service.leaseTtl ({settings.lease_ttl}s)")
    if settings.max_attempts < 1:
        raise UsageError(f"{where}: service.maxAttempts must be at least 1")
    return settings


def _shown(key: _Key) -> str:
    value = key.default
    if value is None:
        return ""
    if value == ():
        return ""
    if key.parse in (parse_seconds, parse_seconds_or_zero):
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if value >= size and value % size == 0:
                return f"{int(value // size)}{unit}"
        return f"{value:g}s"
    if key.parse is parse_size:
        for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value >= size and value % size == 0:
                return f"{value // size}{unit}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_table() -> list[tuple[str, str, str, str]]:
    """``(file key, environment variable, default, meaning)`` for every service key, for the docs."""
    return [(f"service.{key.name}", key.env, _shown(key), key.doc) for key in KEYS]


def settings_markdown() -> str:
    """The table of docs/configuration.md (a test keeps the file equal to this)."""
    lines = ["| key | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, env, default, doc in settings_table():
        lines.append(f"| `{name}` | `{env}` | {f'`{default}`' if default else '(derived)'} | {doc} |")
    return "\n".join(lines) + "\n"
