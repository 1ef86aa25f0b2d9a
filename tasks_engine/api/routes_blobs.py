"""Uploaded build contexts: ``POST /v1/uploads`` (runners) and ``GET /v1/blobs/{digest}`` (workers, signed).

An upload is streamed straight into the blob store, which hashes it and enforces ``service.maxUploadBytes``
as the bytes arrive; the store's ``put`` is synchronous file I/O, so it runs in a worker thread and pulls
each chunk from the event loop (``anyio.from_thread``) instead of buffering the body. Workers authenticate a
fetch by an HMAC signature over the digest and an expiry (``service/blobauth.py``), not by an API token.
"""

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, BinaryIO

import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response, StreamingResponse

from tasks_engine.api import schemas
from tasks_engine.api.auth import Auth
from tasks_engine.api.deps import ApiDeps
from tasks_engine.api.errors import ApiError, field_error
from tasks_engine.api.strict import known_query_only
from tasks_engine.errors import TransientError
from tasks_engine.service.blobauth import verify_blob
from tasks_engine.store import Role, TokenRecord
from tasks_engine.store.blobs import DIGEST

DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"
_CHUNK = 1 << 20
_UPLOAD_BODY: dict[str, Any] = {"requestBody": {
    "required": True, "description": "the context as a tar.gz, streamed",
    "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}}}


def _expected_digest(header: str | None) -> str | None:
    if header is None:
        return None
    value = header.strip().lower()
    if not DIGEST.fullmatch(value):
        raise field_error("X-Content-SHA256", "expected sha256:<64 lowercase hex digits>")
    return value


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def blobs_router(deps: ApiDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["uploads"])
    runner = auth.require(Role.RUNNER)
    limit = deps.settings.max_upload_bytes

    @router.post("/uploads", status_code=201, response_model=None, openapi_extra=_UPLOAD_BODY,
                 responses={**schemas.ok(schemas.UploadOut, "stored; use upload:<digest> as a run's context",
                                         201), **schemas.v1_errors(413)})
    async def upload_context(request: Request, _: Annotated[TokenRecord, Depends(runner)],
                             sha256: Annotated[str | None, Header(alias="X-Content-SHA256", max_length=80)] = None,
                             ) -> Response:
        """Store a build context (``tasks-engine build`` packs it); a digest mismatch is refused (422)."""
        expected = _expected_digest(sha256)
        stream: AsyncIterator[bytes] = request.stream().__aiter__()

        async def next_chunk() -> bytes | None:
            try:
                return await stream.__anext__()
            except StopAsyncIteration:
                return None

        def chunks() -> Iterator[bytes]:
            while (chunk := anyio.from_thread.run(next_chunk)) is not None:
                if chunk:
                    yield chunk

        try:
            digest, size = await anyio.to_thread.run_sync(
                lambda: deps.blobs.put(chunks(), expected=expected, max_bytes=limit))
        except ClientDisconnect:  # the client went away mid-upload; the partial file is already deleted
            return Response(status_code=400)
        except OSError as exc:  # the blob folder is full or unwritable: the operator's to fix, the client may retry
            raise TransientError(f"cannot store the upload: {exc.strerror or exc}") from exc
        return JSONResponse({"digest": digest, "size": size}, status_code=201)

    @router.get("/blobs/{digest}", response_model=None, dependencies=[Depends(known_query_only)], responses={
        200: {"description": "the upload's bytes", "content": {"application/gzip": {"schema": {
            "type": "string", "format": "binary"}}}},
        **schemas.errors(401, 404, 422)})
    def fetch_blob(digest: Annotated[str, Path(max_length=80)],
                   expires: Annotated[str | None, Query(max_length=20)] = None,
                   signature: Annotated[str | None, Query(max_length=128)] = None) -> Response:
        """For workers: a URL signed with the server key (``blobauth.sign_blob``), valid until ``expires``."""
        if not (expires and expires.isascii() and expires.isdigit() and signature  # '³'.isdigit() is True
                and verify_blob(digest, int(expires), signature, deps.server_keys)):
            raise ApiError(401, "missing, wrong or expired blob signature")
        if not DIGEST.fullmatch(digest):
            raise ApiError(404, f"no uploaded context {digest}")
        try:
            handle = deps.blobs.open(digest)
        except OSError as exc:
            raise TransientError(f"cannot read the upload: {exc.strerror or exc}") from exc
        deps.blobs.touch(digest)
        headers = {"X-Content-SHA256": digest}
        with contextlib.suppress(OSError, ValueError, AttributeError):  # a store whose handle is no file
            headers["Content-Length"] = str(os.fstat(handle.fileno()).st_size)
        return StreamingResponse(_file_chunks(handle), media_type="application/gzip", headers=headers)

    return router
