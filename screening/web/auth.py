"""Sign-in, roles and CSRF.

Pages use a signed session cookie (Starlette SessionMiddleware) holding a random session token and a
per-session CSRF token; every POST form carries the token and is refused without it. The session lives
in the database (``web_session``): logout revokes it, it expires after SCREENING_SESSION_IDLE_MINUTES
idle and SCREENING_SESSION_HOURS in all, and disabling a user revokes theirs.
Failed sign-ins (pages and API) are counted per account and per client address over 15 minutes: an
account is locked after LOCK_AFTER failures until an admin unlocks it (``screening user unlock`` or the
users page); an address is refused for the rest of the window after ADDRESS_LIMIT failures. A locked
account is refused before its password is even checked. The JSON API uses HTTP Basic
credentials of a user, or a machine token (``Authorization: Bearer``, ``screening token create``),
instead of the cookie, so it needs no CSRF token; each endpoint is open to the roles whose pages show
the same thing (:func:`api_caller`).
Roles: ``lab`` (batches), ``reviewer`` (review queue, cases, letters, identities), ``curator`` (panels),
``admin`` (users, and every page but identities and letters), ``lead`` (a programme lead: the
programme dashboard's aggregate figures only — never an identity, a case page or a batch's samples).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from screening.db import review, sessions, tokens
from screening.db.review import User
from screening.domain import N_, Reason
from screening.web.common import Conn, render, state
from screening.web.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password

IDENTITY_ROLES = frozenset({"reviewer"})  # who may see names, national numbers, dates of birth, addresses
HOME = {
    "lab": "/lab/batches",
    "reviewer": "/review",
    "curator": "/curator/panels",
    "admin": "/admin/users",
    "lead": "/lead/programme",
}

LOCK_AFTER = 5  # failed sign-ins of one account within the window
ADDRESS_LIMIT = 20  # failed sign-ins from one address within the window
WINDOW_SECONDS = 15 * 60
router = APIRouter()
basic = HTTPBasic(auto_error=False, description="A web user's name and password.")
bearer = HTTPBearer(auto_error=False, description="A machine token (screening token create NAME --role R).")


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
        raise HTTPException(
            status_code=403, detail=N_("The form has expired or did not come from this site.")
        )


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def session_user(request: Request, conn: Conn) -> User:
    token = request.session.get("sid")
    settings = state(request).settings
    name = (
        sessions.user_of(conn, token, settings.session_idle_seconds, settings.session_absolute_seconds)
        if isinstance(token, str)
        else None
    )
    user = review.find_user(conn, name) if name else None
    if user is None or not user.active:
        request.session.pop("sid", None)
        raise LoginRequired()
    request.state.user = user
    return user


def require(*roles: str) -> Callable[..., User]:
    """A dependency: the signed-in user, who must hold one of ``roles`` (admin only when listed)."""

    def dependency(user: Annotated[User, Depends(session_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(
                status_code=403,
                detail=Reason(N_("This page is not open to the {role} role."), role=user.role),
            )
        return user

    return dependency


def refusal(conn, username: str, address: str) -> Reason | None:
    """Why a sign-in is refused before its password is checked (lockout, rate limit), or None."""
    failed = sessions.failures(conn, username, address, WINDOW_SECONDS)
    if failed.address >= ADDRESS_LIMIT:
        return Reason(N_("Too many failed sign-ins from this address: try again in 15 minutes."))
    if failed.account >= LOCK_AFTER:
        return Reason(
            N_("This account is locked after {n} failed sign-ins: ask an admin to unlock it."), n=LOCK_AFTER
        )
    return None


def check_password(conn, username: str, password: str, address: str) -> User | None:
    """The active user whose password this is, else None (and the failure is counted)."""
    user = review.find_user(conn, username) if len(username) <= 100 else None
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not ok or not user.active:
        sessions.record_failure(conn, username, address)
        return None
    if needs_rehash(user.password_hash):  # a scrypt hash (or weaker argon2 parameters): argon2id now
        review.rehash_password(conn, user, hash_password(password))
    return user


@dataclass(frozen=True)
class ApiCaller:
    """Who calls the JSON API: a web user (HTTP Basic) or a machine token (``Authorization: Bearer``).
    ``username`` is the user's name or ``token:<name>`` (user names cannot hold ':'), recorded as "who"."""

    username: str
    role: str


def _api_caller(
    request: Request,
    conn: Conn,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiCaller:
    challenge = {"WWW-Authenticate": 'Basic realm="screening", Bearer realm="screening"'}
    if token is not None:
        live = tokens.authenticate(conn, token.credentials)
        if live is None:  # unknown and revoked alike: nothing tells which
            raise HTTPException(status_code=401, detail="invalid token", headers=challenge)
        return ApiCaller(f"token:{live.name}", live.role)
    if credentials is None:
        raise HTTPException(status_code=401, detail="credentials required", headers=challenge)
    refused = refusal(conn, credentials.username, _address(request))
    if refused:
        raise HTTPException(status_code=429, detail=refused, headers={"Retry-After": str(WINDOW_SECONDS)})
    user = check_password(conn, credentials.username, credentials.password, _address(request))
    if user is None:
        raise HTTPException(status_code=401, detail="unknown user or wrong password", headers=challenge)
    return ApiCaller(user.username, user.role)


def api_caller(*roles: str) -> Callable[..., ApiCaller]:
    """A dependency of an API endpoint: the authenticated caller, who must hold one of ``roles`` (the
    roles of the pages showing the same thing)."""

    def dependency(caller: Annotated[ApiCaller, Depends(_api_caller)]) -> ApiCaller:
        if caller.role not in roles:
            raise HTTPException(
                status_code=403, detail=Reason(N_("this is not open to the {role} role"), role=caller.role)
            )
        return caller

    return dependency


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
    name, address = username.strip(), _address(request)
    refused = refusal(conn, name, address)
    if refused:
        return render(request, "login.html", 429, user=None, next=_safe_next(next), error=refused)
    user = check_password(conn, name, password, address)
    if user is None:
        return render(
            request,
            "login.html",
            401,
            user=None,
            next=_safe_next(next),
            error=Reason(N_("Wrong user name or password.")),
        )
    request.session.clear()  # no session fixation: a fresh session and CSRF token on sign-in
    token = secrets.token_urlsafe(32)
    sessions.create(conn, token, user.username, address)
    request.session["sid"] = token
    ensure_csrf_token(request)
    target = _safe_next(next)
    return RedirectResponse(HOME[user.role] if target == "/" else target, status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
def logout(request: Request, conn: Conn):
    token = request.session.get("sid")
    if isinstance(token, str):
        sessions.revoke(conn, token)  # a copy of the cookie no longer signs anyone in
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", include_in_schema=False)
def home(user: Annotated[User, Depends(session_user)]):
    return RedirectResponse(HOME[user.role], status_code=303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
