"""Signing in and out. The token is typed into a password field, checked, and forgotten: only the session
id goes back to the browser (``session.py``)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from tasks_engine.api.console.context import ConsoleContext, form_fields
from tasks_engine.api.console.render import page
from tasks_engine.api.console.session import COOKIE_PATH, safe_next
from tasks_engine.store import Role

Form = Annotated[dict[str, str], Depends(form_fields)]


def router(context: ConsoleContext, route_class: type[APIRoute]) -> APIRouter:
    api = APIRouter(route_class=route_class)
    sessions = context.sessions

    def login_page(request: Request, next_path: str, *, message: str = "", status: int = 200) -> Response:
        nonce = sessions.login_nonce(request)
        response = page("login.html", viewer=None, status=status, csrf=nonce, next_path=safe_next(next_path),
                        message=message)
        sessions.set_login_cookie(response, request, nonce)
        return response

    @api.get("/")
    def index() -> Response:
        return RedirectResponse(f"{COOKIE_PATH}/runs", status_code=303)

    @api.get("/login")
    def login_form(request: Request, next_path: Annotated[str, Query(alias="next", max_length=500)] = "",
                   ) -> Response:
        return login_page(request, next_path)

    @api.post("/login")
    def login(request: Request, form: Form) -> Response:
        sessions.check_login_form(request, form)
        token = form.get("token", "").strip()
        session_id = sessions.open(token) if token else None
        if session_id is None:
            return login_page(request, form.get("next", ""), status=401,
                              message="That token is unknown or revoked. Tokens start with te_.")
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
        sessions.set_cookie(response, request, session_id)
        sessions.clear_login_cookie(response, request)
        return response

    @api.post("/logout")
    def logout(request: Request, form: Form) -> Response:
        sessions.authorize(request, Role.READER, form=form)
        sessions.close(request)
        response = RedirectResponse(f"{COOKIE_PATH}/login", status_code=303)
        sessions.clear_cookie(response, request)
        return response

    return api
