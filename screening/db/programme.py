"""The programme figures' rows: each sample's de-identified facts (no identity, no lab sample id).
Named SQL in ``programme.sql``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from screening.db import turnaround
from screening.db.connection import row_to
from screening.db.sql import query
from screening.figures import GeneCall, ReportScope, SampleFacts, programme_document


def samples(conn: psycopg.Connection, programme: str | None, since: datetime | None) -> list[SampleFacts]:
    """Every sample of the programme (of all when None) received since ``since``, oldest first."""
    rows = conn.execute(query("programme_samples"), {"programme": programme, "since": since})
    return [_facts(r) for r in rows]


def _facts(row: dict[str, Any]) -> SampleFacts:
    return row_to(
        SampleFacts,
        row,
        batch=row["lab_batch_id"],
        batch_submitted_at=row["submitted_at"],
        reasons=tuple(row["reasons"] or ()),
        case_confirmed=bool(row["case_confirmed"]),
        findings=tuple(row_to(GeneCall, f) for f in row["findings"] or ()),
    )


def programmes(conn: psycopg.Connection) -> list[str]:
    """The programmes with at least one batch."""
    return [r["programme"] for r in conn.execute(query("programme_names"))]


def figures(conn: psycopg.Connection, scope: ReportScope) -> tuple[list[SampleFacts], dict[str, Any]]:
    """The samples' facts and the programme document (``report programme``, the lead's dashboard)."""
    picked = samples(conn, scope.programme, scope.since)
    return picked, programme_document(picked, scope, turnaround.report(conn, scope.since, scope.programme))


def record_share(conn: psycopg.Connection, doc: dict[str, Any]) -> int:
    """Record a sealed share document (call inside a transaction: the audit row goes with it)."""
    from psycopg.types.json import Jsonb

    params = {
        "sha256": doc["sha256"],
        "schema": doc["schema"],
        "programme": doc["programme"],
        "granularity": doc["period"]["granularity"],
        "since": doc["period"]["since"],
        "min_count": doc["suppression"]["min_count"],
        "babies": doc["outcomes"]["totals"]["total"],
        "document": Jsonb(doc),
    }
    return conn.execute(query("insert_shared_figures"), params).fetchone()["id"]
