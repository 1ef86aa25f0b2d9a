"""The builder choice and its logged reason; binfmt detection; the engine configuration's new keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks_engine.backends.docker.build import choose_builder
from tasks_engine.backends.docker.buildkit import _rewrite_syntax, frontend_for
from tasks_engine.backends.docker.emulation import emulated_platforms
from tasks_engine.backends.docker.spec import StepConfigError
from tasks_engine.config.engine import engine_config_from
from tasks_engine.config.filedata import ConfigData
from tasks_engine.deps.features import scan_features
from tasks_engine.errors import UsageError
from tasks_engine.plan.model import BuildSpec

CLASSIC = scan_features("FROM a\nRUN make\n")
MOUNT = scan_features("FROM a\nRUN --mount=type=cache,target=/c make\n")


@pytest.mark.parametrize(
    ("build", "features", "default", "platforms", "buildkit", "reason"),
    [
        (BuildSpec(), CLASSIC, False, [], False, "classic builder (ACR's default)"),
        (BuildSpec(buildkit=True), CLASSIC, False, [], True, "DOCKER_BUILDKIT=1 in the step's env"),
        (BuildSpec(), CLASSIC, True, [], True, "the engine configuration makes BuildKit the default"),
        (BuildSpec(buildkit=False), CLASSIC, True, [], False, "DOCKER_BUILDKIT=0 in the step's env"),
        (BuildSpec(cache="enabled", cache_ref="r/x:cache_t_s"), CLASSIC, False, [], True, "cache: enabled"),
        (BuildSpec(), CLASSIC, False, ["linux/amd64", "linux/arm64"], True, "builds several platforms"),
        (BuildSpec(secrets=["id=x"]), CLASSIC, False, [], True, "--secret needs BuildKit"),
        (BuildSpec(), MOUNT, False, [], True, "Dockerfile line 2 uses RUN --mount=type=cache, which only BuildKit"),
    ],
)
def test_choice(build: BuildSpec, features: object, default: bool, platforms: list[str], buildkit: bool,
                reason: str) -> None:
    choice = choose_builder(build, features, default_buildkit=default, platforms=platforms,  # type: ignore[arg-type]
                            file="Dockerfile")
    assert choice.buildkit is buildkit
    assert reason in choice.reason


def test_explicit_classic_with_buildkit_syntax_is_a_clear_error() -> None:
    with pytest.raises(StepConfigError, match="line 2 uses RUN --mount=type=cache, which needs BuildKit, but the "
                                              "step's env sets DOCKER_BUILDKIT=0"):
        choose_builder(BuildSpec(buildkit=False), MOUNT, default_buildkit=False, platforms=[], file="Dockerfile")


def test_frontend_mapping_and_rewrite() -> None:
    features = scan_features("# syntax=docker.io/docker/dockerfile:1\n# escape=`\nFROM a\n")
    assert frontend_for(features, {"docker/dockerfile:1": "builtin"}) == "builtin"
    assert frontend_for(features, {"other:1": "builtin"}) is None
    text = "# syntax=docker.io/docker/dockerfile:1\n# escape=`\nFROM a\n"
    assert _rewrite_syntax(text, features, "builtin") == "# escape=`\nFROM a\n"
    assert _rewrite_syntax(text, features, "mirror:5000/df:1").startswith("# syntax=mirror:5000/df:1\n")


def test_binfmt_detection(tmp_path: Path) -> None:
    (tmp_path / "qemu-aarch64").write_text("enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
                                           "flags: PF\noffset 0\n")
    (tmp_path / "qemu-arm").write_text("enabled\ninterpreter /x\nflags: P\n")  # no fix-binary: unusable
    (tmp_path / "qemu-s390x").write_text("disabled\nflags: F\n")
    assert emulated_platforms(tmp_path) == {"linux/arm64"}
    assert emulated_platforms(tmp_path / "missing") == set()


def test_engine_configuration_keys() -> None:
    config = engine_config_from(ConfigData({
        "buildkit": True, "buildkitFrontends": {"docker/dockerfile:1": "builtin"}, "dockerCli": "/opt/docker",
        "buildCacheMaxBytes": "5GiB", "allowHostMounts": True,
        "egress": {"deny": ["10.0.0.0/8"], "allow": ["169.254.1.1"], "allowPrivate": False},
    }, "cfg.yaml"))
    assert config.buildkit_default and config.allow_host_mounts
    assert config.buildkit_frontends == {"docker/dockerfile:1": "builtin"}
    assert (config.docker_cli, config.build_cache_max_bytes) == ("/opt/docker", 5 << 30)
    assert config.egress.deny == ("10.0.0.0/8",) and not config.egress.allow_private
    assert engine_config_from(ConfigData({"buildCacheMaxBytes": None}, "c")).build_cache_max_bytes is None


@pytest.mark.parametrize(
    ("data", "needle"),
    [({"egress": {"deny": ["not a host"]}}, "invalid egress entry"),
     ({"egress": {"block": []}}, "unknown egress key"),
     ({"egress": {"allowLoopback": "no"}}, "egress.allowLoopback must be true or false"),
     ({"buildCacheMaxBytes": "lots"}, "buildCacheMaxBytes")],
)
def test_bad_configuration(data: dict[str, object], needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        engine_config_from(ConfigData(data, "cfg.yaml"))
