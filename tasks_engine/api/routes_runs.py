"""``/v1/runs``: submit, list, show, cancel, and the log (plain from an offset, or followed as SSE).

Routes are plain ``def`` functions: the store is synchronous redis-py, and Starlette runs them in its thread
pool so a slow Redis never stalls the event loop that the log followers share. A follower itself holds no
thread (``follow.py``).

No ``from __future__ import annotations`` in the route modules: FastAPI reads each parameter's
``Annotated[..., Depends(dep)]`` at definition time, and ``dep`` is a local of the router factory.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tasks_engine.api import mapping, schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import field_error
from tasks_engine.api.follow import LogFollower
from tasks_engine.api.models import RunBody
from tasks_engine.api.strict import QueryInt
from tasks_engine.service.runinput import upload_digest
from tasks_engine.store import LogRangeError, Role, TokenRecord

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
RunId = Annotated[str, Path(alias="runId", pattern=RUN_ID_PATTERN, description="a run id such as ca1")]
StatusFilter = Annotated[schemas.StatusName | None, Query(description="only runs with this status")]
TriggerName = Literal["Manual", "Git Commit", "Pull Request", "Image Update", "Timer"]
LOG_LIMIT = 4 << 20


def _offset_of(last_event_id: str | None) -> int:
    if last_event_id is None or last_event_id == "":
        return 0
    if not (last_event_id.isascii() and last_event_id.isdigit()) or len(last_event_id) > 18:
        raise field_error("Last-Event-ID", "expected the byte offset of a previous log event")
    return int(last_event_id)


def runs_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["runs"])
    reader, runner = auth.require(Role.READER), auth.require(Role.RUNNER)
    runs = deps.runs

    @router.post("/runs", status_code=201, response_model=None,
                 responses={**schemas.ok(schemas.RunOut, "the queued run", 201), **schemas.v1_errors(400, 413)})
    def submit_run(body: RunBody, _: Annotated[TokenRecord, Depends(runner)]) -> Response:
        """Queue a run (ACR's DockerBuildRequest, FileTaskRunRequest, EncodedTaskRunRequest, ``--cmd``)."""
        run = mapping.run_input(body, max_bytes=deps.settings.max_request_bytes)
        digest = upload_digest(run.context)
        if digest is not None:
            if not deps.blobs.exists(digest):
                raise field_error("context", f"no uploaded context {digest} (never uploaded, or expired after "
                                  "service.uploadTtl): upload it with POST /v1/uploads")
            deps.blobs.touch(digest)
        record = runs.submit(mapping.submission(run))
        # The bare record, not describe(): a queue position costs more round trips than the submit itself, and
        # clients that wait for the run get it from GET /v1/runs/{runId} or the log stream's status event.
        return JSONResponse(record.to_dict(), status_code=201,
                            headers={"Location": f"/v1/runs/{record.run_id}"})

    @router.get("/runs", response_model=None,
                responses={**schemas.ok(schemas.RunPageOut, "runs, newest first"), **schemas.v1_errors()})
    def list_runs(_: Annotated[TokenRecord, Depends(reader)],
                  task: Annotated[str | None, Query(max_length=50, description="only runs of this task")] = None,
                  status: StatusFilter = None,
                  trigger: Annotated[TriggerName | None, Query(description="only runs started so")] = None,
                  top: Annotated[QueryInt, Query(ge=1, le=1000)] = 15,
                  cursor: Annotated[QueryInt | None, Query(ge=0, le=2**53, description="nextCursor of a previous page")]
                  = None) -> Response:
        page = runs.list(task=task, status=status, trigger=trigger, top=top, cursor=cursor)
        return JSONResponse({"runs": [r.to_dict() for r in page.runs], "nextCursor": page.next_cursor})

    @router.get("/runs/{runId}", response_model=None,
                responses={**schemas.ok(schemas.RunOut, "the run"), **schemas.v1_errors(404)})
    def show_run(run_id: RunId, _: Annotated[TokenRecord, Depends(reader)]) -> Response:
        return JSONResponse(runs.describe(runs.get(run_id)))

    @router.post("/runs/{runId}/cancel", status_code=202, response_model=None,
                 responses={**schemas.ok(schemas.RunOut, "the run, cancel requested", 202),
                            **schemas.v1_errors(404)})
    def cancel_run(run_id: RunId, _: Annotated[TokenRecord, Depends(runner)]) -> Response:
        """Idempotent: a queued run ends ``Canceled`` at once, a running one when its worker stopped it."""
        return JSONResponse(runs.describe(runs.cancel(run_id)), status_code=202)

    log_responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "log bytes from offset (text/plain), or with follow=1 or Accept: text/event-stream "
                             "server-sent events (log, status, eof)",
              "content": {"text/plain": {"schema": {"type": "string"}},
                          "text/event-stream": {"schema": {"type": "string"}}},
              "headers": {name: {"schema": {"type": "string"}, "description": why} for name, why in (
                  ("X-Log-Offset", "the next offset to ask for"), ("X-Log-Size", "the log's size"),
                  ("X-Log-Complete", "true when the run finished and every byte was sent"),
                  ("X-Run-Status", "the run's status"))}},
        **schemas.v1_errors(404, 416),
    }

    @router.get("/runs/{runId}/logs", response_model=None, responses=log_responses)
    def run_logs(run_id: RunId, request: Request, _: Annotated[TokenRecord, Depends(reader)],
                 offset: Annotated[QueryInt, Query(ge=0, le=2**53, description="first byte to return")] = 0,
                 follow: Annotated[bool, Query(description="stream as server-sent events")] = False,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
                 ) -> Response:
        record = runs.get(run_id)
        if follow or "text/event-stream" in request.headers.get("accept", ""):
            start = max(offset, _offset_of(last_event_id))
            size = deps.store.log_size(run_id)
            if start > size:
                raise LogRangeError(size)
            follower = LogFollower(deps.store, runs, request.app.state.redis_async, run_id, start,
                                   deps.follow, deps.stopping)
            return StreamingResponse(follower.events(), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        piece = deps.store.read_log(run_id, offset, limit=LOG_LIMIT)
        complete = record.finished and piece.next_offset >= record.log_bytes
        return Response(piece.data, media_type="text/plain; charset=utf-8", headers={
            "X-Log-Offset": str(piece.next_offset), "X-Log-Size": str(piece.size),
            "X-Log-Complete": "true" if complete else "false", "X-Run-Status": record.status.value,
        })

    return router
