"""Panel versions and their ClinVar snapshots in the database: publish (immutable) and rebuild."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import psycopg
from psycopg.types.json import Jsonb

from screening.db.connection import row_to
from screening.db.sql import query
from screening.domain import (
    N_,
    ClinVarSnapshot,
    ExcludedVariant,
    IncludedVariant,
    Moi,
    PanelGene,
    PanelVersion,
    Reason,
    RuleSettings,
    Urgency,
    Version,
    panel_label,
)
from screening.errors import IntegrityError, NotFoundError, StateError
from screening.panel_content import panel_sha256

CLINVAR_COLUMNS = (
    "chrom",
    "pos",
    "ref",
    "alt",
    "clinvar_id",
    "clnsig",
    "plp_count",
    "blb_count",
    "stars",
    "gene",
)
CLINVAR_SCHEMA = {
    "chrom": pl.String,
    "pos": pl.Int64,
    "ref": pl.String,
    "alt": pl.String,
    "clinvar_id": pl.String,
    "clnsig": pl.String,
    "plp_count": pl.Int32,
    "blb_count": pl.Int32,
    "stars": pl.Int8,
    "gene": pl.String,
}


@dataclass(frozen=True)
class PanelVersionRow:
    id: int
    panel_id: str
    version: Version
    name: str
    genome_build: str
    sha256: str
    clinvar_snapshot_id: int | None
    clinvar_sha256: str | None
    published_at: datetime
    published_by: str
    origin: dict[str, Any] | None = None  # imported from another programme's bundle: from where

    @property
    def label(self) -> str:
        return panel_label(self.panel_id, self.version)


def _version_row(row: dict[str, Any]) -> PanelVersionRow:
    return row_to(PanelVersionRow, row, version=Version(row["major"], row["minor"]))


def parse_label(label: str) -> tuple[str, Version]:
    """``newborn@1.2`` → ("newborn", Version(1, 2)); ValueError with the expected form otherwise."""
    panel_id, sep, version = label.partition("@")
    if not sep or not panel_id:
        raise ValueError(f"panel {label!r} is not <panel_id>@<MAJOR.MINOR> (e.g. newborn@1.0)")
    return panel_id, Version.parse(version)


def find_version(conn: psycopg.Connection, panel_id: str, version: Version) -> PanelVersionRow | None:
    params = {"panel_id": panel_id, "major": version.major, "minor": version.minor}
    row = conn.execute(query("find_panel_version"), params).fetchone()
    return _version_row(row) if row else None


def get_version(conn: psycopg.Connection, panel_version_id: int) -> PanelVersionRow:
    row = conn.execute(query("get_panel_version"), {"id": panel_version_id}).fetchone()
    if row is None:
        raise NotFoundError(
            Reason(N_("panel version {panel_version_id} does not exist"), panel_version_id=panel_version_id)
        )
    return _version_row(row)


# ---------------------------------------------------------------- publishing


def _insert_clinvar(conn: psycopg.Connection, snapshot: ClinVarSnapshot, build: str) -> int:
    params = {
        "source": snapshot.source,
        "release_date": snapshot.release_date,
        "sha256": snapshot.sha256,
        "genome_build": build,
    }
    snapshot_id = conn.execute(query("insert_clinvar_snapshot"), params).fetchone()["id"]
    records = snapshot.records.select(CLINVAR_COLUMNS)
    with conn.cursor().copy(query("copy_clinvar_records")) as copy:
        for record in records.iter_rows():
            copy.write_row((snapshot_id, *record))
    return snapshot_id


def _insert_lists(conn: psycopg.Connection, pv_id: int, panel: PanelVersion) -> None:
    with conn.cursor() as cur:
        genes = [
            {
                **dataclasses.asdict(g),
                "moi": str(g.moi),
                "urgency": str(g.urgency),
                "panel_version_id": pv_id,
                "ordinal": i,
            }
            for i, g in enumerate(panel.genes)
        ]
        cur.executemany(query("insert_panel_gene"), genes)
        include = [
            {**dataclasses.asdict(v), "panel_version_id": pv_id, "ordinal": i}
            for i, v in enumerate(panel.include)
        ]
        cur.executemany(query("insert_panel_include"), include)
        exclude = [
            {**dataclasses.asdict(v), "panel_version_id": pv_id, "ordinal": i}
            for i, v in enumerate(panel.exclude)
        ]
        cur.executemany(query("insert_panel_exclude"), exclude)


def publish(
    conn: psycopg.Connection,
    panel: PanelVersion,
    clinvar: ClinVarSnapshot | None,
    actor: str,
    origin: dict[str, Any] | None = None,
) -> tuple[PanelVersionRow, bool]:
    """Store ``panel`` (and its ClinVar snapshot) as an immutable version, inside the caller's transaction.

    Returns (row, created). Publishing identical content again is a no-op (created False); the same
    version with other content, or another ClinVar snapshot, is a StateError. ``origin``: where an
    imported version came from (another programme's bundle), recorded with it.
    """
    existing = find_version(conn, panel.panel_id, panel.version)
    if existing is not None:
        same_clinvar = existing.clinvar_sha256 == (clinvar.sha256 if clinvar else None)
        if existing.sha256 == panel.sha256 and same_clinvar:
            return existing, False
        raise StateError(
            Reason(
                N_(
                    "panel {label} is already published (sha256 {sha}…, ClinVar {clinvar}) with other "
                    "content: published versions are immutable; raise the version in panel.toml"
                ),
                label=existing.label,
                sha=existing.sha256[:12],
                clinvar=(existing.clinvar_sha256 or "none")[:12],
            )
        )
    snapshot_id = _insert_clinvar(conn, clinvar, panel.genome_build) if clinvar else None
    params = {
        "panel_id": panel.panel_id,
        "major": panel.version.major,
        "minor": panel.version.minor,
        "name": panel.name,
        "description": panel.description,
        "genome_build": panel.genome_build,
        "sha256": panel.sha256,
        "settings": Jsonb(panel.settings.as_dict()),
        "clinvar_snapshot_id": snapshot_id,
        "published_by": actor,
        "origin": Jsonb(origin) if origin is not None else None,
    }
    pv_id = conn.execute(query("insert_panel_version"), params).fetchone()["id"]
    _insert_lists(conn, pv_id, panel)
    return get_version(conn, pv_id), True


# ---------------------------------------------------------------- rebuilding


def settings_from_dict(data: dict[str, Any]) -> RuleSettings:
    known = {f.name for f in dataclasses.fields(RuleSettings)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("lof_consequences", "lof_sv_consequences"):
        if key in values:
            values[key] = tuple(values[key])
    return RuleSettings(**values)


def _gene(row: dict[str, Any]) -> PanelGene:
    return PanelGene(
        hgnc_id=row["hgnc_id"],
        symbol=row["symbol"],
        moi=Moi(row["moi"]),
        condition=row["condition"],
        lof_mechanism=row["lof_mechanism"],
        chrom=row["chrom"],
        start=row["start_pos"],
        end=row["end_pos"],
        transcript=row["transcript"],
        active=row["active"],
        source=row["source"],
        urgency=Urgency(row["urgency"]),
    )


def load_panel_version(conn: psycopg.Connection, panel_version_id: int) -> PanelVersion:
    """Rebuild the domain PanelVersion; its content must still hash to the published sha256."""
    row = conn.execute(query("get_panel_version"), {"id": panel_version_id}).fetchone()
    if row is None:
        raise NotFoundError(
            Reason(N_("panel version {panel_version_id} does not exist"), panel_version_id=panel_version_id)
        )
    ref = {"panel_version_id": panel_version_id}
    genes = tuple(_gene(r) for r in conn.execute(query("list_panel_genes"), ref))
    include = tuple(
        IncludedVariant(r["chrom"], r["pos"], r["ref"], r["alt"], r["hgnc_id"], r["source"])
        for r in conn.execute(query("list_panel_include"), ref)
    )
    exclude = tuple(
        ExcludedVariant(r["chrom"], r["pos"], r["ref"], r["alt"], r["reason"])
        for r in conn.execute(query("list_panel_exclude"), ref)
    )
    panel = PanelVersion(
        panel_id=row["panel_id"],
        name=row["name"],
        version=Version(row["major"], row["minor"]),
        genome_build=row["genome_build"],
        settings=settings_from_dict(row["settings"]),
        genes=genes,
        include=include,
        exclude=exclude,
        description=row["description"],
    )
    if panel_sha256(panel) != row["sha256"]:
        raise IntegrityError(
            Reason(
                N_("panel version {label}: stored content no longer matches its sha256"), label=panel.label
            )
        )
    return dataclasses.replace(panel, sha256=row["sha256"])


def load_clinvar(conn: psycopg.Connection, panel_version_id: int) -> ClinVarSnapshot | None:
    """The ClinVar snapshot published with a panel version (None when it was published without)."""
    row = conn.execute(query("get_panel_version"), {"id": panel_version_id}).fetchone()
    if row is None or row["clinvar_snapshot_id"] is None:
        return None
    rows = conn.execute(query("list_clinvar_records"), {"snapshot_id": row["clinvar_snapshot_id"]}).fetchall()
    records = pl.DataFrame({c: [r[c] for r in rows] for c in CLINVAR_COLUMNS}, schema=CLINVAR_SCHEMA)
    return ClinVarSnapshot(
        source=row["clinvar_source"],
        release_date=row["clinvar_release_date"],
        sha256=row["clinvar_sha256"],
        records=records,
    )
