"""Runs: the list (live), one run (live: steps, images, dependencies, trigger, cancel), and its log (followed
over a cookie-authenticated copy of the API's SSE route, with the same ``LogFollower``), plus a download.

Live without a page reload: ``console.js`` fetches the ``/rows`` and ``/summary`` fragments again every
couple of seconds (server-rendered, so the page and its updates are one template), and follows the log with
``EventSource``, which cannot send an ``Authorization`` header: hence a console route that authenticates
with the session cookie.
"""

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tasks_engine.api.console.ansi import log_lines
from tasks_engine.api.console.context import ConsoleContext, form_fields
from tasks_engine.api.console.render import fragment, page
from tasks_engine.api.console.session import COOKIE_PATH, Viewer
from tasks_engine.api.errors import field_error
from tasks_engine.api.follow import LogFollower
from tasks_engine.api.strict import QueryInt
from tasks_engine.runtime.results import RunStatus
from tasks_engine.store import LogRangeError, Role, Trigger

PAGE_SIZE = 25
INITIAL_LOG_BYTES = 1 << 20  # rendered with the page; the rest arrives over the event stream
DOWNLOAD_CHUNK = 4 << 20
Form = Annotated[dict[str, str], Depends(form_fields)]
Text = Annotated[str, Query(max_length=50)]
Cursor = Annotated[QueryInt | None, Query(ge=0, le=2**53)]
STATUSES = [s.value for s in RunStatus]
TRIGGERS = [t.value for t in Trigger]


def _offset_of(last_event_id: str | None) -> int:
    if not last_event_id:
        return 0
    if not (last_event_id.isascii() and last_event_id.isdigit()) or len(last_event_id) > 18:
        raise field_error("Last-Event-ID", "expected the byte offset of a previous log event")
    return int(last_event_id)


def router(context: ConsoleContext, route_class: type[APIRoute]) -> APIRouter:
    api = APIRouter(route_class=route_class)
    deps, sessions = context.deps, context.sessions
    runs, store = deps.runs, deps.store

    def listing(task: str, status: str, trigger: str, cursor: int | None) -> dict[str, Any]:
        found = runs.list(task=task or None, status=status or None, trigger=trigger or None, top=PAGE_SIZE,
                          cursor=cursor)
        filters = {k: v for k, v in (("task", task), ("status", status), ("trigger", trigger)) if v}
        older = urlencode({**filters, "cursor": found.next_cursor}) if found.next_cursor is not None else None
        return {"runs": [r.to_dict() for r in found.runs], "filters": filters, "older": older,
                "live": cursor is None, "rows_url": f"{COOKIE_PATH}/runs/rows?{urlencode(filters)}"}

    @api.get("/runs")
    def runs_page(request: Request, task: Text = "", status: Text = "", trigger: Text = "",
                  cursor: Cursor = None) -> Response:
        viewer = sessions.authorize(request, Role.READER)
        return page("runs.html", viewer=viewer, active="runs", statuses=STATUSES, triggers=TRIGGERS,
                    task_names=[t.name for t in deps.tasks.list()], **listing(task, status, trigger, cursor))

    @api.get("/runs/rows")
    def runs_rows(request: Request, task: Text = "", status: Text = "", trigger: Text = "") -> Response:
        viewer = sessions.authorize(request, Role.READER, page=False)
        return fragment("runs_rows.html", viewer=viewer, **listing(task, status, trigger, None))

    def run_context(viewer: Viewer, run_id: str) -> dict[str, Any]:
        run = runs.describe(runs.get(run_id))
        return {"viewer": viewer, "run": run, "finished": RunStatus(run["status"]).finished}

    @api.get("/runs/{run_id}")
    def run_page(request: Request, run_id: str) -> Response:
        viewer = sessions.authorize(request, Role.READER)
        return page("run.html", active="runs", **run_context(viewer, run_id))

    @api.get("/runs/{run_id}/summary")
    def run_summary(request: Request, run_id: str) -> Response:
        viewer = sessions.authorize(request, Role.READER, page=False)
        return fragment("run_summary.html", **run_context(viewer, run_id))

    @api.post("/runs/{run_id}/cancel")
    def cancel_run(request: Request, run_id: str, form: Form) -> Response:
        sessions.authorize(request, Role.RUNNER, form=form)
        runs.cancel(run_id)
        return RedirectResponse(f"{COOKIE_PATH}/runs/{run_id}", status_code=303)

    @api.get("/runs/{run_id}/log")
    def log_page(request: Request, run_id: str) -> Response:
        viewer = sessions.authorize(request, Role.READER)
        record = runs.get(run_id)
        piece = store.read_log(run_id, 0, limit=INITIAL_LOG_BYTES)
        data = piece.data
        complete = record.finished and piece.next_offset >= piece.size
        if not complete and b"\n" in data:  # hand over at a line break: the stream continues the next line
            data = data[:data.rindex(b"\n") + 1]
        elif not complete:
            data = b""
        return page("log.html", viewer=viewer, active="runs", run=record.to_dict(), lines=log_lines(
            data.decode("utf-8", "replace")), offset=len(data), complete=complete, truncated=record.log_truncated)

    @api.get("/runs/{run_id}/log/events")
    def log_events(request: Request, run_id: str, offset: Annotated[QueryInt, Query(ge=0, le=2**53)] = 0,
                   last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
                   ) -> Response:
        sessions.authorize(request, Role.READER, page=False)
        runs.get(run_id)
        start = max(offset, _offset_of(last_event_id))
        size = store.log_size(run_id)
        if start > size:
            raise LogRangeError(size)
        follower = LogFollower(store, runs, context.redis_async(), run_id, start, deps.follow, deps.stopping)
        return StreamingResponse(follower.events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @api.get("/runs/{run_id}/log.txt")
    def log_download(request: Request, run_id: str) -> Response:
        sessions.authorize(request, Role.READER)
        runs.get(run_id)

        def chunks() -> Iterator[bytes]:
            offset = 0
            while True:
                piece = store.read_log(run_id, offset, limit=DOWNLOAD_CHUNK)
                if not piece.data:
                    return
                yield piece.data
                offset = piece.next_offset
                if offset >= piece.size:
                    return

        return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{run_id}.log"'})

    return api
