"""The exception -> HTTP table, the error JSON, the body caps and the catch-all, on a small app of their own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel

from tasks_engine.api import errors
from tasks_engine.api.middleware import BodyLimitMiddleware, CatchAllMiddleware
from tasks_engine.api.strict import QueryInt
from tasks_engine.errors import (
    ConflictError,
    DefinitionError,
    NotFoundError,
    PermanentError,
    Problem,
    Severity,
    TransientError,
    UsageError,
)
from tasks_engine.service.runinput import InvalidFieldError
from tasks_engine.store import LogRangeError
from tasks_engine.store.blobs import BlobDigestMismatch, BlobNotFound, BlobTooLarge

PROBLEM = Problem(Severity.ERROR, "unknown step 'nowhere'", line=5, column=11, path="steps[0].when[0]",
                  file="acb.yaml")


@pytest.mark.parametrize(("exc", "status", "code"), [
    (DefinitionError([PROBLEM]), 422, "invalid_task"),
    (InvalidFieldError("build.tags[0]", "bad tag"), 422, "invalid_request"),
    (BlobTooLarge(10), 413, "too_large"),
    (BlobDigestMismatch("mismatch"), 422, "invalid_request"),
    (BlobNotFound("gone"), 404, "not_found"),
    (NotFoundError("no run"), 404, "not_found"),
    (ConflictError("exists"), 409, "conflict"),
    (UsageError("odd"), 400, "bad_request"),
    (TransientError("Redis is not reachable"), 503, "unavailable"),
    (LogRangeError(12), 416, "range_not_satisfiable"),
])
def test_each_error_class_has_one_answer(exc: Exception, status: int, code: str) -> None:
    error = errors.api_error_for(exc)
    assert error is not None
    assert (error.status, error.code) == (status, code)
    assert error.body()["error"]["status"] == status


def test_the_table_leaves_bugs_and_permanent_errors_to_the_500_path() -> None:
    assert errors.api_error_for(RuntimeError("boom")) is None
    assert errors.api_error_for(PermanentError("Redis error: WRONGTYPE")) is None


def test_details_travel_with_the_error() -> None:
    invalid = errors.api_error_for(DefinitionError([PROBLEM]))
    assert invalid is not None and invalid.problems == [PROBLEM.to_dict()]
    assert invalid.body()["error"]["problems"][0]["line"] == 5
    unavailable = errors.api_error_for(TransientError("down"))
    assert unavailable is not None and unavailable.headers["Retry-After"] == "2"
    beyond = errors.api_error_for(LogRangeError(12))
    assert beyond is not None and beyond.headers["X-Log-Size"] == "12"
    field = errors.api_error_for(InvalidFieldError("values.a=b", "no '=' in keys"))
    assert field is not None and field.fields == [{"field": "values.a=b", "message": "no '=' in keys"}]


@pytest.mark.parametrize(("loc", "path"), [
    (("body", "build", "tags", 0), "build.tags[0]"), (("query", "top"), "top"), (("body",), "body"),
    (("header", "X-Content-SHA256"), "X-Content-SHA256"), (("body", "credentials", 2, "password"),
                                                          "credentials[2].password"),
])
def test_pydantic_locations_become_field_paths(loc: tuple[object, ...], path: str) -> None:
    assert errors.field_path(loc) == path


class Body(BaseModel):
    name: str
    count: int = 0


@pytest.fixture
def client(app_client: Callable[[Any], Any]) -> Iterator[Any]:
    app = FastAPI()

    @app.post("/echo")
    def echo(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/raise/{what}")
    def raise_(what: str) -> None:
        raise {"missing": NotFoundError("no such run"), "bug": ZeroDivisionError("x"),
               "redis": TransientError("Redis is not reachable")}[what]

    for exc_class in errors.HANDLED:
        app.add_exception_handler(exc_class, errors.handle)
    app.add_middleware(BodyLimitMiddleware, limit_for=lambda path: (64, "service.maxRequestBytes"))
    app.add_middleware(CatchAllMiddleware)
    yield app_client(app)


def test_validation_errors_name_the_fields(client: Any) -> None:
    reply = client.post("/echo", json={"count": "three"})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "invalid_request"
    assert {f["field"] for f in error["fields"]} == {"name", "count"}
    assert "three" not in reply.text  # the input is not echoed back (it may be a secret)
    broken = client.post("/echo", content=b"{nope", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"]["fields"][0]["field"] == "body"


def test_unknown_routes_and_methods_are_json_too(client: Any) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.delete("/echo")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_service_errors_go_through_the_table(client: Any) -> None:
    assert client.get("/raise/missing").json()["error"] == {"status": 404, "code": "not_found",
                                                           "message": "no such run"}
    down = client.get("/raise/redis")
    assert down.status_code == 503 and down.headers["retry-after"] == "2"


def test_a_bug_is_logged_with_an_id_and_answered_500_without_a_traceback(client: Any,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="tasks_engine.api"):
        reply = client.get("/raise/bug")
    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "internal" and "Traceback" not in reply.text and "ZeroDivision" not in reply.text
    incident = error["message"].rpartition("logged as ")[2].rstrip(")")
    record = next(r for r in caplog.records if incident in r.getMessage())
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_bodies_above_the_cap_are_413_by_length_and_by_count(client: Any) -> None:
    big = b'{"name": "' + b"x" * 100 + b'"}'
    declared = client.post("/echo", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"
    assert "service.maxRequestBytes" in declared.json()["error"]["message"]

    async def chunked() -> AsyncIterator[bytes]:
        yield big[:50]
        yield big[50:]

    streamed = client.post("/echo", content=chunked(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/echo", json={"name": "ok"}).status_code == 200


@pytest.mark.parametrize("text", [" 1", "+1", "1_0", "1.0", "1e2", "\u0661", ""])
def test_query_integers_accept_digits_only(app_client: Callable[[Any], Any], text: str) -> None:
    """pydantic alone takes " 1", "+1", "1_0", "1.0": the OpenAPI document says integer, so they are 422."""
    app = FastAPI()
    for exc_class in errors.HANDLED:
        app.add_exception_handler(exc_class, errors.handle)

    app.get("/n")(_echo_top)

    client = app_client(app)
    assert client.get("/n", params={"top": "12"}).json() == {"top": 12}
    reply = client.get("/n", params={"top": text})
    assert reply.status_code == 422
    assert reply.json()["error"]["fields"][0]["field"] == "top"


def _echo_top(top: Annotated[QueryInt, Query(ge=1)] = 15) -> dict[str, int]:
    return {"top": top}
