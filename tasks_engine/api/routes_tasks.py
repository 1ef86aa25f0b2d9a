"""``/v1/tasks``: named tasks (ACR's task resource) — admins define them, readers see them, runners run them."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path
from starlette.responses import JSONResponse, Response

from tasks_engine.api import mapping, schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.models import TaskBody, TaskPatch, TaskRunBody
from tasks_engine.service.tasks import describe_task
from tasks_engine.store import Role, TokenRecord

TaskName = Annotated[str, Path(min_length=5, max_length=50, pattern=r"^[A-Za-z0-9_-]+$",
                               description="5-50 letters, digits, '_' or '-'")]


def tasks_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["tasks"])
    reader, runner, admin = (auth.require(r) for r in (Role.READER, Role.RUNNER, Role.ADMIN))
    tasks = deps.tasks
    max_bytes = deps.settings.max_request_bytes

    @router.post("/tasks", status_code=201, response_model=None,
                 responses={**schemas.ok(schemas.TaskOut, "the task", 201), **schemas.v1_errors(400, 409, 413)})
    def create_task(body: TaskBody, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        record = tasks.create(mapping.task_spec(body, max_bytes=max_bytes))
        return JSONResponse(describe_task(record), status_code=201, headers={"Location": f"/v1/tasks/{record.name}"})

    @router.get("/tasks", response_model=None,
                responses={**schemas.ok(schemas.TaskListOut, "every task, by name"), **schemas.v1_errors()})
    def list_tasks(_: Annotated[TokenRecord, Depends(reader)]) -> Response:
        return JSONResponse({"tasks": [describe_task(t) for t in tasks.list()]})

    @router.get("/tasks/{name}", response_model=None,
                responses={**schemas.ok(schemas.TaskOut, "the task"), **schemas.v1_errors(404)})
    def show_task(name: TaskName, _: Annotated[TokenRecord, Depends(reader)]) -> Response:
        return JSONResponse(describe_task(tasks.get(name)))

    @router.patch("/tasks/{name}", response_model=None,
                  responses={**schemas.ok(schemas.TaskOut, "the updated task"), **schemas.v1_errors(400, 404, 413)})
    def update_task(name: TaskName, body: TaskPatch, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        """Only the fields sent change; ``values``/``secretValues``/``credentials`` sent replace the stored ones."""
        return JSONResponse(describe_task(tasks.update(name, mapping.task_changes(body, max_bytes=max_bytes))))

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

    return router
