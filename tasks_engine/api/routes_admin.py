"""Tokens (admin), workers (reader), and the unauthenticated probes: ``/healthz``, ``/readyz``, ``/metrics``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from starlette.responses import JSONResponse, Response

from tasks_engine.api import schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import ApiError
from tasks_engine.api.metrics import CONTENT_TYPE, exposition, known_queues
from tasks_engine.api.models import TokenBody
from tasks_engine.api.strict import known_query_only
from tasks_engine.errors import InfrastructureError
from tasks_engine.store import Role, TokenRecord

TokenName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")]


def admin_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1")
    reader, admin = auth.require(Role.READER), auth.require(Role.ADMIN)
    access = deps.access

    @router.post("/tokens", status_code=201, response_model=None, tags=["tokens"],
                 responses={**schemas.ok(schemas.IssuedTokenOut, "the new token; the only time it is shown", 201),
                            **schemas.v1_errors(409, 413)})
    def create_token(body: TokenBody, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        return JSONResponse(access.create(body.name, body.role).to_dict(), status_code=201)

    @router.get("/tokens", response_model=None, tags=["tokens"],
                responses={**schemas.ok(schemas.TokenListOut, "names, roles and dates"), **schemas.v1_errors()})
    def list_tokens(_: Annotated[TokenRecord, Depends(admin)]) -> Response:
        return JSONResponse({"tokens": [t.to_dict() for t in access.list()]})

    @router.delete("/tokens/{name}", status_code=204, response_model=None, tags=["tokens"],
                   responses={204: {"description": "revoked"}, **schemas.v1_errors(404)})
    def delete_token(name: TokenName, _: Annotated[TokenRecord, Depends(admin)]) -> Response:
        access.delete(name)
        return Response(status_code=204)

    @router.get("/workers", response_model=None, tags=["workers"],
                responses={**schemas.ok(schemas.WorkersOut, "live workers and queue depths"),
                           **schemas.v1_errors()})
    def list_workers(_: Annotated[TokenRecord, Depends(reader)]) -> Response:
        store = deps.store
        queues, pending = known_queues(store, deps.settings)
        return JSONResponse({
            "workers": [w.to_dict() for w in store.workers()],
            "queues": {q: {"queued": pending.get(q, 0), "messages": store.queue_length(q)} for q in queues},
        })

    return router


def probes_router(deps: ApiDeps) -> APIRouter:
    router = APIRouter(tags=["health"], dependencies=[Depends(known_query_only)])

    @router.get("/healthz", response_model=None, responses=schemas.ok(schemas.StatusOut, "the process serves"))
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz", response_model=None,
                responses={**schemas.ok(schemas.StatusOut, "Redis answers"), **schemas.errors(503)})
    def readyz() -> Response:
        try:
            deps.store.ping()
        except InfrastructureError as exc:  # down, or refusing us (auth, read-only): not ready
            raise ApiError(503, f"Redis is not reachable: {exc}", headers={"Retry-After": "2"}) from exc
        return JSONResponse({"status": "ok"})

    @router.get("/metrics", response_model=None, responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
        **schemas.errors(503)})
    def metrics() -> Response:
        return Response(exposition(deps.store, deps.settings), media_type=CONTENT_TYPE)

    return router
