"""Worker heartbeats (migrations 0010, 0020): beat (with the pool's live processes and free slots),
expire the leases of samples whose worker stopped beating or whose claiming process died, and how
long ago any worker was seen. Named SQL in ``workers.sql``."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from screening.db.connection import row_to
from screening.db.sql import query


@dataclass(frozen=True)
class Pool:
    """What a worker's pool is doing at a beat: its live processes, its size, the tasks it holds."""

    pids: tuple[int, ...]
    slots: int
    busy: int


@dataclass(frozen=True)
class Orphan:
    sample_id: int
    worker: str
    why: str  # "silent": the worker stopped beating; "process_gone": the claiming pool process died


def beat(conn: psycopg.Connection, name: str, pid: int, pool: Pool | None = None) -> None:
    params = {
        "name": name,
        "pid": pid,
        "pool_pids": list(pool.pids) if pool else None,
        "slots": pool.slots if pool else None,
        "busy": pool.busy if pool else None,
    }
    conn.execute(query("heartbeat"), params)


def expire_orphaned_leases(
    conn: psycopg.Connection, timeout_seconds: float, margin_seconds: float
) -> list[Orphan]:
    """End the leases of running samples whose worker has not beaten for the timeout, or whose claiming
    pool process is missing from a beat written ``margin_seconds`` or more after the claim."""
    params = {"timeout_seconds": timeout_seconds, "margin_seconds": margin_seconds}
    rows = conn.execute(query("expire_orphaned_leases"), params).fetchall()
    return [row_to(Orphan, r, sample_id=r["id"], worker=r["name"]) for r in rows]


def seconds_since_seen(conn: psycopg.Connection) -> float | None:
    """Seconds since any worker's last heartbeat; None when no worker was ever seen."""
    return conn.execute(query("last_heartbeat")).fetchone()["seconds"]
