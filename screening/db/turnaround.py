"""Turnaround events (received, screened, reviewed, letter issued: written by triggers in the
transactions that store the sample, the run, the case outcome and the letter) read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from screening.db.sql import query
from screening.turnaround import SPANS, Milestones, Span


def for_batch(conn: psycopg.Connection, batch_pk: int) -> dict[int, Milestones]:
    """``{sample pk: Milestones}`` for every sample of the batch."""
    rows = conn.execute(query("batch_turnaround"), {"batch_id": batch_pk}).fetchall()
    return {
        r["sample_pk"]: Milestones(
            r["received_at"], r["screened_at"], r["reviewed_at"], r["letter_issued_at"]
        )
        for r in rows
    }


def report(
    conn: psycopg.Connection, since: datetime | None, programme: str | None = None
) -> list[dict[str, Any]]:
    """Per outcome (and ``"all"``): samples, and count/median/p90/max seconds of each span (of one
    programme's batches, or of all when ``programme`` is None)."""
    out = []
    for r in conn.execute(query("turnaround_report"), {"since": since, "programme": programme}):
        doc: dict[str, Any] = {
            "outcome": "all" if r["all_outcomes"] else r["outcome"],
            "samples": r["samples"],
        }
        for name, column in SPANS:
            doc[name] = Span(
                r[f"{column}_n"], r[f"{column}_median"], r[f"{column}_p90"], r[f"{column}_max"]
            ).as_dict()
        out.append(doc)
    return out
