"""Batches and samples: creation, listing, re-queueing. Functions take a connection; rows → dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from screening.db import cohort
from screening.db.connection import row_to, translate_errors
from screening.db.sql import query
from screening.domain import N_, Reason, SampleInput, SampleQc, Sex, Version, panel_label

SAMPLE_STATES = ("queued", "running", "screened", "failed", "held")
FINAL_STATES = ("screened", "failed", "held")


@dataclass(frozen=True)
class NewSample:
    """A validated manifest row, ready to be stored."""

    sample_id: str
    vcf_path: str
    vcf_sample: str
    vcf_sha256: str
    sex: str
    pct_autosomal_15x: float | None = None
    q30_gb: float | None = None
    contamination_pct: float | None = None
    smn1_copies: int | None = None


@dataclass(frozen=True)
class NewBatch:
    lab_batch_id: str
    panel_version_id: int
    manifest_name: str
    manifest_sha256: str
    samples: tuple[NewSample, ...]
    programme: str = "england"


@dataclass(frozen=True)
class BatchRow:
    id: int
    lab_batch_id: str
    panel_version_id: int
    manifest_name: str
    manifest_sha256: str
    state: str
    samples_total: int
    samples_pending: int
    submitted_at: datetime
    submitted_by: str
    finalised_at: datetime | None
    programme: str = "england"


@dataclass(frozen=True)
class BatchSummary:
    batch: BatchRow
    panel_label: str
    counts: dict[str, int]


def _summary(row: dict[str, Any]) -> BatchSummary:
    label = panel_label(row["panel_id"], Version(row["major"], row["minor"]))
    counts = {s: row[s] for s in SAMPLE_STATES}
    return row_to(BatchSummary, row, batch=row_to(BatchRow, row), panel_label=label, counts=counts)


@dataclass(frozen=True)
class SampleRow:
    id: int
    batch_id: int
    sample_id: str
    panel_version_id: int
    vcf_path: str
    vcf_sample: str
    vcf_sha256: str
    sex: str
    pct_autosomal_15x: float | None
    q30_gb: float | None
    contamination_pct: float | None
    smn1_copies: int | None
    state: str
    attempts: int
    reason: str | None
    updated_at: datetime

    def to_input(self) -> SampleInput:
        qc = SampleQc(self.pct_autosomal_15x, self.q30_gb, self.contamination_pct)
        return SampleInput(self.sample_id, self.vcf_sample, Sex(self.sex), qc, self.smn1_copies)


def sample_row(row: Mapping[str, Any]) -> SampleRow:
    """A sample from its row: its reason a ``Reason`` (shown in the page's language) where its template
    was kept (0025), else the plain text."""
    reason = row["reason"]  # Reason.from_json gives the plain text back when there is no template
    if reason:
        reason = Reason.from_json(reason, row["reason_template"])
    return row_to(SampleRow, row, reason=reason)


@dataclass(frozen=True)
class SampleStatus:
    sample: SampleRow
    run_id: int | None
    outcome: str | None


def find_batch(conn: psycopg.Connection, lab_batch_id: str) -> BatchRow | None:
    row = conn.execute(query("find_batch"), {"lab_batch_id": lab_batch_id}).fetchone()
    return row_to(BatchRow, row) if row else None


def insert_batch(conn: psycopg.Connection, batch: NewBatch, actor: str) -> tuple[int, list[int]]:
    """Insert the batch and its queued samples and freeze the cohort they will read (caller's
    transaction); returns (batch id, sample ids)."""
    params = {
        "lab_batch_id": batch.lab_batch_id,
        "panel_version_id": batch.panel_version_id,
        "manifest_name": batch.manifest_name,
        "manifest_sha256": batch.manifest_sha256,
        "samples_total": len(batch.samples),
        "submitted_by": actor,
        "programme": batch.programme,
    }
    with translate_errors(unique=Reason(N_("batch {batch} already exists"), batch=batch.lab_batch_id)):
        batch_id = conn.execute(query("insert_batch"), params).fetchone()["id"]
    ids = []
    for s in batch.samples:
        values = {**s.__dict__, "batch_id": batch_id, "panel_version_id": batch.panel_version_id}
        ids.append(conn.execute(query("insert_sample"), values).fetchone()["id"])
    cohort.freeze(conn, batch_id)  # what its samples will read: the cohort as it is now, without them
    return batch_id, ids


def mark_enqueued(conn: psycopg.Connection, sample_ids: list[int]) -> None:
    conn.execute(query("mark_enqueued"), {"ids": sample_ids})


def list_batches(conn: psycopg.Connection, limit: int = 50) -> list[BatchSummary]:
    """The newest batches (the lab's list, ``batch list``): the first page, unfiltered, not counted."""
    return _page(conn, limit, 0, _NO_FILTER)


_NO_FILTER = {"state": None, "panel_id": None, "since": None}


def _page(conn: psycopg.Connection, limit: int, offset: int, params: dict[str, Any]) -> list[BatchSummary]:
    rows = conn.execute(query("list_batches_page"), {**params, "limit": limit, "offset": offset})
    return [_summary(r) for r in rows]


def list_batches_page(
    conn: psycopg.Connection, limit: int, offset: int, filters: dict[str, Any]
) -> tuple[list[BatchSummary], int]:
    """(a page of batches newest first, how many match): ``filters`` state, panel_id, since (None: any)."""
    params = {**_NO_FILTER, **filters}
    total = conn.execute(query("count_batches"), params).fetchone()["n"]
    return _page(conn, limit, offset, params), total


def list_samples(conn: psycopg.Connection, batch_id: int) -> list[SampleStatus]:
    rows = conn.execute(query("list_samples"), {"batch_id": batch_id}).fetchall()
    return [row_to(SampleStatus, r, sample=sample_row(r)) for r in rows]


def requeue(
    conn: psycopg.Connection,
    batch_id: int,
    states: tuple[str, ...],
    sample_ids: tuple[str, ...] | None = None,
) -> list[int]:
    """Failed/held samples (all, or those of ``sample_ids``) back to queued (caller's transaction);
    the batch is running again."""
    params = {
        "batch_id": batch_id,
        "states": list(states),
        "sample_ids": None if sample_ids is None else list(sample_ids),
    }
    ids = [r["id"] for r in conn.execute(query("requeue_samples"), params)]
    if ids:
        conn.execute(query("reopen_batch"), {"batch_id": batch_id, "count": len(ids)})
    return ids


def progress(conn: psycopg.Connection, lab_batch_id: str) -> BatchSummary | None:
    row = conn.execute(query("batch_progress"), {"lab_batch_id": lab_batch_id}).fetchone()
    return _summary(row) if row else None


def engine_seconds(conn: psycopg.Connection, batch_id: int) -> list[float]:
    return [r["engine_seconds"] for r in conn.execute(query("batch_engine_seconds"), {"batch_id": batch_id})]
