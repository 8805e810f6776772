"""Server-side web sessions and failed sign-ins (migration 0009). Named SQL in ``review.sql``.

The browser's cookie carries a random token; only its sha256 is stored, so a copy of the table does
not let anyone sign in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import psycopg

from screening.db.connection import row_to
from screening.db.sql import query


@dataclass(frozen=True)
class Failures:
    account: int  # failed sign-ins of this account within the window (since its last unlock)
    address: int  # failed sign-ins from this address within the window


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(conn: psycopg.Connection, token: str, username: str, address: str) -> None:
    params = {"token_sha256": _digest(token), "username": username, "address": address[:100]}
    conn.execute(query("insert_session"), params)


def user_of(conn: psycopg.Connection, token: str, idle_seconds: int, absolute_seconds: int) -> str | None:
    """The signed-in user of a live session (and its last-seen time moved on), else None."""
    params = {
        "token_sha256": _digest(token),
        "idle_seconds": idle_seconds,
        "absolute_seconds": absolute_seconds,
    }
    row = conn.execute(query("find_session"), params).fetchone()
    if row is None:
        return None
    if row["stale"]:  # at most one write a minute per session
        conn.execute(query("touch_session"), {"token_sha256": _digest(token)})
    return row["username"]


def revoke(conn: psycopg.Connection, token: str) -> None:
    conn.execute(query("revoke_session"), {"token_sha256": _digest(token)})


def record_failure(conn: psycopg.Connection, username: str, address: str) -> None:
    conn.execute(query("record_login_failure"), {"username": username[:100], "address": address[:100]})


def failures(conn: psycopg.Connection, username: str, address: str, window_seconds: int) -> Failures:
    params = {"username": username[:100], "address": address[:100], "window_seconds": window_seconds}
    row = conn.execute(query("login_failures"), params).fetchone()
    return row_to(Failures, row)
