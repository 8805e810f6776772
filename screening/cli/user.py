"""``screening user …``: web users and their roles (the web app's records: the web login role)."""

from __future__ import annotations

import sys

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError

ROLES = ("lab", "reviewer", "curator", "admin", "lead")


@click.group()
def user() -> None:
    """Web users and their roles."""


def _read_password(stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command(name="add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@click.option("--replace", is_flag=True, help="Set a new password (and role) for an existing user.")
def user_add(username: str, role: str, password_stdin: bool, replace: bool) -> None:
    """Add USERNAME with ROLE; the password comes from a prompt, or standard input when piped."""
    from screening.db import connection, review
    from screening.web.passwords import hash_password, password_problem

    password = _read_password(password_stdin)
    problem = password_problem(password)
    if problem:
        fail(ScreeningError(problem))
    settings = role_settings("web")
    try:
        conn = connection.connect(connection.database_url(settings))
        with conn, connection.transaction(conn, settings.actor):
            review.add_user(conn, username, role, hash_password(password), replace)
    except ScreeningError as exc:
        fail(exc)
    click.echo(f"user {username} ({role}) {'updated' if replace else 'added'}")


def _account(username: str, change) -> None:
    from screening.db import connection

    settings = role_settings("web")
    try:
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            change(conn, username)
    except ScreeningError as exc:
        fail(exc)


@user.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def user_list(fmt: str) -> None:
    """Web users: name, role, active, failed sign-ins in the last 15 minutes (locked at the limit)."""
    import json

    from screening.db import connection, review, sessions
    from screening.web.auth import LOCK_AFTER, WINDOW_SECONDS

    try:
        with connection.session(role_settings("web")) as conn:
            rows = [
                (u, sessions.failures(conn, u.username, "", WINDOW_SECONDS)) for u in review.list_users(conn)
            ]
    except ScreeningError as exc:
        fail(exc)
    docs = [
        {
            "username": u.username,
            "role": u.role,
            "active": u.active,
            "failed_sign_ins": f.account,
            "locked": f.account >= LOCK_AFTER,
            "created_at": u.created_at.isoformat(),
        }
        for u, f in rows
    ]
    if fmt == "json":
        click.echo(json.dumps(docs, indent=2))
        return
    for d in docs:
        state = ("active" if d["active"] else "disabled") + (", LOCKED" if d["locked"] else "")
        click.echo(f"{d['username']:<20} {d['role']:<9} {state:<18} failed sign-ins {d['failed_sign_ins']}")


@user.command(name="disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable USERNAME: no sign-in, and every open session of theirs is revoked now."""
    from screening.db import review

    _account(username, lambda conn, name: review.set_user_active(conn, name, False))
    click.echo(f"user {username} disabled (sessions revoked)")


@user.command(name="enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable USERNAME again."""
    from screening.db import review

    _account(username, lambda conn, name: review.set_user_active(conn, name, True))
    click.echo(f"user {username} enabled")


@user.command(name="unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Unlock USERNAME after failed sign-ins (the failures so far no longer count)."""
    from screening.db import review

    _account(username, review.unlock_user)
    click.echo(f"user {username} unlocked")
