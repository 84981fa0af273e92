"""Logging in and out of a shared server."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ...accounts import Accounts, LoginError
from .. import security
from ..auth import SESSION_COOKIE, SESSION_MAX_AGE, safe_next
from .common import accounts, address, page, posted_form, redirect


def _accounts(request: Request) -> Accounts:
    found: Accounts | None = accounts(request)
    if found is None:
        raise HTTPException(404)
    return found


def login_page(request: Request) -> Response:
    _accounts(request)
    return page(request, "login.html", next=safe_next(request.query_params.get("next")))


def login(request: Request) -> Response:
    # A plain def: checking a password (argon2) takes long enough to hold up others.
    found = _accounts(request)
    form = posted_form(request)
    login_name = str(form.get("login") or "")
    next_path = safe_next(str(form.get("next") or ""))
    where = address(request)
    try:
        person = found.authenticate(login_name, str(form.get("password") or ""), where)
    except LoginError as e:
        if e.locked_until is not None:
            until = e.locked_until.astimezone().strftime("%H:%M")
            message = (f"Kontot är låst till {until} efter för många misslyckade "
                       "inloggningar.")
        else:
            message = "Fel användarnamn eller lösenord."
        return page(request, "login.html", status=401, error=message, next=next_path,
                    login=login_name[:300])
    # Always a new session token, and the browser's earlier session ends: a cookie from
    # before the login is never the session. The CSRF token is renewed with it.
    if request.cookies.get(SESSION_COOKIE):
        found.end_session(request.cookies.get(SESSION_COOKIE), where)
    token = found.new_session(person, where)
    response = redirect(next_path)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, path="/",
                        httponly=True, samesite="strict", secure=secure)
    response.set_cookie(security.CSRF_COOKIE, security.new_token(), path="/", httponly=True,
                        samesite="strict", secure=secure)
    return response


def logout(request: Request) -> Response:
    found = _accounts(request)
    posted_form(request)
    found.end_session(request.cookies.get(SESSION_COOKIE), address(request))
    response = redirect("/logga-in")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response
