"""Panel curation in the database: version lists, retirement, change messages, re-screening rows.

Queries live in ``curation.sql`` (loaded with the pipeline's named-query parser). Immutability is the
database's job (migration 0002); this module only speaks to it and turns its refusals into
:class:`~screening.errors.StateError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from screening.db import panels as db_panels
from screening.db.batches import BatchRow, SampleRow, sample_row
from screening.db.connection import row_to, translate_errors
from screening.db.sql import query
from screening.domain import N_, PanelVersion, Reason, Version, panel_label
from screening.errors import NotFoundError, StateError


@dataclass(frozen=True)
class VersionSummary:
    id: int
    panel_id: str
    version: Version
    name: str
    genome_build: str
    sha256: str
    published_at: datetime
    published_by: str
    change_message: str
    retired_at: datetime | None
    retired_by: str | None
    retired_reason: str | None
    clinvar_release_date: str | None
    clinvar_sha256: str | None
    active_genes: int
    gene_entries: int
    batches: int
    runs: int

    @property
    def label(self) -> str:
        return panel_label(self.panel_id, self.version)


@dataclass(frozen=True)
class ScreenedSample:
    """A screened sample with its current run and the batch submission time (the cohort cut-off)."""

    sample: SampleRow
    run_id: int
    lab_batch_id: str
    batch_submitted_at: datetime


@dataclass(frozen=True)
class Retirement:
    id: int  # the panel version's
    retired_at: datetime
    retired_by: str


@dataclass(frozen=True)
class BatchRun:
    sample_pk: int
    sample_id: str
    state: str
    run_id: int | None
    panel_version_id: int | None


def set_change_message(conn: psycopg.Connection, message: str) -> None:
    """The message stored with a version published later in this transaction."""
    conn.execute(query("set_change_message"), {"message": message})


def list_versions(conn: psycopg.Connection, panel_id: str | None = None) -> list[VersionSummary]:
    rows = conn.execute(query("list_panel_versions"), {"panel_id": panel_id}).fetchall()
    return [row_to(VersionSummary, r, version=Version(r["major"], r["minor"])) for r in rows]


def summary(conn: psycopg.Connection, panel_id: str, version: Version) -> VersionSummary:
    for item in list_versions(conn, panel_id):
        if item.version == version:
            return item
    raise NotFoundError(
        Reason(
            N_("panel version {panel_id}@{version} is not published (screening panel list)"),
            panel_id=panel_id,
            version=version,
        )
    )


def require_version(conn: psycopg.Connection, label: str) -> db_panels.PanelVersionRow:
    """The published version named ``panel@MAJOR.MINOR``; NotFoundError/ValueError otherwise."""
    panel_id, version = db_panels.parse_label(label)
    row = db_panels.find_version(conn, panel_id, version)
    if row is None:
        raise NotFoundError(
            Reason(N_("panel version {label} is not published (screening panel list)"), label=label)
        )
    return row


def retire(conn: psycopg.Connection, panel_version_id: int, reason: str) -> Retirement:
    if not reason.strip():
        raise StateError(Reason(N_("a retirement needs a reason")))
    with translate_errors():
        row = conn.execute(
            query("retire_panel_version"), {"id": panel_version_id, "reason": reason}
        ).fetchone()
    if row is None:
        label = db_panels.get_version(conn, panel_version_id).label
        raise StateError(Reason(N_("panel version {label} is already retired"), label=label))
    return row_to(Retirement, row)


def screened_samples(conn: psycopg.Connection, panel_id: str, batch_pk: int | None) -> list[ScreenedSample]:
    params = {"panel_id": panel_id, "batch_id": batch_pk}
    rows = conn.execute(query("screened_samples"), params)
    return [row_to(ScreenedSample, r, sample=sample_row(r)) for r in rows]


def find_batch(conn: psycopg.Connection, lab_batch_id: str) -> BatchRow:
    row = conn.execute(query("find_batch"), {"lab_batch_id": lab_batch_id}).fetchone()
    if row is None:
        raise NotFoundError(
            Reason(
                N_("batch {lab_batch_id} does not exist (screening batch list)"), lab_batch_id=lab_batch_id
            )
        )
    return row_to(BatchRow, row)


def move_batch_to_version(
    conn: psycopg.Connection, batch: BatchRow, target: db_panels.PanelVersionRow
) -> list[int]:
    """Queue a finished batch's samples again under ``target`` (caller's transaction; enqueue later)."""
    if conn.execute(query("open_samples"), {"batch_id": batch.id}).fetchone()["open"]:
        raise StateError(
            Reason(
                N_("batch {lab_batch_id} still has samples queued or running: wait for it to finish"),
                lab_batch_id=batch.lab_batch_id,
            )
        )
    builds = {r["genome_build"] for r in conn.execute(query("batch_builds"), {"batch_id": batch.id})}
    if builds - {target.genome_build}:
        raise StateError(
            Reason(
                N_("batch {lab_batch_id} was screened on {items}; {label} is {genome_build}"),
                lab_batch_id=batch.lab_batch_id,
                items=", ".join(sorted(builds)),
                label=target.label,
                genome_build=target.genome_build,
            )
        )
    with translate_errors():
        params = {"batch_id": batch.id, "panel_version_id": target.id}
        ids = [r["id"] for r in conn.execute(query("move_samples_to_version"), params)]
    if ids:
        conn.execute(query("reopen_batch"), {"batch_id": batch.id, "count": len(ids)})
    return ids


def batch_runs(conn: psycopg.Connection, batch_pk: int, panel_version_ids: list[int]) -> list[BatchRun]:
    params = {"batch_id": batch_pk, "panel_version_ids": panel_version_ids}
    return [row_to(BatchRun, r) for r in conn.execute(query("batch_runs"), params)]


def record_panel_import(
    conn: psycopg.Connection, panel: PanelVersion, source: tuple[str, str], draft: str
) -> int:
    """Record a draft made from PanelApp (``source``: the file name(s) and their sha256); audited."""
    name, sha256 = source
    params = {
        "panel_id": panel.panel_id,
        "version": str(panel.version),
        "genome_build": panel.genome_build,
        "source_name": name[:500],
        "source_sha256": sha256,
        "genes": len(panel.genes),
        "draft": draft[:500],
    }
    return conn.execute(query("record_panel_import"), params).fetchone()["id"]
