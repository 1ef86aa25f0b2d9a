"""Tasks (what each runs, its triggers and timers, the base images it is tracked on, its last runs, a run
button for runners) and the base-image graph (what rebuilds when an image changes, drawn)."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from tasks_engine.api.console.context import ConsoleContext, form_fields
from tasks_engine.api.console.graph import dependency_index, layout, tracked_images
from tasks_engine.api.console.render import page
from tasks_engine.api.console.session import COOKIE_PATH
from tasks_engine.service.tasks import describe_task
from tasks_engine.store import Role, TaskRecord
from tasks_engine.triggers import DependencyIndex, impact

Form = Annotated[dict[str, str], Depends(form_fields)]
LAST_RUNS = 5
_KNOWN_TRIGGERS = ("sourceTriggers", "timerTriggers", "baseImageTrigger")


def _list(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def router(context: ConsoleContext, route_class: type[APIRoute]) -> APIRouter:
    api = APIRouter(route_class=route_class)
    deps, sessions = context.deps, context.sessions
    runs, tasks = deps.runs, deps.tasks

    def card(record: TaskRecord, index: DependencyIndex) -> dict[str, Any]:
        triggers = record.triggers if isinstance(record.triggers, Mapping) else {}
        node = index.node(record.name)
        bases = [{"image": b.image, "kind": b.kind.value, "digest": b.digest, "followed": node.edge(i) is not None}
                 for i, b in sorted(node.bases.items())] if node else []
        return {
            "task": describe_task(record), "runs": [r.to_dict() for r in runs.list(task=record.name,
                                                                                  top=LAST_RUNS).runs],
            "bases": bases, "outputs": sorted(node.outputs) if node else [],
            "sources": _list(triggers.get("sourceTriggers")), "timers": _list(triggers.get("timerTriggers")),
            "base_trigger": triggers.get("baseImageTrigger") if isinstance(triggers.get("baseImageTrigger"),
                                                                           Mapping) else None,
            "other_triggers": {k: v for k, v in triggers.items() if k not in _KNOWN_TRIGGERS},
        }

    @api.get("/tasks")
    def tasks_page(request: Request) -> Response:
        viewer = sessions.authorize(request, Role.READER)
        records = tasks.list()
        index = dependency_index(deps, records)
        return page("tasks.html", viewer=viewer, active="tasks", cards=[card(t, index) for t in records])

    @api.post("/tasks/{name}/run")
    def run_task(request: Request, name: str, form: Form) -> Response:
        sessions.authorize(request, Role.RUNNER, form=form)
        record = tasks.run(name)
        return RedirectResponse(f"{COOKIE_PATH}/runs/{record.run_id}", status_code=303)

    @api.get("/graph")
    def graph_page(request: Request, image: Annotated[str, Query(max_length=300)] = "") -> Response:
        viewer = sessions.authorize(request, Role.READER)
        index = dependency_index(deps, tasks.list())
        chosen = impact(index, image.strip()) if image.strip() else None
        return page("graph.html", viewer=viewer, active="graph", drawing=layout(index, chosen), chosen=chosen,
                    image=image.strip(), images=tracked_images(index))

    return api
