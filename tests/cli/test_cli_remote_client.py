"""HTTP failures become one-line engine errors naming the server and the reason; never a traceback, never
the token."""

from __future__ import annotations

import socket

import httpx
import pytest

from tasks_engine.cli.errors import CommandError, RequestRejected, ServerUnavailable
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.endpoint import Endpoint
from tasks_engine.cli.remote.sse import EventParser
from tasks_engine.errors import DefinitionError, EngineError, UsageError

SERVER = "http://tasks.example:8080"
TOKEN = "te_secret-token-value"


def client_answering(status: int, body: object = None, **headers: str) -> ApiClient:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return ApiClient(Endpoint(SERVER, TOKEN), transport=httpx.MockTransport(handle))


def error(status: int, code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"status": status, "code": code, "message": message, **extra}}


@pytest.mark.parametrize(("status", "code", "kind", "needle"), [
    (401, "unauthorized", CommandError, f"the server at {SERVER} refused the token (HTTP 401: no such token)"),
    (403, "forbidden", CommandError, "the token's role does not allow it"),
    (404, "not_found", CommandError, "no such token"),
    (409, "conflict", CommandError, "no such token"),
    (413, "too_large", CommandError, "refused the request as too large (HTTP 413"),
    (416, "range_not_satisfiable", CommandError, "beyond the end of the log"),
    (503, "unavailable", ServerUnavailable, f"the server at {SERVER} is unavailable (HTTP 503"),
    (400, "bad_request", RequestRejected, "rejected the request: no such token"),
    (500, "internal", CommandError, "answered HTTP 500: no such token"),
])
def test_statuses_map_to_one_line_errors(status: int, code: str, kind: type[EngineError], needle: str) -> None:
    with client_answering(status, error(status, code, "no such token")) as client, pytest.raises(kind) as info:
        client.get_run("ca1")
    text = str(info.value)
    assert needle in text and "\n" not in text and TOKEN not in text


def test_invalid_request_lists_the_fields() -> None:
    body = error(422, "invalid_request", "invalid", fields=[{"field": "build.tags[0]", "message": "empty"}])
    with client_answering(422, body) as client, pytest.raises(RequestRejected, match=r"build\.tags\[0\]: empty"):
        client.create_run({"kind": "cmd", "cmd": "x"})
    assert issubclass(RequestRejected, UsageError)  # exit 2: the command line needs fixing


def test_invalid_task_carries_the_problems() -> None:
    problem = {"severity": "error", "message": "steps is required", "line": 3, "column": 5, "path": "steps",
               "file": "acb.yaml"}
    with client_answering(422, error(422, "invalid_task", "invalid", problems=[problem])) as client, \
            pytest.raises(DefinitionError) as info:
        client.create_run({"kind": "encoded", "encodedTask": "eA=="})
    assert [p.format() for p in info.value.problems] == ["acb.yaml:3:5: error: steps is required (at steps)"]


def test_an_error_that_is_not_json_still_names_the_status() -> None:
    with client_answering(502, b"<html>bad gateway</html>") as client, pytest.raises(CommandError) as info:
        client.get_run("ca1")
    assert str(info.value) == f"the server at {SERVER} answered HTTP 502: Bad Gateway"


def test_a_reply_that_is_not_json_is_a_command_error() -> None:
    with client_answering(200, b"not json") as client, pytest.raises(CommandError, match="other than JSON"):
        client.get_run("ca1")


def test_connection_refused_names_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with ApiClient(Endpoint(url, TOKEN)) as client, pytest.raises(ServerUnavailable) as info:
        client.list_tasks()
    assert str(info.value).startswith(f"cannot reach the Tasks Engine server at {url}: ")


def test_a_dropped_stream_is_server_unavailable_and_the_offset_survives() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        def body():  # type: ignore[no-untyped-def]
            yield b'id: 6\nevent: log\ndata: "hello\\n"\n\n'
            raise httpx.ReadError("connection reset by peer")
        return httpx.Response(200, content=body())

    parser = EventParser()
    with ApiClient(Endpoint(SERVER, TOKEN), transport=httpx.MockTransport(handle)) as client:
        events = []
        with pytest.raises(ServerUnavailable, match="lost the connection"):
            for event in client.follow_log("ca1", parser):
                events.append(event)
    assert [e.data for e in events] == ['"hello\\n"'] and parser.last_id == "6"


def test_path_segments_are_quoted() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"runId": "x"})

    with ApiClient(Endpoint(SERVER, TOKEN), transport=httpx.MockTransport(handle)) as client:
        client.get_run("../tokens")
    assert seen == ["/v1/runs/..%2Ftokens"]


def test_listings_accept_a_wrapped_or_bare_list() -> None:
    with client_answering(200, {"tasks": [{"name": "a"}, 3]}) as client:
        assert client.list_tasks() == [{"name": "a"}]
    with client_answering(200, [{"name": "b"}]) as client:
        assert client.list_tasks() == [{"name": "b"}]
    with client_answering(200, {"tasks": 1}) as client, pytest.raises(CommandError):
        client.list_tasks()
