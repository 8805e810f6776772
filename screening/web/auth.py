"""Sign-in, roles and CSRF.

Pages use a signed session cookie (Starlette SessionMiddleware) holding the user name and a per-session
CSRF token; every POST form carries the token and is refused without it. The JSON API uses HTTP Basic
credentials of a lab or admin user instead of the cookie, so it needs no CSRF token.
Roles: ``lab`` (batches), ``reviewer`` (review queue, cases, letters, identities), ``curator`` (panels),
``admin`` (users, and every page but identities and letters).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from screening.db import review
from screening.db.review import User
from screening.web.common import Conn, render
from screening.web.passwords import DUMMY_HASH, verify_password

IDENTITY_ROLES = frozenset({"reviewer"})  # who may see names, national numbers, dates of birth, addresses
HOME = {"lab": "/lab/batches", "reviewer": "/review", "curator": "/curator/panels", "admin": "/admin/users"}

router = APIRouter()
basic = HTTPBasic(auto_error=False, description="A lab (or admin) user's name and password.")


class LoginRequired(Exception):
    """Not signed in: pages redirect to /login."""


def can_see_identity(user: User) -> bool:
    return user.role in IDENTITY_ROLES


def ensure_csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a form POST whose ``csrf_token`` is not this session's token."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="The form has expired or did not come from this site.")


def session_user(request: Request, conn: Conn) -> User:
    name = request.session.get("user")
    user = review.find_user(conn, name) if name else None
    if user is None or not user.active:
        request.session.pop("user", None)
        raise LoginRequired()
    request.state.user = user
    return user


def require(*roles: str) -> Callable[..., User]:
    """A dependency: the signed-in user, who must hold one of ``roles`` (admin only when listed)."""

    def dependency(user: Annotated[User, Depends(session_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail=f"This page is not open to the {user.role} role.")
        return user

    return dependency


def api_user(conn: Conn, credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> User:
    """The JSON API's caller: HTTP Basic credentials of an active lab or admin user."""
    challenge = {"WWW-Authenticate": 'Basic realm="screening"'}
    if credentials is None:
        raise HTTPException(status_code=401, detail="credentials required", headers=challenge)
    user = review.find_user(conn, credentials.username)
    ok = verify_password(credentials.password, user.password_hash if user else DUMMY_HASH)
    if user is None or not ok or not user.active:
        raise HTTPException(status_code=401, detail="unknown user or wrong password", headers=challenge)
    if user.role not in ("lab", "admin"):
        raise HTTPException(status_code=403, detail=f"the API is not open to the {user.role} role")
    return user


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    ensure_csrf_token(request)
    return render(request, "login.html", user=None, next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False, dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    conn: Conn,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
):
    user = review.find_user(conn, username.strip())
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not ok or not user.active:
        return render(
            request, "login.html", 401, user=None, next=_safe_next(next), error="Wrong user name or password."
        )
    request.session.clear()  # no session fixation: a fresh session and CSRF token on sign-in
    request.session["user"] = user.username
    ensure_csrf_token(request)
    target = _safe_next(next)
    return RedirectResponse(HOME[user.role] if target == "/" else target, status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", include_in_schema=False)
def home(user: Annotated[User, Depends(session_user)]):
    return RedirectResponse(HOME[user.role], status_code=303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
