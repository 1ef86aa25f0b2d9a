"""Workers and queues: who listens where, how busy each worker is, and for every waiting run why it waits
(the service's own ``queue_info`` reason: no worker on its queue, runs ahead of it, or no free slot)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from tasks_engine.api.console.context import ConsoleContext
from tasks_engine.api.console.render import fragment, page
from tasks_engine.api.metrics import known_queues
from tasks_engine.store import Role

WAITING_SHOWN = 50


def router(context: ConsoleContext, route_class: type[APIRoute]) -> APIRouter:
    api = APIRouter(route_class=route_class)
    deps, sessions = context.deps, context.sessions

    def overview() -> dict[str, Any]:
        store, runs = deps.store, deps.runs
        workers = store.workers()
        names, pending = known_queues(store, deps.settings)
        queues = [{"name": q, "queued": pending.get(q, 0), "messages": store.queue_length(q),
                   "workers": [w.worker_id for w in workers if q in w.queues]} for q in names]
        waiting = []
        for record in runs.list(status="Queued", top=WAITING_SHOWN).runs:
            info = runs.queue_info(record)
            waiting.append({"run": record.to_dict(), "info": info.to_dict() if info else None})
        return {"workers": [w.to_dict() for w in workers], "queues": queues, "waiting": waiting}

    @api.get("/workers")
    def workers_page(request: Request) -> Response:
        viewer = sessions.authorize(request, Role.READER)
        return page("workers.html", viewer=viewer, active="workers", **overview())

    @api.get("/workers/live")
    def workers_live(request: Request) -> Response:
        sessions.authorize(request, Role.READER, page=False)
        return fragment("workers_body.html", **overview())

    return api
