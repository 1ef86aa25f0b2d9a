"""Console/memory/tee sinks, image reference splitting, outputImages and dependency digests."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime, timedelta, timezone

from tasks_engine.backends.fake import AttemptScript, FakeBackend
from tasks_engine.plan.model import BuildSpec, StepType
from tasks_engine.runtime.events import LogLine, StepStarted
from tasks_engine.runtime.results import RunStatus
from tasks_engine.runtime.sinks import ConsoleSink, MemorySink, TeeSink
from tasks_engine.runtime.summary import go_json, split_image_ref

T = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_console_sink_prefixes_engine_lines_only() -> None:
    stream = io.StringIO()
    sink = ConsoleSink(stream)
    sink.emit(LogLine(time=T, text="Launching container with name: a"))
    sink.emit(LogLine(time=T, text="hello from a", step_id="a"))
    sink.emit(StepStarted(time=T, step_id="a"))
    assert stream.getvalue() == "2026/03/04 05:06:07 Launching container with name: a\nhello from a\n"


def test_console_sink_prints_utc_and_can_drop_timestamps() -> None:
    stream = io.StringIO()
    local = T.astimezone(timezone(timedelta(hours=2)))
    ConsoleSink(stream).emit(LogLine(time=local, text="x"))
    ConsoleSink(stream, timestamps=False).emit(LogLine(time=T, text="y"))
    assert stream.getvalue() == "2026/03/04 05:06:07 x\ny\n"


def test_console_sink_is_thread_safe() -> None:
    stream = io.StringIO()
    sink = ConsoleSink(stream, timestamps=False)

    def spam(n: int) -> None:
        for i in range(200):
            sink.emit(LogLine(time=T, text=f"{n}-{i}", step_id=str(n)))

    threads = [threading.Thread(target=spam, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 800 and all("-" in line for line in lines)


def test_memory_and_tee_sinks() -> None:
    a, b = MemorySink(), MemorySink()
    tee = TeeSink(a, b)
    tee.emit(LogLine(time=T, text="engine"))
    tee.emit(LogLine(time=T, text="out", step_id="s"))
    assert a.events == b.events
    assert a.texts() == ["engine", "out"]
    assert a.texts(engine=True) == ["engine"] and a.texts(engine=False) == ["out"]
    assert a.texts(step_id="s") == ["out"]
    assert a.render(timestamps=True) == "2026/03/04 05:06:07 engine\nout\n"


def test_split_image_ref() -> None:
    assert split_image_ref("myregistry.azurecr.io/myorg/myimage:mytag") == (
        "myregistry.azurecr.io",
        "myorg/myimage",
        "mytag",
        "",
    )
    assert split_image_ref("localhost:5000/app:1") == ("localhost:5000", "app", "1", "")
    assert split_image_ref("node") == ("registry.hub.docker.com", "library/node", "latest", "")
    assert split_image_ref("user/app:2") == ("registry.hub.docker.com", "user/app", "2", "")
    assert split_image_ref("r.io/app@sha256:ab") == ("r.io", "app", "", "sha256:ab")


def test_go_json_is_compact_and_escapes_html() -> None:
    assert go_json([{"a": "<&>", "b": None}]) == '[{"a":"\\u003c\\u0026\\u003e","b":null}]'


def _ref(registry: str, repo: str, tag: str) -> dict[str, str]:
    ref = f"{registry}/{repo}:{tag}" if registry else f"{repo}:{tag}"
    return {
        "registry": registry or "registry.hub.docker.com",
        "repository": repo,
        "tag": tag,
        "digest": "",
        "reference": ref,
    }


def test_output_images_and_dependency_digests(kit) -> None:
    deps = [
        {
            "image": _ref("r.io", "app", "v1"),
            "runtime-dependency": _ref("r.io", "base", "1"),
            "buildtime-dependency": [
                _ref("", "golang", "1.22"),
                {**_ref("", "scratch", "latest"), "reference": "scratch:latest"},
            ],
            "git": {"git-head-revision": "abc"},
        }
    ]
    backend = FakeBackend(
        {
            "build": AttemptScript(dependencies=deps, image_id="sha256:img"),
            "push": AttemptScript(pushed={"r.io/app:v1": "sha256:pushed", "r.io/app:latest": ""}),
        },
        digests={
            "r.io/app:v1": "sha256:pushed",
            "r.io/base:1": "sha256:base",
            "golang:1.22": "sha256:go",
            "r.io/app:latest": "sha256:pushed",
        },
    )
    plan = kit.plan(
        kit.step("build", type=StepType.BUILD, build=BuildSpec(tags=["r.io/app:v1"])),
        kit.step("push", "build", type=StepType.PUSH, images=["r.io/app:v1", "r.io/app:latest"]),
    )
    out = kit.run(plan, backend)
    assert out.result.status is RunStatus.SUCCEEDED
    assert [o.to_dict() for o in out.result.output_images] == [
        {"registry": "r.io", "repository": "app", "tag": "v1", "digest": "sha256:pushed"},
        {"registry": "r.io", "repository": "app", "tag": "latest", "digest": "sha256:pushed"},
    ]
    report = out.result.dependencies
    assert report[0]["image"]["digest"] == "sha256:pushed"
    assert report[0]["runtime-dependency"]["digest"] == "sha256:base"
    assert report[0]["buildtime-dependency"][0]["digest"] == "sha256:go"
    assert report[0]["buildtime-dependency"][1]["digest"] == ""  # scratch is never looked up
    assert "scratch:latest" not in backend.digest_queries
    assert out.step("build").image_id == "sha256:img"
    assert out.step("push").pushed == {"r.io/app:v1": "sha256:pushed", "r.io/app:latest": ""}
    engine = out.engine
    i = engine.index("Populating digests for step ID: build...")
    assert engine[i + 1] == "Successfully populated digests for step ID: build"
    assert engine[i + 2] == "The following dependencies were found:"
    assert engine[i + 3].startswith("\n[")
    assert json.loads(engine[i + 3]) == report
    assert engine[i - 2].startswith("Step ID: build marked as successful (elapsed time in seconds: ")
    assert engine[i - 1].startswith("Step ID: push marked as successful (elapsed time in seconds: ")
    assert "Populating digests for step ID: push..." not in engine


def test_no_dependency_lines_without_dependencies(kit) -> None:
    out = kit.run(kit.plan(kit.step("a")), FakeBackend())
    assert "The following dependencies were found:" not in out.engine
    assert out.result.dependencies == [] and out.result.output_images == []


def test_failed_run_still_reports_what_was_pushed(kit) -> None:
    from tasks_engine.backends.fake import fail

    backend = FakeBackend({"push": AttemptScript(pushed={"r.io/a:1": "sha256:1"}), "after": fail()})
    plan = kit.plan(kit.step("push", type=StepType.PUSH, images=["r.io/a:1"]), kit.step("after", "push"))
    out = kit.run(plan, backend)
    assert out.result.status is RunStatus.FAILED
    assert [o.digest for o in out.result.output_images] == ["sha256:1"]
    assert backend.digest_queries == []
