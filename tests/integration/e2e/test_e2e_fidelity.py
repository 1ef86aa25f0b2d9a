"""Task files from public repositories that used to run differently than on ACR, run end to end.

* the multi-step tutorial's ``cmd: -t {{.Run.Registry}}/hello-world:{{.Run.ID}}`` with ``detach: true``:
  ``-t`` is docker run's TTY flag and the image comes after it;
* ``docker run`` options before the image (``-e``, ``--name`` reached by other steps, ``-w``, ``--entrypoint``)
  and the engine's policy on the dangerous ones (host bind mounts, added capabilities, host namespaces);
* ``env: [NAME="value"]``: ACR's shell removes the quotes, so the container sees ``value``;
* ``build: -t x -f Dockerfile ./sub`` builds ``./Dockerfile`` (docker resolves ``-f`` against the working
  directory; only the default Dockerfile lives in the context).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cli, assert_clean, write_task

pytestmark = pytest.mark.integration


def test_tutorial_detached_cmd_starting_with_tty_flag(cli: Cli, run_ids: Any, tmp_path: Path,
                                                     docker_client: Any) -> None:
    run_id = run_ids("tty")
    with socket.socket() as probe:  # the tutorial publishes 8080, which a local API may hold: any free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "Dockerfile").write_text("ARG BASE\nFROM $BASE\nCMD [\"sh\", \"-c\", \"echo hello; sleep 30\"]\n")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          # Build image
          - build: -t {{.Run.Registry}}/hello-world:{{.Run.ID}} --build-arg BASE={{.Values.base}} -f Dockerfile .
          # Run image
          - cmd: -t {{.Run.Registry}}/hello-world:{{.Run.ID}}
            id: test
            detach: true
            ports: ["PORT:80"]
          - cmd: '{{ .Values.base }} echo after'
    """.replace("PORT", str(port)))
    result = cli.run_task(task, run_id, context=tmp_path)
    result.assert_succeeded(run_id)
    assert [s["status"] for s in result.record["steps"]] == ["successful"] * 3
    assert_clean(docker_client, run_id)


def test_docker_run_options_before_the_image(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any) -> None:
    run_id = run_ids("opts")
    task = write_task(tmp_path, """
        version: v1.1.0
        steps:
          - id: server
            cmd: >-
              --name backend -e MSG="from options" --workdir=/tmp
              {{ .Values.base }} sh -c 'echo "$MSG" > /tmp/i; httpd -f -p 80 -h /tmp'
            detach: true
          - id: client
            cmd: >-
              -i --rm -e WHO=client --entrypoint sh -u 65534 --cap-drop ALL -v /scratch --tmpfs /run
              {{ .Values.base }}
              -c 'sleep 1; wget -q -O - http://backend/i; id -u; echo $WHO; test -d /scratch && touch /run/ok'
            env: ['QUOTED="a b c"', "SINGLE='$NOT_EXPANDED'"]
          - cmd: '{{ .Values.base }} sh -c "echo [$QUOTED] [$SINGLE]"'
            env: ['QUOTED="a b c"', "SINGLE='$NOT_EXPANDED'"]
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    assert "from options" in result.err
    assert "65534\nclient" in result.err
    assert "[a b c] [$NOT_EXPANDED]" in result.err
    assert_clean(docker_client, run_id)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ("-v /etc:/host-etc", "allowHostMounts: true"),
        ("--mount type=bind,source=/,target=/host", "allowHostMounts: true"),
        ("-v shared-data:/data", "named volume"),
        ("--cap-add SYS_ADMIN", "allowPrivileged: true"),
        ("--pid host", "allowPrivileged: true"),
        ("--privileged", "allowPrivileged: true"),
        ("--network host", "allowHostNetwork: true"),
    ],
)
def test_dangerous_run_options_are_refused_by_policy(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                                     options: str, needle: str) -> None:
    run_id = run_ids("deny")
    task = write_task(tmp_path, f"""
        steps:
          - cmd: {options} {{{{ .Values.base }}}} echo should-not-run
    """)
    result = cli.run_task(task, run_id)
    reason = result.assert_failed(run_id)
    assert needle in reason, result.describe()
    assert "should-not-run" not in result.text
    assert_clean(docker_client, run_id)


def test_refused_run_option_is_a_positioned_error(cli: Cli, tmp_path: Path) -> None:
    task = write_task(tmp_path, """
        steps:
          - cmd: --env-file /etc/environment busybox env
    """)
    result = cli("validate", "-f", str(task))
    assert result.rc == 1
    assert "acr-task.yaml:2:" in result.text
    assert "docker run option --env-file is not allowed in a cmd" in result.text


def test_explicit_dockerfile_resolves_against_the_working_directory(cli: Cli, run_ids: Any, tmp_path: Path,
                                                                     docker_client: Any) -> None:
    run_id = run_ids("dockf")
    (tmp_path / "sub").mkdir()
    (tmp_path / "Dockerfile").write_text("ARG BASE\nFROM $BASE\nCOPY marker /marker\nCMD cat /marker\n")
    (tmp_path / "sub" / "Dockerfile").write_text("FROM scratch-that-must-not-be-used\n")
    (tmp_path / "sub" / "marker").write_text("top-level Dockerfile, sub context\n")
    task = write_task(tmp_path, """
        steps:
          - build: -t {{.Run.Registry}}/fidelity:{{.Run.ID}} --build-arg BASE={{.Values.base}} -f Dockerfile ./sub
          - cmd: '{{.Run.Registry}}/fidelity:{{.Run.ID}}'
    """)
    result = cli.run_task(task, run_id, context=tmp_path)
    result.assert_succeeded(run_id)
    assert "top-level Dockerfile, sub context" in result.err
    assert_clean(docker_client, run_id)
