"""ACR's sample tasks (examples/acr-samples, adapted to the local base image) validate and run as they do
on ACR."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import REPO_ROOT, Cli, assert_clean, remove_images

pytestmark = pytest.mark.integration

SAMPLES = REPO_ROOT / "examples" / "acr-samples"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yaml") if p.name != "values.yaml")

#: What each sample must print (regex over the log), beyond succeeding.
EXPECTED_OUTPUT = {
    "hello-world.yaml": r"Hello from Tasks Engine!",
    "bash-echo.yaml": r"hello world",
    "build-push-hello-world.yaml": r"",
    "build-run-hello-world.yaml": r"Hello from Tasks Engine! This message shows",
    "when-sequential-default.yaml": r"one[\s\S]*two[\s\S]*three",
    "when-sequential-id.yaml": r"one[\s\S]*two[\s\S]*three",
    "when-parallel.yaml": r"",
    "when-parallel-dependent.yaml": r"func-tests against hello-world passed",
    "files-working-directory.yaml": r"hello\.txt",
    "network-curl.yaml": r"",
    "mounts-secrets.yaml": r"\*\*\*",  # both files are secret-volume content, so both are masked
}
PUSHES = {"build-push-hello-world.yaml", "build-run-hello-world.yaml", "when-parallel-dependent.yaml"}


def test_every_sample_has_expectations() -> None:
    assert set(SAMPLE_FILES) == set(EXPECTED_OUTPUT)
    for name in SAMPLE_FILES:
        first = (SAMPLES / name).read_text().splitlines()[0]
        assert first.startswith("# "), f"{name} must start with a comment saying what it shows"
        assert "{{.Values.base}}" in (SAMPLES / name).read_text() or "hello-world.dockerfile" in (
            SAMPLES / name
        ).read_text(), name


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_validates(cli: Cli, name: str) -> None:
    result = cli("validate", "--strict", "-f", str(SAMPLES / name), "--values", str(SAMPLES / "values.yaml"),
                 "--registry", cli.registry, "--set", f"base={cli.base}")
    assert result.rc == 0, result.describe()
    assert "error:" not in result.err, result.describe()
    assert "valid" in result.text, result.describe()


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_runs(cli: Cli, run_ids: Any, docker_client: Any, name: str) -> None:
    run_id = run_ids("smp")
    extra = ["--set-secret", "sampleSecret=masked-sample-value"] if name == "mounts-secrets.yaml" else []
    before = sorted(p.name for p in SAMPLES.iterdir())
    try:
        result = cli("run", "-f", str(SAMPLES / name), "--values", str(SAMPLES / "values.yaml"),
                     "--set", f"base={cli.base}", "--registry", cli.registry, "--id", run_id, "-o", "json",
                     *extra, str(SAMPLES))
        result.assert_succeeded(run_id)
        assert all(s["status"] == "successful" for s in result.record["steps"]), result.record["steps"]
        assert re.search(EXPECTED_OUTPUT[name], result.err), result.describe()
        if name in PUSHES:
            assert any(o["repository"] == "hello-world" and o["tag"] == run_id and o["digest"]
                       for o in result.record["outputImages"]), result.record
        if extra:
            assert "masked-sample-value" not in result.text
            assert "***" in result.err
        assert sorted(p.name for p in SAMPLES.iterdir()) == before, "the sample folder was modified"
        assert_clean(docker_client, run_id)
    finally:
        remove_images(docker_client, run_id, [f"{cli.registry}/hello-world:{run_id}"])
