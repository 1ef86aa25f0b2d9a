"""Console sign-in, sessions, CSRF and headers: the token never reaches the browser, cookies are locked down,
every POST carries the session's CSRF token, roles are the API's, and errors are HTML pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from console_support import Console, make_console

from tasks_engine.api.console.app import CSP
from tasks_engine.api.console.session import COOKIE, safe_next
from tasks_engine.store import Role, token_digest
from tasks_engine.store.sessions import session_digest


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return make_console(tmp_path)


def test_pages_redirect_to_sign_in_and_fragments_answer_401(console: Console) -> None:
    page = console.client.get("/console/runs?status=Failed")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=/console/runs%3Fstatus%3DFailed"
    for path in ("/console/runs/rows", "/console/workers/live", "/console/runs/ca1/log/events"):
        reply = console.client.get(path)
        assert reply.status_code == 401 and reply.headers["content-type"].startswith("text/html"), path


def test_signing_in_keeps_only_a_random_session_id_in_a_locked_down_cookie(console: Console) -> None:
    reply = console.login(Role.RUNNER)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/runs"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path", "samesite", "max-age"} <= parts and "secure" not in parts
    assert "SameSite=strict" in cookie and "Path=/console" in cookie
    session_id = cookie.split(";")[0].split("=", 1)[1]
    token = console.tokens[Role.RUNNER]
    assert token not in cookie and token_digest(token) not in cookie
    stored = console.store.client.hgetall(console.store.keys.session(session_digest(session_id)))
    assert stored[b"token"] == token_digest(token).encode() and token.encode() not in b"".join(stored.values())
    assert 0 < console.store.client.ttl(console.store.keys.session(session_digest(session_id))) <= 8 * 3600
    page = console.client.get("/console/runs")
    assert page.status_code == 200 and "runner" in page.text and token not in page.text


def test_over_https_the_cookie_is_secure(tmp_path: Path) -> None:
    console = make_console(tmp_path)
    console.client.base_url = "https://console.test"  # type: ignore[assignment]
    reply = console.login()
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    assert "Secure" in cookie


def test_a_bad_token_a_missing_login_nonce_and_a_foreign_origin_are_refused(console: Console) -> None:
    form = console.client.get("/console/login")
    nonce = console.csrf(form)
    bad = console.client.post("/console/login", data={"csrf": nonce, "token": "te_nope"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text and COOKIE + "=" not in bad.headers.get(
        "set-cookie", "")
    no_nonce = console.client.post("/console/login", data={"csrf": "guess", "token": console.tokens[Role.ADMIN]})
    assert no_nonce.status_code == 403
    foreign = console.client.post("/console/login", data={"csrf": nonce, "token": console.tokens[Role.ADMIN]},
                                  headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "another site" in foreign.text
    assert console.client.get("/console/runs").status_code == 303  # still signed out


def test_posts_need_the_sessions_csrf_token(console: Console) -> None:
    console.login(Role.RUNNER)
    for data in ({"other": "1"}, {"csrf": "x" * 43}):
        reply = console.client.post("/console/logout", data=data)
        assert reply.status_code == 403 and "reload the page" in reply.text
    json_body = console.client.post("/console/logout", json={"csrf": "x"})
    assert json_body.status_code == 415
    assert console.client.get("/console/runs").status_code == 200  # still signed in


def test_signing_out_ends_the_session_on_the_server(console: Console) -> None:
    console.login()
    page = console.client.get("/console/runs")
    old_cookie = console.client.cookies.get(COOKIE)
    reply = console.client.post("/console/logout", data={"csrf": console.csrf(page)})
    assert reply.status_code == 303 and reply.headers["location"] == "/console/login"
    console.client.cookies.set(COOKIE, str(old_cookie), path="/console")  # a copy of the cookie is worthless now
    assert console.client.get("/console/runs").status_code == 303


def test_revoking_the_token_ends_its_sessions(console: Console) -> None:
    console.login(Role.READER)
    assert console.client.get("/console/runs").status_code == 200
    console.store.delete_token("reader")
    assert console.client.get("/console/runs").status_code == 303


def test_after_sign_in_only_console_paths_are_followed() -> None:
    assert safe_next("/console/runs/ca1/log#L3") == "/console/runs/ca1/log#L3"
    for bad in ("https://evil.example/", "//evil.example/console/", "/v1/tokens", "/console\\..", "",
                "/console/login?next=x"):
        assert safe_next(bad) == "/console/runs", bad


def test_every_answer_has_the_strict_headers_static_files_too(console: Console) -> None:
    assert "script-src 'self'" in CSP and "unsafe" not in CSP and "frame-ancestors 'none'" in CSP
    console.login()
    for path in ("/console/login", "/console/runs", "/console/static/console.js", "/console/static/console.css",
                 "/console/nowhere"):
        reply = console.client.get(path)
        assert reply.headers["content-security-policy"] == CSP, path
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"
    assert console.client.get("/console/runs").headers["cache-control"] == "no-store"
    assert console.client.get("/console/static/console.js").headers["content-type"].startswith("text/javascript")


def test_pages_have_no_inline_script_or_style(console: Console) -> None:
    console.login()
    for path in ("/console/login", "/console/runs", "/console/tasks", "/console/graph", "/console/workers"):
        text = console.client.get(path).text
        assert "<script>" not in text and "<style" not in text and " style=" not in text and " on" + "click" not in text


def test_console_errors_are_pages_and_the_api_keeps_json(console: Console) -> None:
    console.login()
    missing = console.client.get("/console/runs/ca999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "run &#39;ca999&#39; not found" in missing.text or "ca999" in missing.text
    assert console.client.get("/console/nowhere").status_code == 404
    assert console.client.get("/console/runs/ca1/cancel").status_code == 405
    api = console.client.get("/v1/runs/ca999", headers={"Authorization": f"Bearer {console.tokens[Role.ADMIN]}"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    schema = console.client.get("/openapi.json").json()
    assert not [p for p in schema["paths"] if p.startswith("/console")]
