"""The screened cohort's allele counts, kept incrementally, and each batch's frozen view of them.

* Writing a run (``screening_write_run``, migration 0026, in the run's own statement) replaces the
  baby's contribution: the run that counted for the baby before is subtracted, the new one added, and
  the baby is counted once. Writers of one panel's cohort take its ``cohort_panel`` row first, so they
  go one at a time (a few milliseconds each) and never deadlock on allele rows.
* ``freeze`` (in the batch's submission transaction) copies the cohort's size and the alleles at or
  above ``min_af`` into ``batch_cohort``: every sample of the batch reads the same cohort whatever
  order they run in, and no baby of the batch is in it (its sample row did not exist yet). Reading
  is by batch id, and the rows copied are bounded by the number of alleles that can reach
  ``min_af`` (at most ~candidates per baby / min_af), not by the cohort's size.
* ``check`` rebuilds the counts from the stored runs and lists every difference; ``rebuild``
  replaces the counts with the rebuilt ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import polars as pl
import psycopg

from screening.db.connection import row_to
from screening.db.sql import query

# Alleles rarer than both this and the batch panel's ClinVar cap are not frozen for a batch. A panel
# with a lower cap re-screening the batch (curation) reads them as absent, i.e. below its cap: the
# ClinVar route then admits them (more candidates reach human review, none are silently dropped).
FROZEN_MIN_AF = 0.01

_SCHEMA = {"chrom": pl.String, "pos": pl.Int64, "ref": pl.String, "alt": pl.String, "internal_af": pl.Float64}


# ---------------------------------------------------------------- a batch's frozen cohort


def freeze(conn: psycopg.Connection, batch_pk: int) -> None:
    """Freeze what the batch's samples will read (in the submission transaction, after the batch row)."""
    conn.execute(query("freeze_batch_cohort"), {"batch_id": batch_pk, "floor_af": FROZEN_MIN_AF})


@dataclass(frozen=True)
class Frozen:
    babies: int
    min_af: float
    method: str
    frame: pl.DataFrame  # chrom, pos, ref, alt, internal_af


def frozen(conn: psycopg.Connection, batch_pk: int) -> Frozen:
    """The batch's frozen cohort: one statement (a worker reads it outside any transaction). A batch
    submitted before revision 0006 is frozen now, once, from the stored runs screened before its
    submission (how its cohort was computed then), in a transaction of its own."""
    rows = conn.execute(query("batch_cohort_with_alleles"), {"batch_id": batch_pk}).fetchall()
    if not rows:
        with conn.transaction():
            batch = conn.execute(
                query("lock_batch"), {"batch_id": batch_pk, "floor_af": FROZEN_MIN_AF}
            ).fetchone()
            if conn.execute(query("batch_cohort"), {"batch_id": batch_pk}).fetchone() is None:
                params = {
                    "batch_id": batch_pk,
                    "panel_id": batch["panel_id"],
                    "as_of": batch["submitted_at"],
                    "min_af": batch["min_af"],
                }
                conn.execute(query("freeze_batch_cohort_from_runs"), params)
        rows = conn.execute(query("batch_cohort_with_alleles"), {"batch_id": batch_pk}).fetchall()
    babies = rows[0]["babies"]
    alleles = [r for r in rows if r["chrom"] is not None]
    frame = pl.DataFrame(
        {
            "chrom": [r["chrom"] for r in alleles],
            "pos": [r["pos"] for r in alleles],
            "ref": [r["ref"] for r in alleles],
            "alt": [r["alt"] for r in alleles],
            "internal_af": [r["alt_alleles"] / (2 * babies) for r in alleles] if babies else [],
        },
        schema=_SCHEMA,
    )
    return Frozen(babies, rows[0]["min_af"], rows[0]["method"], frame)


def frequencies(conn: psycopg.Connection, batch_pk: int, min_babies: int) -> tuple[pl.DataFrame | None, int]:
    """Internal allele frequencies for a sample of the batch and the cohort's size; (None, n) when
    fewer than ``min_babies`` babies form the cohort."""
    f = frozen(conn, batch_pk)
    return (None if f.babies < min_babies else f.frame), f.babies


# ---------------------------------------------------------------- reproducibility


@dataclass(frozen=True)
class MemberDifference:
    """A baby counted under another run than the one the stored runs give (None: not counted/no run)."""

    sample_id: int
    rebuilt: int | None
    counted: int | None


@dataclass(frozen=True)
class AlleleDifference:
    """An allele whose counted ALT alleles differ from those the stored runs give."""

    chrom: str
    pos: int
    ref: str
    alt: str
    rebuilt: int
    counted: int


@dataclass(frozen=True)
class Check:
    panel_id: str
    babies_counted: int
    babies_rebuilt: int
    members: tuple[MemberDifference, ...]
    alleles: tuple[AlleleDifference, ...]

    @property
    def matches(self) -> bool:
        return self.babies_counted == self.babies_rebuilt and not self.members and not self.alleles

    def as_dict(self) -> dict[str, Any]:
        return {
            "panel_id": self.panel_id,
            "matches": self.matches,
            "babies_counted": self.babies_counted,
            "babies_rebuilt": self.babies_rebuilt,
            "members_differing": [dataclasses.asdict(m) for m in self.members],
            "alleles_differing": [dataclasses.asdict(a) for a in self.alleles],
        }


def panel_ids(conn: psycopg.Connection) -> list[str]:
    return [r["panel_id"] for r in conn.execute(query("cohort_panels"))]


def check(conn: psycopg.Connection, panel_id: str) -> Check:
    """Rebuild the panel's counts from the stored runs and compare, in one snapshot (its own
    REPEATABLE READ transaction, on an autocommit connection outside any transaction): writers go on,
    and the comparison is of one state of the database."""
    params = {"panel_id": panel_id}
    previous = conn.isolation_level
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    try:
        with conn.transaction():
            babies = conn.execute(query("cohort_check_babies"), params).fetchone()
            members = tuple(
                row_to(MemberDifference, r) for r in conn.execute(query("cohort_check_members"), params)
            )
            alleles = tuple(
                row_to(AlleleDifference, r) for r in conn.execute(query("cohort_check_alleles"), params)
            )
    finally:
        conn.isolation_level = previous
    return Check(panel_id, babies["counted"], babies["rebuilt"], members, alleles)


def rebuild(conn: psycopg.Connection, panel_id: str) -> None:
    """Replace the panel's counts with those rebuilt from the stored runs (caller's transaction; the
    panel's writers wait meanwhile)."""
    params = {"panel_id": panel_id}
    conn.execute(query("cohort_lock_panel_id"), params)
    conn.execute(query("cohort_clear"), params)
    conn.execute(query("cohort_rebuild"), params)
