"""Console pages over a fakeredis store: what each page shows, what each role may do, what is never shown."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from console_support import REPORT, Console, finished_run, make_console

from tasks_engine.service.tasks import TaskSpec
from tasks_engine.store import Role
from tasks_engine.triggers import BaseImage, DependencyIndex, DependencyKind, TaskNode


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return make_console(tmp_path)


def make_task(console: Console, name: str = "hello-task", **fields: object) -> None:
    spec = TaskSpec(name=name, kind="cmd", cmd="busybox echo hi", values={"greeting": "hi"},
                    secret_values={"api_key": "sup3r-s3cret-value"}, **fields)  # type: ignore[arg-type]
    console.tasks.create(spec)


def test_runs_are_listed_newest_first_and_filtered(console: Console) -> None:
    first = finished_run(console, task="alpha-task")
    second = finished_run(console, task="beta-task", status="Failed")
    console.login(Role.READER)
    page = console.client.get("/console/runs")
    assert page.status_code == 200
    assert page.text.index(f">{second}<") < page.text.index(f">{first}<")
    assert 'data-poll="/console/runs/rows?"' in page.text
    failed = console.client.get("/console/runs?status=Failed&task=&trigger=")
    assert f">{second}<" in failed.text and f">{first}<" not in failed.text
    assert 'data-poll="/console/runs/rows?status=Failed"' in failed.text
    rows = console.client.get("/console/runs/rows?task=alpha-task")
    assert f">{first}<" in rows.text and f">{second}<" not in rows.text and "<html" not in rows.text
    bad = console.client.get("/console/runs?status=Exploded")
    assert bad.status_code == 400 and "unknown run status" in bad.text and bad.headers["content-type"].startswith(
        "text/html")


def test_a_run_shows_steps_images_dependencies_and_its_trigger(console: Console) -> None:
    steps = [{"id": "build", "status": "successful", "exitCode": 0, "attempts": 1,
              "startTime": "2026-12-01T20:00:00Z", "finishTime": "2026-12-01T20:01:05Z"},
             {"id": "test", "status": "failed", "exitCode": 3, "attempts": 2, "error": "exit status 3",
              "startTime": "2026-12-01T20:01:05Z", "finishTime": "2026-12-01T20:01:07.5Z"}]
    images = [{"registry": "127.0.0.1:5000", "repository": "team/app", "tag": "v1", "digest": "sha256:" + "a" * 64}]
    run_id = finished_run(console, steps=steps, outputImages=images, dependencies=[REPORT],
                          timerTrigger={"timerTriggerName": "nightly", "scheduleOccurrence": "2026-12-01T20:00:00Z"})
    console.login(Role.READER)
    page = console.client.get(f"/console/runs/{run_id}")
    assert page.status_code == 200
    text = page.text
    assert "<code>build</code>" in text and "1m 05s" in text and ">3<" in text and "2.5s" in text
    assert "exit status 3" in text and "127.0.0.1:5000/team/app:v1" in text and "sha256:aaaaaaaaaaaa" in text
    assert "127.0.0.1:5000/tasks-engine/busybox:latest" in text and "127.0.0.1:5000/tools/builder:1" in text
    assert "0123abc" in text and "nightly" in text and "timerTriggerName" in text
    assert "data-poll" not in text and "Cancel the run" not in text  # finished: nothing to follow or cancel


def test_a_queued_run_says_why_it_waits_and_only_runners_may_cancel_it(console: Console) -> None:
    make_task(console)
    run = console.tasks.run("hello-task")
    console.login(Role.READER)
    page = console.client.get(f"/console/runs/{run.run_id}")
    assert "no worker listens on queue &#39;runs&#39;" in page.text
    assert "Cancel the run" not in page.text and f'data-poll="/console/runs/{run.run_id}/summary"' in page.text
    denied = console.client.post(f"/console/runs/{run.run_id}/cancel", data={"csrf": console.csrf(page)})
    assert denied.status_code == 403 and "needs the runner role" in denied.text
    assert console.runs.get(run.run_id).status.value == "Queued"
    console.login(Role.RUNNER)
    page = console.client.get(f"/console/runs/{run.run_id}/summary")
    assert "Cancel the run" in page.text and "<html" not in page.text
    done = console.client.post(f"/console/runs/{run.run_id}/cancel", data={"csrf": console.csrf(page)})
    assert done.status_code == 303 and done.headers["location"] == f"/console/runs/{run.run_id}"
    assert console.runs.get(run.run_id).status.value == "Canceled"


def test_tasks_show_triggers_and_secret_names_never_secret_values(console: Console) -> None:
    make_task(console)
    record = console.store.get_task("hello-task")
    assert record is not None
    record.triggers = {"timerTriggers": [{"name": "nightly", "schedule": "0 3 * * *", "status": "Enabled"}],
                       "sourceTriggers": [{"name": "default", "status": "Enabled", "sourceTriggerEvents": ["commit"],
                                           "sourceRepository": {"repositoryUrl": "https://git.example/app.git",
                                                                "branch": "main"}}],
                       "baseImageTrigger": {"status": "Enabled", "baseImageTriggerType": "All"},
                       "webhook": {"secretToken": "never-show-me", "path": "/hooks/x"}}
    console.store.save_task(record)
    finished_run(console, task="hello-task", dependencies=[REPORT])
    console.login(Role.READER)
    page = console.client.get("/console/tasks")
    text = page.text
    assert "sup3r-s3cret-value" not in text and "never-show-me" not in text and "(withheld)" in text
    assert "<code>api_key</code>" in text and "greeting=hi" in text
    assert "0 3 * * *" in text and "https://git.example/app.git" in text and "All" in text
    assert "127.0.0.1:5000/tasks-engine/busybox:latest" in text and "127.0.0.1:5000/tools/builder:1" in text
    assert ">Run<" not in text  # a reader has no run button
    denied = console.client.post("/console/tasks/hello-task/run", data={"csrf": console.csrf(page)})
    assert denied.status_code == 403


def test_a_runner_starts_a_task_from_its_card(console: Console) -> None:
    make_task(console)
    console.login(Role.RUNNER)
    page = console.client.get("/console/tasks")
    assert ">Run<" in page.text
    reply = console.client.post("/console/tasks/hello-task/run", data={"csrf": console.csrf(page)})
    assert reply.status_code == 303
    run_id = reply.headers["location"].rsplit("/", 1)[1]
    assert console.runs.get(run_id).task == "hello-task"
    missing = console.client.post("/console/tasks/no-such-task/run", data={"csrf": console.csrf(page)})
    assert missing.status_code == 404 and "not found" in missing.text


def test_the_log_page_renders_colours_escaped_with_line_anchors_and_downloads_exactly(console: Console) -> None:
    raw = b"\x1b[32mok\x1b[0m <script>alert(1)</script>\nplain \xff line\n"
    run_id = finished_run(console, log=raw)
    console.login(Role.READER)
    page = console.client.get(f"/console/runs/{run_id}/log")
    assert '<div class="line" id="L1"><a class="n" href="#L1">1</a>' in page.text
    assert '<span class="fg2">ok</span> &lt;script&gt;alert(1)&lt;/script&gt;' in page.text
    assert 'id="L2"' in page.text and "data-complete" in page.text and "<script>alert" not in page.text
    download = console.client.get(f"/console/runs/{run_id}/log.txt")
    assert download.content == raw
    assert download.headers["content-disposition"] == f'attachment; filename="{run_id}.log"'


def test_the_graph_draws_what_an_image_change_rebuilds(console: Console) -> None:
    make_task(console, "app-task")
    make_task(console, "base-task")
    base_report = {**REPORT, "image": {"registry": "127.0.0.1:5000", "repository": "tools/builder", "tag": "1",
                                       "digest": "sha256:" + "c" * 64, "reference": "127.0.0.1:5000/tools/builder:1"},
                   "buildtime-dependency": []}
    app = console.store.get_task("app-task")
    assert app is not None
    app.triggers = {"baseImageTrigger": {"status": "Enabled", "baseImageTriggerType": "All"}}
    console.store.save_task(app)
    finished_run(console, task="base-task", dependencies=[base_report])
    finished_run(console, task="app-task", dependencies=[REPORT])
    console.login(Role.READER)
    whole = console.client.get("/console/graph")
    assert whole.status_code == 200 and "<svg" in whole.text and whole.text.count('class="node task') == 2
    chosen = console.client.get("/console/graph?image=127.0.0.1:5000/tasks-engine/busybox:latest")
    assert "generation 1" in chosen.text and "base-task" in chosen.text and 'class="node image root"' in chosen.text
    # app-task follows every base (All): it is built on busybox and on base-task's output, so it rebuilds once,
    # after base-task
    assert "generation 2" in chosen.text and "app-task" in chosen.text
    bad = console.client.get("/console/graph?image=Not A Ref!")
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")


def test_the_services_own_dependency_index_is_used_when_the_process_keeps_one(console: Console) -> None:
    make_task(console)
    node = TaskNode("hello-task", {"127.0.0.1:5000/kept/by-index:3": BaseImage("127.0.0.1:5000/kept/by-index:3",
                                                                            DependencyKind.RUNTIME)})
    reader = SimpleNamespace(index=lambda: DependencyIndex({"hello-task": node}))
    console.deps.triggers = SimpleNamespace(index=reader)  # type: ignore[attr-defined]
    console.login(Role.READER)
    assert "127.0.0.1:5000/kept/by-index:3" in console.client.get("/console/tasks").text
    assert "127.0.0.1:5000/kept/by-index:3" in console.client.get("/console/graph").text


def test_workers_and_queues_say_who_listens_and_why_runs_wait(console: Console) -> None:
    make_task(console)
    run = console.tasks.run("hello-task")
    console.login(Role.READER)
    page = console.client.get("/console/workers")
    assert page.status_code == 200 and "<code>runs</code>" in page.text and "No worker is alive" in page.text
    assert run.run_id in page.text and "no worker listens on queue" in page.text
    assert 'data-poll="/console/workers/live"' in page.text
    assert "<html" not in console.client.get("/console/workers/live").text


def test_an_unexpected_error_is_a_page_with_an_incident_id_not_a_traceback(console: Console,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    console.login()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in the store")

    monkeypatch.setattr(console.runs, "list", broken)
    page = console.client.get("/console/runs")
    assert page.status_code == 500 and "internal error (logged as " in page.text
    assert "Traceback" not in page.text and "boom" not in page.text
