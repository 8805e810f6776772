"""Machine tokens for the JSON API (migrations 0014, 0018). Named SQL in ``tokens.sql``.

A token is ``secrets.token_urlsafe(32)``, shown once when created; only its sha256 is stored, so a copy
of the table lets nobody in. Each token has one role and is revocable (for good: migration 0018);
creation and revocation are audited by triggers in the same transaction. The last use is recorded at
most once a minute per token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import psycopg

from screening.db.connection import row_to, translate_errors
from screening.db.sql import query
from screening.domain import N_, Reason
from screening.errors import NotFoundError, StateError
from screening.inputs import is_plain_id

TOKEN_BYTES = 32


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    role: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


@dataclass(frozen=True)
class LiveToken:
    name: str
    role: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(conn: psycopg.Connection, name: str, role: str, created_by: str) -> str:
    """A new token for ``name`` (a plain id, unique) with ``role``; returns the token (never stored)."""
    from screening.db.review import ROLES

    if not is_plain_id(name):
        raise StateError(
            Reason(
                N_("token name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)"), name=name[:80]
            )
        )
    if role not in ROLES:
        raise StateError(Reason(N_("role {role!r} is not one of {items}"), role=role, items=", ".join(ROLES)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    params = {"name": name, "token_sha256": digest(token), "role": role, "created_by": created_by}
    exists = f"a token named {name} exists already (screening token list)"
    with translate_errors(unique=exists), conn.transaction():
        conn.execute(query("insert_token"), params)
    return token


def list_tokens(conn: psycopg.Connection) -> list[TokenRow]:
    return [row_to(TokenRow, r) for r in conn.execute(query("list_tokens"))]


def revoke(conn: psycopg.Connection, name: str, revoked_by: str) -> None:
    if conn.execute(query("revoke_token"), {"name": name, "revoked_by": revoked_by}).fetchone():
        return
    row = conn.execute(query("token_by_name"), {"name": name}).fetchone() if is_plain_id(name) else None
    if row is None:
        raise NotFoundError(Reason(N_("no token is named {name!r} (screening token list)"), name=name[:80]))
    raise StateError(Reason(N_("token {name} is already revoked"), name=name))


def authenticate(conn: psycopg.Connection, token: str) -> LiveToken | None:
    """The live (not revoked) token this is, its use recorded; None for an unknown or revoked token."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(query("find_live_token"), {"token_sha256": digest(token)}).fetchone()
    if row is None:
        return None
    if row["stale"]:
        conn.execute(query("touch_token"), {"id": row["id"]})
    return row_to(LiveToken, row)
