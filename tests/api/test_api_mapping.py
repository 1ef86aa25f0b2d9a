"""Request bodies -> the service's inputs: kinds, base64, secrets kept apart, field paths in every error."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from tasks_engine.api import mapping
from tasks_engine.api.models import RunBody, TaskBody, TaskPatch
from tasks_engine.service.runinput import InvalidFieldError
from tasks_engine.store import RunType

B64 = base64.b64encode


def run_body(**fields: Any) -> RunBody:
    return RunBody.model_validate(fields)


def field_of(call: Any) -> str:
    with pytest.raises(InvalidFieldError) as caught:
        call()
    return caught.value.field


def test_a_cmd_run_is_a_quick_run_with_values_as_set_pairs() -> None:
    run = mapping.run_input(run_body(kind="cmd", cmd="busybox echo {{.Values.x}}", values={"x": "1", "y": "a=b"}),
                            max_bytes=1000)
    sub = mapping.submission(run)
    assert sub.run_type is RunType.QUICK_RUN
    assert sub.request.cmd == "busybox echo {{.Values.x}}"
    assert sub.request.set_values == ("x=1", "y=a=b")


def test_a_build_is_a_quick_build_and_its_secret_args_never_reach_the_stored_request() -> None:
    body = run_body(kind="build", context="upload:sha256:" + "a" * 64, platform="linux/arm64",
                    build={"tags": ["r:5000/app:{{.Run.ID}}"], "buildArgs": ["A=1"], "secretBuildArgs": ["TOKEN=s3"]},
                    secretValues={"pw": "hunter2"},
                    credentials=[{"registry": "r:5000", "username": "u", "password": "p4ss"}])
    sub = mapping.submission(mapping.run_input(body, max_bytes=1000))
    assert sub.run_type is RunType.QUICK_BUILD
    assert str(sub.platform) == "linux/arm64"
    stored = repr(sub.request.to_dict())
    assert "s3" not in stored and "hunter2" not in stored and "p4ss" not in stored
    assert sub.request.build is not None and sub.request.build["buildArgs"] == ["A=1"]
    assert sub.secrets.secret_build_args == ("TOKEN=s3",)
    assert sub.secrets.set_secrets == ("pw=hunter2",)
    assert sub.secrets.credentials[0].password == "p4ss"


def test_an_encoded_task_and_values_are_decoded_text() -> None:
    task = "version: v1.1.0\nsteps:\n  - cmd: busybox echo hi\n"
    wrapped = B64(task.encode()).decode()
    body = run_body(kind="encoded", encodedTask=wrapped[:10] + "\n" + wrapped[10:],
                    encodedValues=B64(b"a: 1\n").decode())
    sub = mapping.submission(mapping.run_input(body, max_bytes=1000))
    assert sub.request.encoded_task == task
    assert sub.request.encoded_values == "a: 1\n"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"kind": "encoded", "encodedTask": "not base64!"}, "encodedTask"),
    ({"kind": "encoded", "encodedTask": B64(b"\xff\xfe").decode()}, "encodedTask"),
    ({"kind": "encoded", "encodedTask": "é"}, "encodedTask"),
    ({"kind": "encoded", "encodedTask": B64(b"x" * 2000).decode()}, "encodedTask"),
    ({"kind": "encoded", "encodedTask": B64(b"   ").decode()}, "encodedTask"),
    ({"kind": "cmd", "cmd": "true", "encodedValues": "%%%"}, "encodedValues"),
    ({"kind": "cmd"}, "cmd"),
    ({"kind": "cmd", "cmd": "a\nb"}, "cmd"),
    ({"kind": "build"}, "build"),
    ({"kind": "cmd", "cmd": "true", "build": {"tags": ["x"]}}, "build"),
    ({"kind": "file", "cmd": "true"}, "cmd"),
    ({"kind": "build", "build": {"tags": ["ok", "has space"]}}, "build.tags[1]"),
    ({"kind": "build", "build": {"secretBuildArgs": ["NOVALUE"]}}, "build.secretBuildArgs[0]"),
    ({"kind": "build", "build": {"platform": "a/b/c/d"}}, "build.platform"),
    ({"kind": "cmd", "cmd": "true", "values": {"a=b": "1"}}, "values.a=b"),
    ({"kind": "cmd", "cmd": "true", "secretValues": {"": "1"}}, "secretValues."),
    ({"kind": "cmd", "cmd": "true", "context": "."}, "context"),
    ({"kind": "cmd", "cmd": "true", "context": "/srv/repo.git"}, "context"),
    ({"kind": "cmd", "cmd": "true", "context": "file:///srv/repo.git"}, "context"),
    ({"kind": "cmd", "cmd": "true", "context": "upload:sha256:abc"}, "context"),
    ({"kind": "cmd", "cmd": "true", "agentPool": "no spaces"}, "agentPool"),
    ({"kind": "cmd", "cmd": "true", "platform": "linux//"}, "platform"),
    ({"kind": "cmd", "cmd": "true", "valuesFile": "v.yaml", "encodedValues": B64(b"a: 1").decode()}, "encodedValues"),
])
def test_every_bad_field_is_named(fields: dict[str, Any], expected: str) -> None:
    assert field_of(lambda: mapping.run_input(run_body(**fields), max_bytes=1000)) == expected


@pytest.mark.parametrize("context", [None, "https://github.com/org/repo.git#main:sub", "git@github.com:org/r.git",
                                     "https://example.com/ctx.tar.gz", "upload:sha256:" + "0" * 64])
def test_remote_contexts_and_uploads_are_accepted_for_runs(context: str | None) -> None:
    run = mapping.run_input(run_body(kind="file", taskFile="acb.yaml", context=context), max_bytes=10)
    assert run.context == context


def test_a_task_takes_its_fields_and_refuses_uploads() -> None:
    from tasks_engine.service.tasks import check_spec

    spec = mapping.task_spec(TaskBody.model_validate({
        "name": "my-task", "kind": "cmd", "cmd": "busybox true", "gitAccessToken": "ghp_x", "status": "Disabled",
        "timeout": 600}), max_bytes=100)
    check_spec(spec)
    assert (spec.name, spec.status, spec.timeout, spec.git_token) == ("my-task", "Disabled", 600, "ghp_x")
    upload = TaskBody.model_validate({"name": "my-task", "kind": "file", "context": "upload:sha256:" + "0" * 64})
    assert field_of(lambda: check_spec(mapping.task_spec(upload, max_bytes=100))) == "context"
    secret = mapping.task_spec(TaskBody.model_validate({"name": "my-task", "kind": "build",
                                                        "build": {"secretBuildArgs": ["A=1"]}}), max_bytes=100)
    check_spec(secret)  # kept encrypted with the task's other secrets
    from tasks_engine.service.tasks import secrets_of

    assert secrets_of(secret).secret_build_args == ("A=1",)
    for name in ("abcd", "has.dot", "x" * 51):
        with pytest.raises(ValidationError, match="name"):
            TaskBody.model_validate({"name": name, "kind": "cmd", "cmd": "x"})


def test_a_patch_carries_only_the_fields_sent_and_null_clears_optional_ones() -> None:
    patch = TaskPatch.model_validate({"status": "Disabled", "agentPool": None, "values": {"a": "1"},
                                      "encodedTask": B64(b"steps: []\n").decode()})
    assert mapping.task_changes(patch, max_bytes=100) == {
        "status": "Disabled", "agent_pool": None, "values": {"a": "1"}, "task_text": "steps: []\n"}
    assert field_of(lambda: mapping.task_changes(TaskPatch.model_validate({"timeout": None}), max_bytes=1)) == "timeout"


def test_a_stored_task_reads_back_as_it_was_sent_without_its_secrets() -> None:
    from tasks_engine.service.tasks import TaskService, describe_task, secrets_of, spec_of

    task = "steps:\n  - cmd: busybox echo {{.Values.a}}\n"
    spec = mapping.task_spec(TaskBody.model_validate({
        "name": "round-trip", "kind": "encoded", "encodedTask": B64(task.encode()).decode(), "values": {"a": "1"},
        "secretValues": {"s": "hidden-1"}, "credentials": [{"registry": "r", "username": "u", "password": "hidden-2"}],
        "context": "https://bot:hidden-3@git.example.com/o/r.git#main", "platform": "linux/arm64",
        "agentPool": "fast", "gitAccessToken": "hidden-4"}), max_bytes=1000)
    service = TaskService(store=None, runs=None, now=lambda: "2026-12-01T00:00:00Z")  # type: ignore[arg-type]
    record = service._record(spec, created="c", updated="u")
    shown = describe_task(record)
    assert not any(f"hidden-{i}" in repr(shown) for i in range(1, 5))
    assert shown["encodedTask"] == B64(task.encode()).decode() and shown["values"] == {"a": "1"}
    assert shown["context"] == "https://***@git.example.com/o/r.git#main"
    assert shown["secretNames"] == {"secretValues": ["s"], "credentials": ["r"], "gitAccessToken": True}
    assert (shown["agentPoolName"], shown["platform"], shown["timeout"]) == ("fast", {"os": "linux",
                                                                                   "architecture": "arm64"}, 3600)
    # ACR's default for a git context, resolved when the task was saved: the commit trigger is on
    resolved = replace(spec, triggers=replace(spec.triggers, commit_enabled=True))
    assert spec_of(record, secrets_of(spec)) == resolved
    sub = service._submission(spec)
    assert sub.run_type is RunType.AUTO_RUN and sub.task == "round-trip" and sub.agent_pool == "fast"
    assert sub.request.task_name == "round-trip" and sub.request.timeout == 3600
    assert sub.secrets.git_token == "hidden-4" and sub.secrets.set_secrets == ("s=hidden-1",)
