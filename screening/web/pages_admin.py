"""Admin pages: web users (names and roles; passwords are set here or with ``screening user add``) and
the audit trail (``/admin/audit``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from screening.db import connection, review
from screening.db.review import ROLES, User
from screening.domain import N_, Reason
from screening.errors import NotFoundError, ScreeningError
from screening.web.auth import check_csrf, require
from screening.web.common import Conn, flash, gettext, render
from screening.web.passwords import hash_password, password_problem

router = APIRouter(prefix="/admin", include_in_schema=False)
Admin = Annotated[User, Depends(require("admin"))]


@router.get("/audit")
def audit_trail(request: Request, user: Admin, conn: Conn):
    """The audit trail, newest first, with the result of verifying its hash chain and the letters."""
    from screening.db import audit

    return render(request, "admin/audit.html", check=audit.verify(conn), rows=audit.recent(conn, 200))


@router.get("/users")
def users(request: Request, user: Admin, conn: Conn):
    from screening.db import sessions
    from screening.web.auth import LOCK_AFTER, WINDOW_SECONDS

    rows = review.list_users(conn)
    locked = {
        u.username
        for u in rows
        if sessions.failures(conn, u.username, "", WINDOW_SECONDS).account >= LOCK_AFTER
    }
    return render(request, "admin/users.html", users=rows, roles=ROLES, locked=locked)


ACCOUNT_ACTIONS = {
    "unlock": (review.unlock_user, N_("User %(user)s unlocked.")),
    "disable": (
        lambda conn, name: review.set_user_active(conn, name, False),
        N_("User %(user)s disabled (sessions revoked)."),
    ),
    "enable": (lambda conn, name: review.set_user_active(conn, name, True), N_("User %(user)s enabled.")),
}


@router.post("/users/{username}/{action}", dependencies=[Depends(check_csrf)])
def account_action(request: Request, user: Admin, conn: Conn, username: str, action: str):
    if action not in ACCOUNT_ACTIONS:
        raise NotFoundError(Reason(N_("no such action: {action!r}"), action=action[:40]))
    change, done = ACCOUNT_ACTIONS[action]
    with connection.transaction(conn, f"web:{user.username}"):
        change(conn, username)
    flash(request, gettext(request)(done, user=username))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users", dependencies=[Depends(check_csrf)])
def add_user(
    request: Request,
    user: Admin,
    conn: Conn,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
):
    problem = password_problem(password)
    if problem:
        raise ScreeningError(problem)
    with connection.transaction(conn, f"web:{user.username}"):
        review.add_user(conn, username.strip(), role, hash_password(password), replace=False)
    _ = gettext(request)
    flash(request, _("User %(user)s (%(role)s) added.", user=username.strip(), role=role))
    return RedirectResponse("/admin/users", status_code=303)
