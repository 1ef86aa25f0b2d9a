"""``/v1/tasks``: named tasks (ACR's task resource) — admins define them, readers see them, runners run them."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from starlette.responses import JSONResponse, Response

from tasks_engine.api import mapping, schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.models import TaskBody, TaskPatch, TaskRunBody, TimerBody, TimerPatch
from tasks_engine.errors import ConflictError, NotFoundError
from tasks_engine.service.depindex import tracked_bases
from tasks_engine.service.tasks import describe_task
from tasks_engine.service.triggerdefs import TimerDef, settings_of
from tasks_engine.store import Role, TaskRecord, TokenRecord
from tasks_engine.triggers import next_fire, parse_cron

TaskName = Annotated[str, Path(min_length=5, max_length=50, pattern=r"^[A-Za-z0-9_-]+$",
                               description="5-50 letters, digits, '_' or '-'")]
TimerName = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


def tasks_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["tasks"])
    reader, runner, admin = (auth.require(r) for r in (Role.READER, Role.RUNNER, Role.ADMIN))
    tasks = deps.tasks
    max_bytes = deps.settings.max_request_bytes

    @router.post("/tasks", status_code=201, response_model=None,
                 responses={**schemas.ok(schemas.TaskOut, "the task", 201), **schemas.v1_errors(400, 409, 413)})
    def create_task(body: TaskBody, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        """A task with a git context gets a commit trigger and a webhook secret (generated unless given; a
        generated one is in this reply only, as ``webhookSecret``)."""
        record, secret = tasks.create_with_secret(mapping.task_spec(body, max_bytes=max_bytes))
        return JSONResponse(_shown(record, secret), status_code=201, headers={"Location": f"/v1/tasks/{record.name}"})

    @router.get("/tasks", response_model=None,
                responses={**schemas.ok(schemas.TaskListOut, "every task, by name"), **schemas.v1_errors()})
    def list_tasks(_: Annotated[TokenRecord, Depends(reader)]) -> Response:
        return JSONResponse({"tasks": [describe_task(t) for t in tasks.list()]})

    @router.get("/tasks/{name}", response_model=None,
                responses={**schemas.ok(schemas.TaskOut, "the task"), **schemas.v1_errors(404)})
    def show_task(name: TaskName, _: Annotated[TokenRecord, Depends(reader)]) -> Response:
        """The task, plus the base images it is tracked on (with the digest it was built on and the latest
        one seen, and when) and the images it pushes, from the dependency index."""
        return JSONResponse({**describe_task(tasks.get(name)), **tracked_bases(deps.store, name)})

    @router.patch("/tasks/{name}", response_model=None,
                  responses={**schemas.ok(schemas.TaskOut, "the updated task"), **schemas.v1_errors(400, 404, 413)})
    def update_task(name: TaskName, body: TaskPatch, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        """Only the fields sent change; ``values``/``secretValues``/``credentials`` sent replace the stored ones.
        ``rotateWebhookSecret: true`` replaces the webhook secret with a new one, returned in this reply only."""
        record, secret = tasks.update_with_secret(name, mapping.task_changes(body, max_bytes=max_bytes))
        return JSONResponse(_shown(record, secret))

    @router.delete("/tasks/{name}", status_code=204, response_model=None,
                   responses={204: {"description": "deleted"}, **schemas.v1_errors(404)})
    def delete_task(name: TaskName, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        tasks.delete(name)
        return Response(status_code=204)

    @router.post("/tasks/{name}/runs", status_code=201, response_model=None,
                 responses={**schemas.ok(schemas.RunOut, "the queued run", 201),
                            **schemas.v1_errors(400, 404, 409, 413)})
    def run_task(name: TaskName, _: Annotated[TokenRecord, Depends(runner)],
                 body: Annotated[TaskRunBody | None, Body()] = None) -> Response:
        """``az acr task run``: the body's values are merged over the task's own; a Disabled task is 409."""
        body = body or TaskRunBody()
        record = tasks.run(name, values=body.values, secret_values=body.secretValues, agent_pool=body.agentPool)
        return JSONResponse(record.to_dict(), status_code=201, headers={"Location": f"/v1/runs/{record.run_id}"})

    # -- timers (az acr task timer add|update|remove|list) -------------------------------------------------

    def _timers(name: str) -> list[TimerDef]:
        return list(settings_of(tasks.get(name).triggers).timers)

    def _save_timers(name: str, timers: list[TimerDef]) -> Response:
        record, _ = tasks.update_with_secret(name, {"trigger.timers": tuple(timers)})
        return JSONResponse({"timers": timer_list(record)})

    @router.get("/tasks/{name}/timers", response_model=None,
                responses={**schemas.ok(schemas.TimerListOut, "the task's timers"), **schemas.v1_errors(404)})
    def list_timers(name: TaskName, _: Annotated[TokenRecord, Depends(reader)]) -> Response:
        return JSONResponse({"timers": timer_list(tasks.get(name))})

    @router.post("/tasks/{name}/timers", status_code=201, response_model=None,
                 responses={**schemas.ok(schemas.TimerListOut, "the task's timers", 201),
                            **schemas.v1_errors(404, 409)})
    def add_timer(name: TaskName, body: TimerBody, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        timers = _timers(name)
        if any(t.name.lower() == body.name.lower() for t in timers):
            raise ConflictError(f"task {name!r} has a timer named {body.name!r}")
        response = _save_timers(name, [*timers, *mapping.timer_defs([body])])
        response.status_code = 201
        return response

    @router.patch("/tasks/{name}/timers/{timer}", response_model=None,
                  responses={**schemas.ok(schemas.TimerListOut, "the task's timers"), **schemas.v1_errors(404)})
    def update_timer(name: TaskName, timer: TimerName, body: TimerPatch,
                     _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        timers = _timers(name)
        found = next((t for t in timers if t.name.lower() == timer.lower()), None)
        if found is None:
            raise NotFoundError(f"task {name!r} has no timer {timer!r}")
        changed = replace(found, schedule=body.schedule if body.schedule is not None else found.schedule,
                          enabled=body.enabled if body.enabled is not None else found.enabled)
        return _save_timers(name, [changed if t is found else t for t in timers])

    @router.delete("/tasks/{name}/timers/{timer}", status_code=204, response_model=None,
                   responses={204: {"description": "removed"}, **schemas.v1_errors(404)})
    def remove_timer(name: TaskName, timer: TimerName, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        timers = _timers(name)
        kept = [t for t in timers if t.name.lower() != timer.lower()]
        if len(kept) == len(timers):
            raise NotFoundError(f"task {name!r} has no timer {timer!r}")
        tasks.update_with_secret(name, {"trigger.timers": tuple(kept)})
        return Response(status_code=204)

    return router


def _shown(record: TaskRecord, secret: str | None) -> dict[str, Any]:
    data = describe_task(record)
    if secret is not None:
        data["webhookSecret"] = secret  # generated now: shown this once, never again
    return data


def timer_list(record: TaskRecord) -> list[dict[str, Any]]:
    """Each timer with its next occurrence (UTC)."""
    now = datetime.now(UTC)
    out = []
    for timer in settings_of(record.triggers).timers:
        upcoming = next_fire(parse_cron(timer.schedule), now) if timer.enabled and record.status == "Enabled" else None
        out.append({"name": timer.name, "schedule": timer.schedule, "enabled": timer.enabled,
                    "created": timer.created or None,
                    "nextOccurrence": upcoming.strftime("%Y-%m-%dT%H:%M:%SZ") if upcoming else None})
    return out
