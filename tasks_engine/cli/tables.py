"""Tables as ``az -o table`` prints them (knack's ``tabulate(..., tablefmt="simple")``), and az's columns.

The columns and cell rules are az's ``_format.py``: a missing value is a blank cell, ``STARTED`` is
``%Y-%m-%dT%H:%M:%SZ``, ``DURATION`` is ``HH:MM:SS`` from start to finish (blank while running), ``TRIGGER``
is the source trigger's event type, else ``Timer``, ``Image Update`` or ``Manual``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any

from tasks_engine.timestamps import parse_utc

Row = dict[str, str]
Json = Mapping[str, Any]

RUN_COLUMNS = ("RUN ID", "TASK", "PLATFORM", "STATUS", "TRIGGER", "STARTED", "DURATION")
TASK_COLUMNS = ("NAME", "PLATFORM", "STATUS", "SOURCE REPOSITORY", "TRIGGERS")
TOKEN_COLUMNS = ("NAME", "ROLE", "CREATED", "LAST USED")
BASE_COLUMNS = ("BASE IMAGE", "KIND", "TRACKED", "BUILT ON", "LAST SEEN DIGEST", "LAST SEEN")
TIMER_COLUMNS = ("TIMER", "SCHEDULE", "STATUS", "NEXT OCCURRENCE")
IMPACT_COLUMNS = ("GENERATION", "TASK", "BUILT ON")
EVENT_COLUMNS = ("TIME", "TASK", "REASON", "IMAGE", "DETAIL")


def format_table(rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> str:
    """Header, a dashed rule per column, the rows; columns two spaces apart, left-aligned, no trailing blanks."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _get(item: Json, *path: str | int) -> Any:
    value: Any = item
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _text(value: Any) -> str:
    return str(value) if value else ""


def format_started(text: Any) -> str:
    moment = parse_utc(text)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else _text(text)


def format_duration(start: Any, finish: Any) -> str:
    """az's ``_get_duration``: hours may exceed 24; blank unless both ends are known."""
    begin, end = parse_utc(start), parse_utc(finish)
    if begin is None or end is None:
        return ""
    seconds = max(0, int((end - begin).total_seconds()))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def platform_os(platform: Any) -> str:
    if isinstance(platform, Mapping):
        return _text(platform.get("os"))
    return _text(platform).split("/", 1)[0]


def run_trigger(run: Json) -> str:
    event = _get(run, "sourceTrigger", "eventType")
    if event:
        return str(event)
    if run.get("timerTrigger"):
        return "Timer"
    if run.get("imageUpdateTrigger"):
        return "Image Update"
    trigger = run.get("trigger")
    return str(trigger) if isinstance(trigger, str) and trigger else "Manual"


def run_row(run: Json) -> Row:
    return {
        "RUN ID": _text(run.get("runId")), "TASK": _text(run.get("task")),
        "PLATFORM": platform_os(run.get("platform")), "STATUS": _text(run.get("status")),
        "TRIGGER": run_trigger(run), "STARTED": format_started(run.get("startTime")),
        "DURATION": format_duration(run.get("startTime"), run.get("finishTime")),
    }


def _enabled(value: Any) -> bool:
    return isinstance(value, Mapping) and str(value.get("status", "")).lower() == "enabled"


def task_triggers(task: Json) -> str:
    """az's ``_get_triggers``: SOURCE, TIMER, BASE_IMAGE for the enabled ones, sorted and comma-joined."""
    triggers = task.get("trigger") or task.get("triggers") or {}
    if not isinstance(triggers, Mapping):
        return ""
    found = []
    sources = triggers.get("sourceTriggers")
    if isinstance(sources, list) and sources and _enabled(sources[0]):
        found.append("SOURCE")
    timers = triggers.get("timerTriggers")
    if isinstance(timers, list) and any(_enabled(t) for t in timers):
        found.append("TIMER")
    if _enabled(triggers.get("baseImageTrigger")):
        found.append("BASE_IMAGE")
    return ", ".join(sorted(found))


def task_row(task: Json) -> Row:
    context = _get(task, "step", "context") or _get(task, "step", "contextPath") or task.get("context")
    return {
        "NAME": _text(task.get("name")), "PLATFORM": platform_os(task.get("platform")),
        "STATUS": _text(task.get("status")), "SOURCE REPOSITORY": _text(context), "TRIGGERS": task_triggers(task),
    }


def _short(digest: Any) -> str:
    text = _text(digest)
    return text[:19] if text.startswith("sha256:") else text


def base_row(base: Json) -> Row:
    return {"BASE IMAGE": _text(base.get("image")), "KIND": _text(base.get("kind")),
            "TRACKED": "yes" if base.get("tracked") else "no", "BUILT ON": _short(base.get("digest")),
            "LAST SEEN DIGEST": _short(base.get("lastSeenDigest")), "LAST SEEN": format_started(base.get("lastSeen"))}


def timer_row(timer: Json) -> Row:
    return {"TIMER": _text(timer.get("name")), "SCHEDULE": _text(timer.get("schedule")),
            "STATUS": "Enabled" if timer.get("enabled") else "Disabled",
            "NEXT OCCURRENCE": format_started(timer.get("nextOccurrence"))}


def impact_rows(plan: Json) -> list[Row]:
    return [{"GENERATION": str(g.get("generation")), "TASK": _text(t.get("task")),
             "BUILT ON": ", ".join(str(v) for v in t.get("via") or [])}
            for g in plan.get("generations") or [] for t in g.get("tasks") or []]


def event_row(event: Json) -> Row:
    return {"TIME": format_started(event.get("time")), "TASK": _text(event.get("task")),
            "REASON": _text(event.get("reason")), "IMAGE": _text(event.get("image")),
            "DETAIL": _text(event.get("detail"))}


def token_row(token: Json) -> Row:
    return {"NAME": _text(token.get("name")), "ROLE": _text(token.get("role")),
            "CREATED": format_started(token.get("created")), "LAST USED": format_started(token.get("lastUsed"))}


def table_of(items: Sequence[Json], row: Callable[[Json], Row], columns: Sequence[str]) -> str:
    return format_table([row(i) for i in items], columns)
