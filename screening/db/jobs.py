"""The job state machine in SQL: claim with a lease, finish, fan-in counter, reconciliation.

queued → running (claim: lease + attempt) → screened | failed | held. A running sample whose lease
expired goes back to queued (attempts below the cap) or to failed (cap reached).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from screening.db.batches import SampleRow, sample_row
from screening.db.connection import row_to
from screening.db.sql import query
from screening.domain import N_, Reason

# Reasons the statements themselves write (their English text and, for the pages, their template)
GAVE_UP = N_("gave up after {attempts} attempts: the worker was lost each time")
_GAVE_UP_PARAMS = {"gave_up": GAVE_UP, "attempts_field": "{attempts}"}  # the statement fills the field
LEASE_EXPIRED = N_("lease expired")


@dataclass(frozen=True)
class Claim:
    """A sample this worker holds a lease on."""

    sample: SampleRow
    token: uuid.UUID
    batch_submitted_at: datetime


@dataclass(frozen=True)
class Reconciliation:
    requeued: tuple[int, ...]  # sample ids to send again
    failed: tuple[int, ...]  # samples that exhausted their attempts
    finalised: tuple[int, ...]  # batch ids


def claim(
    conn: psycopg.Connection, actor: str, sample_pk: int, lease_seconds: int, max_attempts: int
) -> tuple[Claim | None, int | None]:
    """Lease a queued (or lease-expired) sample: the claim, None when someone else holds it or it is done.
    The claiming process is recorded (``claimed_pid``): its worker's heartbeat shows whether it lives.
    In the same statement a sample whose last allowed attempt died with its lease is failed and counted
    down instead: its batch id comes second (else None).

    One statement, run on its own (``conn`` in autocommit, outside any transaction): it is its own
    transaction, records ``actor`` for the event-log triggers, and its commit does not wait for the WAL
    flush. Should the database server crash within that fraction of a second, the claim is lost as a
    whole: the sample is queued as before it and the reconciler re-sends it (the worker's write then
    finds its lease gone and drops its results).
    """
    params = {
        "actor": actor,
        "id": sample_pk,
        "pid": os.getpid(),
        "token": uuid.uuid4(),
        "lease_seconds": lease_seconds,
        "max_attempts": max_attempts,
        **_GAVE_UP_PARAMS,
    }
    row = conn.execute(query("claim_sample"), params).fetchone()
    claimed = None
    if row["id"] is not None:
        claimed = row_to(Claim, row, sample=sample_row(row), token=row["lease_token"])
    return claimed, row["exhausted_batch_id"]


@dataclass(frozen=True)
class Finished:
    batch_id: int
    samples_pending: int  # the batch's, afterwards
    finalised: bool  # this sample was the batch's last pending one: the batch is finalised with it


def finish(
    conn: psycopg.Connection,
    actor: str,
    claim: Claim,
    state: str,
    reason: str | None,
    run: dict[str, Any] | None = None,
) -> Finished | None:
    """End a claimed sample in ``state``, count it down on its batch and finalise the batch after its
    last sample; for a screened sample, store its run (``run``: ``results.run_params``) with it. One
    statement on its own (``conn`` in autocommit): its transaction, whose commit waits for the WAL flush.

    None when the lease was lost: another worker owns the sample now, and nothing was written.
    """
    template = Jsonb(reason.as_json()) if isinstance(reason, Reason) else None  # shown translated
    params = {
        "actor": actor,
        "id": claim.sample.id,
        "token": claim.token,
        "state": state,
        "reason": None if reason is None else str(reason),
        "reason_template": template,
        **(run or dict.fromkeys(("panel_version_id", "run", "candidates", "findings", "links"))),
    }
    row = conn.execute(query("finish_sample"), params).fetchone()
    return None if row is None else row_to(Finished, row)


def fail_exhausted(conn: psycopg.Connection, max_attempts: int) -> list[int]:
    """Fail samples whose last attempt's lease expired; returns their batch ids (counted down in the
    same statement). A worker's claim does the same for its one sample (``claim``)."""
    params = {"max_attempts": max_attempts, **_GAVE_UP_PARAMS}
    rows = conn.execute(query("fail_exhausted"), params).fetchall()
    return [row["batch_id"] for row in rows]


def finalise_batch(conn: psycopg.Connection, batch_id: int) -> bool:
    return conn.execute(query("finalise_batch"), {"batch_id": batch_id}).fetchone() is not None


def reconcile(
    conn: psycopg.Connection, max_attempts: int, stale_seconds: float, lost_seconds: float
) -> Reconciliation:
    """Expired leases → queued (or failed at the cap); lost messages re-sent (queued ``lost_seconds``
    while a live worker had a free slot, or ``stale_seconds`` in any case); stuck batches finalised."""
    failed = fail_exhausted(conn, max_attempts)
    params = {"max_attempts": max_attempts, "lease_expired": LEASE_EXPIRED}
    expired = [r["id"] for r in conn.execute(query("requeue_expired"), params)]
    lost = [r["id"] for r in conn.execute(query("resend_lost_queued"), {"lost_seconds": lost_seconds})]
    stale = [r["id"] for r in conn.execute(query("resend_stale_queued"), {"stale_seconds": stale_seconds})]
    resend = sorted(set(expired) | set(lost) | set(stale))
    conn.execute(query("heal_batch_counters"))
    finalised = [r["id"] for r in conn.execute(query("finalise_stuck_batches"))]
    return Reconciliation(tuple(resend), tuple(failed), tuple(finalised))
