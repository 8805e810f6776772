"""Worker heartbeats (migration 0010): beat, expire the leases of samples whose worker stopped
beating, and how long ago any worker was seen. Named SQL in ``workers.sql``."""

from __future__ import annotations

import psycopg

from screening.db.sql import query


def beat(conn: psycopg.Connection, name: str, pid: int) -> None:
    conn.execute(query("heartbeat"), {"name": name, "pid": pid})


def expire_orphaned_leases(conn: psycopg.Connection, timeout_seconds: float) -> list[tuple[int, str]]:
    """(sample id, worker name) of running samples whose worker has not beaten for the timeout."""
    rows = conn.execute(query("expire_orphaned_leases"), {"timeout_seconds": timeout_seconds}).fetchall()
    return [(r["id"], r["name"]) for r in rows]


def seconds_since_seen(conn: psycopg.Connection) -> float | None:
    """Seconds since any worker's last heartbeat; None when no worker was ever seen."""
    return conn.execute(query("last_heartbeat")).fetchone()["seconds"]
