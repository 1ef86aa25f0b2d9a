"""Step options a task author relies on, on real Docker: env, workingDirectory, user, entryPoint, keep,
startDelay, a declared default network, a build with -f and a sub-context, and a multi-tag push."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cli, assert_clean, remove_images, write_task

pytestmark = pytest.mark.integration


def test_step_options_end_to_end(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                 registry: str) -> None:
    run_id = run_ids("opts")
    context = tmp_path / "ctx"
    (context / "app").mkdir(parents=True)
    (context / "docker").mkdir()
    (context / "app" / "file.txt").write_text(f"payload-{run_id}\n")
    dockerfile = 'ARG BASE\nFROM ${BASE}\nCOPY file.txt /f.txt\nCMD ["cat", "/f.txt"]\n'
    (context / "docker" / "Dockerfile").write_text(dockerfile)
    task = write_task(tmp_path, """
        version: v1.1.0
        networks:
          - name: appnet
            isDefault: true
        steps:
          - id: build
            build: >-
              -f docker/Dockerfile -t $Registry/e2e/multi:$ID -t $Registry/e2e/multi:second-$ID
              --build-arg BASE={{ .Values.base }} app
          - id: envs
            cmd: '{{ .Values.base }} sh -c "echo FOO=[$$FOO] HOME=$$HOME PWD=$$(pwd) UID=$$(id -u)"'
            env: ["FOO=bar baz"]
            workingDirectory: app
            user: "1000"
          - id: entry
            cmd: '{{ .Values.base }} -c "echo entry-point-$$0"'
            entryPoint: sh
          - id: svc
            cmd: '{{ .Values.base }} httpd -f -p 8081 -h /workspace/app'
            detach: true
          - id: kept
            cmd: '{{ .Values.base }} wget -qO- http://svc:8081/file.txt'
            keep: true
            startDelay: 1
          - id: run-built
            cmd: $Registry/e2e/multi:second-$ID
          - id: push
            push:
              - $Registry/e2e/multi:$ID
              - $Registry/e2e/multi:second-$ID
    """)
    refs = [f"{registry}/e2e/multi:{run_id}", f"{registry}/e2e/multi:second-{run_id}"]
    try:
        result = cli.run_task(task, run_id, context=context)
        result.assert_succeeded(run_id)
        log = result.err
        assert "FOO=[bar baz] HOME=/acb/home PWD=/workspace/app UID=1000" in log
        assert "entry-point-sh" in log
        assert log.count(f"payload-{run_id}") >= 2  # served by svc over appnet, and printed by the built image
        tags = sorted(o["tag"] for o in result.record["outputImages"] if o["repository"] == "e2e/multi")
        assert tags == sorted([run_id, f"second-{run_id}"])
        digests = {o["digest"] for o in result.record["outputImages"] if o["repository"] == "e2e/multi"}
        assert len(digests) == 1 and next(iter(digests)).startswith("sha256:")
        assert_clean(docker_client, run_id)  # the kept container, the detached one and appnet are gone
        assert not docker_client.networks.list(names=[f"appnet-{run_id}"])
    finally:
        remove_images(docker_client, run_id, refs)


def test_max_parallel_one_serialises(cli: Cli, run_ids: Any, tmp_path: Path) -> None:
    run_id = run_ids("maxp")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: a
            cmd: '{{ .Values.base }} sleep 1'
            when: ["-"]
          - id: b
            cmd: '{{ .Values.base }} sleep 1'
            when: ["-"]
    """)
    result = cli.run_task(task, run_id, "--max-parallel", "1")
    result.assert_succeeded(run_id)
    a, b = result.step("a"), result.step("b")
    assert a["finishTime"] <= b["startTime"] or b["finishTime"] <= a["startTime"], (a, b)
