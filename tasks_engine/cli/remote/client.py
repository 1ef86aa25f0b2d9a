"""The CLI's HTTP client for the Tasks Engine API (docs/api.md): the only module of the CLI that imports httpx.

Why one module (httpx's own ``map_httpcore_exceptions``): every HTTP failure becomes one of the engine's
errors here, with a one-line message that names the server and the reason, so no command ever shows a
traceback or branches on ``httpx`` types:

* connection refused, DNS, timeouts, a dropped stream, 503 -> ``ServerUnavailable`` (exit 1; reads retry);
* 401/403, 404, 409, 413, 416, other statuses -> ``CommandError`` (exit 1);
* 400 and 422 ``invalid_request`` -> ``RequestRejected`` (a usage error, exit 2);
* 422 ``invalid_task`` -> ``DefinitionError`` with the server's problems, printed like ``validate`` prints them.

The token travels only in the ``Authorization`` header; it is never part of a message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, NoReturn
from urllib.parse import quote

import httpx

from tasks_engine.cli.errors import CommandError, RequestRejected, ServerUnavailable
from tasks_engine.cli.remote.endpoint import TOKEN_ENV, Endpoint
from tasks_engine.cli.remote.sse import Event, EventParser
from tasks_engine.errors import DefinitionError, Problem, Severity, UsageError

USER_AGENT = "tasks-engine-cli/0.1.0"
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The server pings every 15 s of silence; four missed pings mean the connection is gone.
_FOLLOW_TIMEOUT = httpx.Timeout(30.0, connect=10.0, read=60.0)
_UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=600.0, read=600.0)

Json = dict[str, Any]


def _seg(value: str) -> str:
    """A path segment: a run id or task name can never add a path of its own."""
    return quote(value, safe="")


def _problems(items: object) -> list[Problem]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            severity = Severity(str(item.get("severity") or "error"))
        except ValueError:
            severity = Severity.ERROR
        out.append(Problem(severity=severity, message=str(item.get("message") or ""),
                           line=int(item.get("line") or 0), column=int(item.get("column") or 0),
                           path=str(item.get("path") or ""), file=str(item.get("file") or "")))
    return out


class ApiClient:
    """One connection pool to one server; use as a context manager.

    ``transport`` (or the class attribute, for tests that drive ``main``) replaces the network with an
    ``httpx.MockTransport`` in unit tests; integration tests use the real API.
    """

    transport: httpx.BaseTransport | None = None

    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None) -> None:
        self.server = endpoint.server
        self._http = httpx.Client(
            base_url=endpoint.server, timeout=_TIMEOUT, transport=transport or self.transport,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {endpoint.token}", "User-Agent": USER_AGENT},
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self._transport_error(exc)
        if response.status_code >= 400:
            self._status_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Json:
        response = self._send(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise CommandError(f"the server at {self.server} answered {method} {path} with something other "
                               f"than JSON (HTTP {response.status_code})") from None
        if not isinstance(data, dict):
            raise CommandError(f"the server at {self.server} answered {method} {path} with unexpected JSON")
        return data

    def _transport_error(self, exc: httpx.HTTPError) -> NoReturn:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            raise ServerUnavailable(f"cannot reach the Tasks Engine server at {self.server}: {reason}") from None
        if isinstance(exc, httpx.TimeoutException):
            raise ServerUnavailable(f"the Tasks Engine server at {self.server} did not answer in time "
                                    f"({type(exc).__name__})") from None
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            raise UsageError(f"invalid server URL {self.server!r}: {reason}") from None
        if isinstance(exc, httpx.TransportError):
            raise ServerUnavailable(f"lost the connection to the Tasks Engine server at {self.server}: "
                                    f"{reason}") from None
        raise CommandError(f"request to the Tasks Engine server at {self.server} failed: {reason}") from None

    def _status_error(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or response.reason_phrase or "no reason given")
        code = str(error.get("code") or "")
        where = f"the server at {self.server}"
        if status == 401:
            raise CommandError(f"{where} refused the token (HTTP 401: {message}); check {TOKEN_ENV}")
        if status == 403:
            raise CommandError(f"{where} refused the request (HTTP 403: {message}): the token's role does "
                               "not allow it")
        if status == 422 and code == "invalid_task":
            raise DefinitionError(_problems(error.get("problems"))
                                  or [Problem(severity=Severity.ERROR, message=message)])
        if status in (400, 422):
            fields = [f"{f.get('field')}: {f.get('message')}" for f in error.get("fields") or []
                      if isinstance(f, dict)]
            detail = "; ".join(fields) if fields else message
            raise RequestRejected(f"{where} rejected the request: {detail}")
        if status == 413:
            raise CommandError(f"{where} refused the request as too large (HTTP 413: {message})")
        if status == 416:
            raise CommandError(f"{where}: the log offset is beyond the end of the log (HTTP 416: {message})")
        if status == 503:
            raise ServerUnavailable(f"{where} is unavailable (HTTP 503: {message}); try again shortly")
        if status in (404, 409):
            raise CommandError(message)
        raise CommandError(f"{where} answered HTTP {status}: {message}")

    # -- runs -------------------------------------------------------------------------------------------------

    def upload(self, archive: BinaryIO, *, digest: str) -> Json:
        """Stream a packed context (``POST /v1/uploads``); httpx reads the file in chunks."""
        return self._json("POST", "/v1/uploads", content=archive, timeout=_UPLOAD_TIMEOUT,
                          headers={"Content-Type": "application/gzip", "X-Content-SHA256": digest})

    def create_run(self, body: Mapping[str, Any]) -> Json:
        return self._json("POST", "/v1/runs", json=dict(body))

    def get_run(self, run_id: str) -> Json:
        return self._json("GET", f"/v1/runs/{_seg(run_id)}")

    def _list(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[Json]:
        """A listing: ``{"<key>": [...]}`` (or a bare list)."""
        response = self._send("GET", path, params=params)
        try:
            data = response.json()
        except ValueError:
            data = None
        items = data.get(key) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise CommandError(f"the server at {self.server} answered GET {path} with unexpected JSON")
        return [item for item in items if isinstance(item, dict)]

    def list_runs(self, *, task: str | None = None, status: str | None = None, top: int | None = None) -> list[Json]:
        params = {k: v for k, v in (("task", task), ("status", status), ("top", top)) if v not in (None, "")}
        return self._list("/v1/runs", "runs", params)

    def cancel_run(self, run_id: str) -> Json:
        return self._json("POST", f"/v1/runs/{_seg(run_id)}/cancel")

    def follow_log(self, run_id: str, parser: EventParser, *, offset: int = 0) -> Iterator[Event]:
        """One SSE request from byte ``offset``; yields events until the server ends the stream. A dropped
        connection raises ``ServerUnavailable``; ``parser.last_id`` then says where to resume."""
        headers = {"Accept": "text/event-stream"}
        if parser.last_id:
            headers["Last-Event-ID"] = parser.last_id
        params = {"offset": offset, "follow": 1}
        try:
            with self._http.stream("GET", f"/v1/runs/{_seg(run_id)}/logs", params=params, headers=headers,
                                   timeout=_FOLLOW_TIMEOUT) as response:
                if response.status_code >= 400:
                    response.read()
                    self._status_error(response)
                for line in response.iter_lines():
                    event = parser.feed(line)
                    if event is not None:
                        yield event
        except httpx.HTTPError as exc:
            self._transport_error(exc)

    # -- tasks ------------------------------------------------------------------------------------------------

    def create_task(self, body: Mapping[str, Any]) -> Json:
        return self._json("POST", "/v1/tasks", json=dict(body))

    def list_tasks(self) -> list[Json]:
        return self._list("/v1/tasks", "tasks")

    def get_task(self, name: str) -> Json:
        return self._json("GET", f"/v1/tasks/{_seg(name)}")

    def update_task(self, name: str, body: Mapping[str, Any]) -> Json:
        return self._json("PATCH", f"/v1/tasks/{_seg(name)}", json=dict(body))

    def delete_task(self, name: str) -> None:
        self._send("DELETE", f"/v1/tasks/{_seg(name)}")

    def run_task(self, name: str, body: Mapping[str, Any]) -> Json:
        return self._json("POST", f"/v1/tasks/{_seg(name)}/runs", json=dict(body))

    # -- tokens -----------------------------------------------------------------------------------------------

    def list_timers(self, task: str) -> list[Json]:
        return self._list(f"/v1/tasks/{_seg(task)}/timers", "timers")

    def add_timer(self, task: str, body: Mapping[str, Any]) -> list[Json]:
        return list(self._json("POST", f"/v1/tasks/{_seg(task)}/timers", json=dict(body)).get("timers") or [])

    def update_timer(self, task: str, timer: str, body: Mapping[str, Any]) -> list[Json]:
        reply = self._json("PATCH", f"/v1/tasks/{_seg(task)}/timers/{_seg(timer)}", json=dict(body))
        return list(reply.get("timers") or [])

    def remove_timer(self, task: str, timer: str) -> None:
        self._send("DELETE", f"/v1/tasks/{_seg(task)}/timers/{_seg(timer)}")

    def deps_impact(self, image: str) -> Json:
        return self._json("GET", "/v1/deps/impact", params={"image": image})

    def trigger_events(self, top: int) -> list[Json]:
        return self._list("/v1/triggers/events", "events", {"top": top})

    def create_token(self, name: str, role: str) -> Json:
        return self._json("POST", "/v1/tokens", json={"name": name, "role": role})

    def list_tokens(self) -> list[Json]:
        return self._list("/v1/tokens", "tokens")

    def delete_token(self, name: str) -> None:
        self._send("DELETE", f"/v1/tokens/{_seg(name)}")

