"""``/v1/webhooks/*`` (git forges and the registry start runs) and ``/v1/deps``, ``/v1/triggers`` (what a base-image
change would rebuild, what the cascade suppressed and why).

Webhooks carry no bearer token: a forge authenticates with the task's webhook secret (an HMAC of the raw body,
or GitLab's token), the registry with the header token its configuration sends. The handler reads the raw
body untouched (the signature covers those exact bytes) and processes the delivery inline, in a worker
thread: routing and queueing take milliseconds, far inside the forges' 10 s. Answers:

* ``202 {"status": "accepted", "runs": [...]}`` — runs queued (or found: the same commit's run exists);
* ``200 {"status": "duplicate"|"ignored", ...}`` — a replayed delivery id, a ping, a deleted branch, a tag
  nobody asked for: no run, and no reason for the forge to redeliver;
* ``401`` with no detail — unsigned, wrongly signed, or for a repository no task watches (the reason is
  logged and counted in ``tasks_engine_webhook_deliveries_total{result="unauthorized"}``);
* ``400`` — a malformed body whose signature verifies (the sender has a bug);
* ``503`` — Redis unreachable: the registry retries until it gets a 2xx, a forge can redeliver.
"""

from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse, Response

from tasks_engine.api import schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import ApiError, field_error
from tasks_engine.api.strict import QueryInt
from tasks_engine.errors import TriggerError
from tasks_engine.service.depindex import impact_of
from tasks_engine.service.triggering import Triggers
from tasks_engine.store import Role, TokenRecord
from tasks_engine.triggers import TriggerConfigError

Forge = Literal["github", "gitlab", "generic"]
HOOK_ERRORS = {**schemas.errors(400, 401, 413, 503)}


def _unauthorized() -> ApiError:
    return ApiError(401, "the delivery is not authenticated")


def triggers_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1")
    reader = auth.require(Role.READER)

    def triggers() -> Triggers:
        if deps.triggers is None:
            raise ApiError(503, "this API process serves no triggers")
        return deps.triggers

    @router.post("/webhooks/registry", tags=["webhooks"], response_model=None,
                 responses={**schemas.ok(schemas.DeliveryOut, "the notification's pushes were decided"),
                            **HOOK_ERRORS})
    async def registry_hook(request: Request) -> Response:
        """The distribution registry's notifications (``events.v1+json``/``v2+json``), authenticated by the
        ``Authorization: Bearer <service.registryWebhookToken>`` header its configuration sends."""
        body = await request.body()
        headers = dict(request.headers)
        service = triggers().webhooks
        try:
            result = await anyio.to_thread.run_sync(lambda: service.registry(headers, body))
        except TriggerError as exc:
            if exc.status == 401:
                raise _unauthorized() from None
            raise
        return JSONResponse(result)

    @router.post("/webhooks/{provider}", tags=["webhooks"], response_model=None,
                 responses={**schemas.ok(schemas.DeliveryOut, "a replay, or an event that starts nothing"),
                            202: {"model": schemas.DeliveryOut, "description": "runs queued"}, **HOOK_ERRORS})
    async def git_hook(provider: Forge, request: Request) -> Response:
        """A GitHub (``X-Hub-Signature-256``), GitLab (``X-Gitlab-Token``) or generic (GitHub-signed
        ``{repositoryUrl, branch, commit}``) delivery: starts every enabled task whose repository, branch and
        path filters match and whose webhook secret verifies it."""
        body = await request.body()
        headers = dict(request.headers)
        service = triggers().webhooks
        try:
            result = await anyio.to_thread.run_sync(lambda: service.git(provider, headers, body))
        except TriggerError as exc:
            if exc.status == 401:
                raise _unauthorized() from None
            raise
        return JSONResponse(result, status_code=202 if result["status"] == "accepted" else 200)

    @router.get("/deps/impact", tags=["triggers"], response_model=None,
                responses={**schemas.ok(schemas.ImpactOut, "the rebuild plan"), **schemas.v1_errors()})
    def deps_impact(image: Annotated[str, Query(min_length=1, max_length=512, description="an image reference")],
                    _: Annotated[TokenRecord, Depends(reader)]) -> Response:
        """Which tasks would rebuild if ``image`` changed, transitively, in which generation (nothing runs)."""
        index = triggers().index.index()
        try:
            plan = impact_of(index, image.strip(), max_generations=deps.settings.cascade_max_generations)
        except TriggerConfigError as exc:
            raise field_error("image", exc.reason) from None
        return JSONResponse(plan)

    @router.get("/triggers/events", tags=["triggers"], response_model=None,
                responses={**schemas.ok(schemas.TriggerEventsOut, "newest first"), **schemas.v1_errors()})
    def trigger_events(_: Annotated[TokenRecord, Depends(reader)],
                       top: Annotated[QueryInt, Query(ge=1, le=500)] = 50) -> Response:
        """Recent image updates the cascade did not turn into runs, and why (cycle, depth_limit, duplicate,
        coalesced, unchanged, disabled)."""
        return JSONResponse({"events": deps.store.trigger_events(int(top))})

    return router
