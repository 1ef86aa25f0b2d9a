"""The task file of acr-builder's DAG test (``graph/testdata/acb.yaml``, Azure/acr-builder, MIT licence).

Read from tests/golden/plan/acb.yaml so our decoding is checked against a file ACR's own tests accept.
"""

from __future__ import annotations

from pathlib import Path

from tasks_engine.definition import StepKind, parse_definition

# acr-builder graph/testdata/acb.yaml, kept once for the whole suite (also the plan golden file).
ACB_YAML = (Path(__file__).resolve().parents[1] / "golden" / "plan" / "acb.yaml").read_text(encoding="utf-8")


def test_acr_builder_testdata_parses_with_the_right_values() -> None:
    definition, warnings = parse_definition(ACB_YAML)
    assert sorted(p.path for p in warnings) == ["steps[0].exitedWithout", "steps[2].exitedWith"]
    assert (definition.version, definition.step_timeout, definition.env) == ("v1.0.0", 600, ["foo=taskEnv"])
    steps = {step.effective_id: step for step in definition.steps}
    assert list(steps) == ["puller", "build-qux", "C", "build-bar", "B", "build-foo", "build-qaz"]

    puller = steps["puller"]
    assert puller.kind is StepKind.CMD
    assert puller.cmd == "azure/images/docker pull ubuntu"
    assert puller.entry_point == "someEntryPoint"
    assert puller.env == ["eric=foo", "foo=bar"]
    assert puller.exited_without == [0, 255]
    assert (puller.working_directory, puller.retries, puller.retry_delay, puller.pull) == ("pullDir", 5, 90, True)
    assert puller.when is None and puller.timeout is None

    qux = steps["build-qux"]
    assert qux.cmd is not None and qux.cmd.endswith("qux --cache-from=ubuntu")
    assert (qux.when, qux.detach, qux.start_delay) == (["-"], True, 50)

    c = steps["C"]
    assert (c.ports, c.expose) == (["8000:8000", "8080:8080"], ["80", "81"])
    assert (c.exited_with, c.keep, c.isolation) == ([0, 1, 2, 3, 4], True, "default")

    b = steps["B"]
    assert (b.when, b.ignore_errors, b.disable_working_directory_override) == (["C"], True, True)
    assert steps["build-foo"].when == ["build-qux"]

    qaz = steps["build-qaz"]
    assert qaz.kind is StepKind.BUILD
    assert qaz.build == "-f Dockerfile https://github.com/ehotinger/qaz --cache-from=ubuntu"
    assert (qaz.privileged, qaz.user, qaz.network, qaz.repeat) == (True, "root", "host", 2)
    assert qaz.when is None  # follows build-foo, the previous YAML step
    assert [s.index for s in definition.steps] == list(range(7))
