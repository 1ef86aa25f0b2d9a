"""Console sign-in: a token typed once becomes a server-side session; every request is checked like the API's.

* The cookie (``te_console``) holds a random session id only: HttpOnly (no script reads it), SameSite=Strict
  (no other site's page makes the browser send it, which is the first line against CSRF), Secure when the
  console is served over https, Path=/console. Sessions live in Redis (``store/sessions.py``) for
  ``SESSION_SECONDS``; logging out deletes them.
* Roles: ``authorize`` calls the API's own ``check_access`` with the session's token digest and the role
  the action needs, so the console allows exactly what the API allows, with the same 401/403 decisions, and
  a revoked token or a changed role applies on the next request.
* CSRF: each session has a random token, put in every POST form and compared in constant time; a POST
  whose ``Origin`` is another origin is refused too. The login form (no session yet) uses a double-submit
  cookie of its own. No route changes state on GET.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tasks_engine.api.auth import Authenticate, check_access
from tasks_engine.api.errors import ApiError
from tasks_engine.store import Role, TokenRecord, token_digest
from tasks_engine.store.sessions import ConsoleSession, SessionStore

COOKIE = "te_console"
LOGIN_COOKIE = "te_console_login"
COOKIE_PATH = "/console"
SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 1800
_SESSION_ID_CHARS = 43  # secrets.token_urlsafe(32)


class LoginRequired(Exception):
    """A page was asked for without a live session: answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the token's record (name, role) and the session's CSRF token for the forms."""

    token: TokenRecord
    csrf: str

    def can(self, role: Role | str) -> bool:
        return self.token.role.allows(Role(role))


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a console path only (never another site: no open redirect)."""
    if path and path.startswith(COOKIE_PATH + "/") and not path.startswith("//") and "\\" not in path \
            and not path.startswith(COOKIE_PATH + "/login"):
        return path
    return COOKIE_PATH + "/runs"


def login_url(next_path: str) -> str:
    return f"{COOKIE_PATH}/login?next={quote(safe_next(next_path), safe='/')}"


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode("utf-8"), expected.encode("utf-8"))


def check_origin(request: Request) -> None:
    """Browsers send ``Origin`` on POST: one naming another host (or ``null``) is a cross-site request.

    Only the host is compared, not the scheme: behind a TLS-terminating proxy the app sees http while the
    browser says https, and the host is what tells another site apart."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise ApiError(403, "this form was sent from another site; open the console and try again")


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


@dataclass
class Sessions:
    store: SessionStore
    authenticate: Authenticate
    now: Callable[[], float] = time.time

    # -- signing in and out -----------------------------------------------------------------------------

    def open(self, token: str) -> str | None:
        """A new session for a valid token (a new id every time: no fixation); None for a bad token."""
        if self.authenticate(token) is None:
            return None
        session_id = secrets.token_urlsafe(32)
        session = ConsoleSession(token_digest(token), secrets.token_urlsafe(32),
                                 int(self.now()) + SESSION_SECONDS)
        self.store.save(session_id, session, ttl=SESSION_SECONDS)
        return session_id

    def close(self, request: Request) -> None:
        session_id = request.cookies.get(COOKIE)
        if session_id:
            self.store.delete(session_id)

    def set_cookie(self, response: Response, request: Request, session_id: str) -> None:
        response.set_cookie(COOKIE, session_id, max_age=SESSION_SECONDS, path=COOKIE_PATH, httponly=True,
                            samesite="strict", secure=secure(request))

    def clear_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure(request))

    # -- every request --------------------------------------------------------------------------------------

    def session(self, request: Request) -> ConsoleSession | None:
        session_id = request.cookies.get(COOKIE, "")
        if len(session_id) != _SESSION_ID_CHARS:
            return None
        found = self.store.get(session_id)
        if found is None or found.expires <= self.now():
            return None
        return found

    def authorize(self, request: Request, needed: Role, *, page: bool = True,
                  form: Mapping[str, str] | None = None) -> Viewer:
        """The viewer, if the session is live, the form (when given) carries its CSRF token, and the token
        has the role ``needed`` (the API's ``check_access``); otherwise a redirect to sign in (pages), 401,
        or 403."""
        session = self.session(request)
        try:
            if session is None:
                raise ApiError(401, "sign in to use the console")
            if form is not None:
                check_origin(request)
                if not _same(form.get("csrf"), session.csrf):
                    raise ApiError(403, "this form has expired or did not come from this session: reload the "
                                   "page and try again")
            record = check_access(session.token_digest, needed, self.store.token_by_digest)
        except ApiError as exc:
            if exc.status == 401 and page:
                raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else "")
                                    ) from exc
            if exc.status == 401:
                raise ApiError(401, "your console session has ended: sign in again") from exc
            raise
        return Viewer(record, session.csrf)

    # -- the login form's own CSRF token (there is no session yet) ----------------------------------------

    @staticmethod
    def login_nonce(request: Request) -> str:
        return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)

    @staticmethod
    def set_login_cookie(response: Response, request: Request, nonce: str) -> None:
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_FORM_SECONDS, path=COOKIE_PATH + "/login",
                            httponly=True, samesite="strict", secure=secure(request))

    @staticmethod
    def clear_login_cookie(response: Response, request: Request) -> None:
        response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH + "/login", httponly=True, samesite="strict",
                               secure=secure(request))

    @staticmethod
    def check_login_form(request: Request, form: Mapping[str, str]) -> None:
        check_origin(request)
        if not _same(form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")):
            raise ApiError(403, "the sign-in form has expired: reload the page and try again")
