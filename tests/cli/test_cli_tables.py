"""az's tables: the columns, knack's "simple" layout, STARTED and DURATION as az formats them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.cli.remote.console import human_size
from tasks_engine.cli.tables import (
    RUN_COLUMNS,
    TASK_COLUMNS,
    format_duration,
    format_started,
    format_table,
    run_row,
    task_row,
)


def test_run_table_layout() -> None:
    run = {"runId": "ca12", "task": "myapp", "platform": {"os": "linux"}, "status": "Succeeded",
           "startTime": "2026-01-02T03:04:05.123456+00:00", "finishTime": "2026-01-02T04:05:07+00:00"}
    running = {"runId": "ca13", "status": "Running", "startTime": "2026-01-02T05:00:00Z",
               "sourceTrigger": {"eventType": "Git Commit"}}
    assert format_table([run_row(run), run_row(running)], RUN_COLUMNS).splitlines() == [
        "RUN ID  TASK   PLATFORM  STATUS     TRIGGER     STARTED               DURATION",
        "------  -----  --------  ---------  ----------  --------------------  --------",
        "ca12    myapp  linux     Succeeded  Manual      2026-01-02T03:04:05Z  01:01:01",
        "ca13                     Running    Git Commit  2026-01-02T05:00:00Z",
    ]


def test_task_table_columns_and_triggers() -> None:
    task = {"name": "myapp", "platform": {"os": "linux"}, "status": "Enabled",
            "step": {"context": "https://git.example/app.git#main"},
            "triggers": {"baseImageTrigger": {"status": "Enabled"},
                         "timerTriggers": [{"status": "Disabled"}, {"status": "enabled"}],
                         "sourceTriggers": [{"status": "Disabled"}]}}
    lines = format_table([task_row(task)], TASK_COLUMNS).splitlines()
    assert lines[0] == "NAME   PLATFORM  STATUS   SOURCE REPOSITORY                 TRIGGERS"
    assert lines[2] == "myapp  linux     Enabled  https://git.example/app.git#main  BASE_IMAGE, TIMER"


def test_trigger_order_of_precedence() -> None:
    assert run_row({"timerTrigger": {"x": 1}, "imageUpdateTrigger": {"y": 1}})["TRIGGER"] == "Timer"
    assert run_row({"imageUpdateTrigger": {"y": 1}})["TRIGGER"] == "Image Update"
    assert run_row({"platform": "linux/arm64"})["PLATFORM"] == "linux"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(min_value=0, max_value=10 * 86400))
def test_duration_is_hours_minutes_seconds(start: datetime, seconds: int) -> None:
    begin = start.replace(tzinfo=UTC)
    text = format_duration(begin.isoformat(), (begin + timedelta(seconds=seconds)).isoformat())
    hours, minutes, secs = (int(p) for p in text.split(":"))
    assert len(text.split(":")[0]) >= 2 and hours * 3600 + minutes * 60 + secs == seconds and minutes < 60 and secs < 60
    assert format_started(begin.isoformat()) == begin.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_blank_duration_and_unparseable_times() -> None:
    assert format_duration("2026-01-02T03:04:05Z", None) == ""
    assert format_started("yesterday") == "yesterday"
    assert format_started(None) == ""


def test_sizes_in_azs_units() -> None:
    assert f"{human_size(1900)[0]:.3f} {human_size(1900)[1]}" == "1.855 KiB"
    assert human_size(512) == (512, "Bytes")
    assert human_size(3 << 20) == (3.0, "MiB")
    assert human_size(5 << 40)[1] == "GiB"
