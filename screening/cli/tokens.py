"""``screening token create|list|revoke``: machine tokens for the JSON API (``Authorization: Bearer``).

They connect with the web app's login role, as ``screening user …`` does. A token is printed once, when
it is created, and never again: only its sha256 is stored. Creation and revocation are audited.
"""

from __future__ import annotations

import click

from screening.cli.common import fail, role_settings
from screening.cli.user import ROLES
from screening.errors import ScreeningError


@click.group()
def token() -> None:
    """Machine tokens for the JSON API (hashed, one role each, revocable)."""


def _with_conn(work):
    from screening.db import connection

    settings = role_settings("web")
    try:
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            return work(conn, settings.actor)
    except ScreeningError as exc:
        fail(exc)


@token.command(name="create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the token may do, as a user.")
def token_create(name: str, role: str) -> None:
    """Create token NAME with ROLE and print it once (store it in the calling system's secrets)."""
    from screening.db import tokens

    secret = _with_conn(lambda conn, actor: tokens.create(conn, name, role, actor))
    click.echo(f"token {name} ({role}) created; it is shown only now:", err=True)
    click.echo(secret)


@token.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def token_list(fmt: str) -> None:
    """Tokens: name, role, who created it and when, last use, revocation (never the token)."""
    import json

    from screening.db import tokens

    rows = _with_conn(lambda conn, actor: tokens.list_tokens(conn))
    docs = [
        {
            "name": r.name,
            "role": r.role,
            "created_by": r.created_by,
            "created_at": r.created_at.isoformat(),
            "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            "revoked_by": r.revoked_by,
        }
        for r in rows
    ]
    if fmt == "json":
        click.echo(json.dumps(docs, indent=2))
        return
    for d in docs:
        state = f"revoked {d['revoked_at'][:16]} by {d['revoked_by']}" if d["revoked_at"] else "active"
        used = (d["last_used_at"] or "never")[:16]
        click.echo(f"{d['name']:<24} {d['role']:<9} {state:<40} last used {used}")


@token.command(name="revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke token NAME for good: the API refuses it from now on (401)."""
    from screening.db import tokens

    _with_conn(lambda conn, actor: tokens.revoke(conn, name, actor))
    click.echo(f"token {name} revoked")
