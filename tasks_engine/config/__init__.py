"""Configuration in one typed place: the engine's policy and the service's settings, from one file + environment.

``load_config`` (engine policy only) serves the local CLI; ``load_settings`` serves every service process
(API, worker, beat, the CLI's token bootstrap) and returns both halves read from the same file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tasks_engine.config.engine import DEFAULT_STATE_ROOT, EngineConfig, engine_config_from, load_config
from tasks_engine.config.filedata import CONFIG_ENV, ConfigData, read_config_file
from tasks_engine.config.service import ServiceSettings, parse_seconds, parse_size, service_settings_from


@dataclass(frozen=True)
class Settings:
    engine: EngineConfig
    service: ServiceSettings


def load_settings(explicit: str | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    data = read_config_file(explicit)
    engine = engine_config_from(data)
    return Settings(engine, service_settings_from(data, state_root=engine.state_root, environ=environ))


__all__ = [
    "CONFIG_ENV",
    "DEFAULT_STATE_ROOT",
    "ConfigData",
    "EngineConfig",
    "ServiceSettings",
    "Settings",
    "engine_config_from",
    "load_config",
    "load_settings",
    "parse_seconds",
    "parse_size",
    "read_config_file",
    "service_settings_from",
]
