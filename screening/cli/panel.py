"""``screening panel …``: panel versions. ``publish`` snapshots a panel folder (and the ClinVar records
of its genes) into the database as an immutable version; other sub-commands join this group."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from screening.cli.common import EXIT_INPUT
from screening.errors import ScreeningError


@click.group()
def panel() -> None:
    """Curate, publish and inspect gene panel versions."""


@panel.command()
@click.argument("panel_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--clinvar",
    "clinvar_path",
    type=click.Path(path_type=Path),
    default=None,
    help="ClinVar VCF; its records in the panel's gene regions are stored with the version.",
)
@click.option(
    "--message",
    "-m",
    required=True,
    help="Why this version: stored with it, shown by `panel list/show` (a curator's change note).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def publish(panel_dir: Path, clinvar_path: Path | None, message: str, fmt: str) -> None:
    """Publish PANEL_DIR as an immutable panel version (identical content again is a no-op).

    Database: SCREENING_DATABASE_URL, else the embedded PostgreSQL in SCREENING_HOME (run
    `screening db upgrade` first). "Who" is SCREENING_USER, else the login name.
    """
    from screening import curation
    from screening.config import load_settings

    try:
        settings = dataclasses.replace(load_settings(), db_role="curation")
        if not message.strip():
            raise ScreeningError("--message: a published version needs a change message")
        done = curation.publish_folder(settings, panel_dir, message, clinvar_path)
    except ScreeningError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    row, created, records = done.row, done.created, done.clinvar_records
    if fmt == "json":
        doc = {
            "panel": row.label,
            "id": row.id,
            "sha256": row.sha256,
            "created": created,
            "clinvar_sha256": row.clinvar_sha256,
            "clinvar_records": records,
        }
        click.echo(json.dumps(doc, sort_keys=True))
        return
    verb = "published" if created else "already published (identical)"
    click.echo(f"{row.label} {verb}: sha256 {row.sha256}, ClinVar records {records}")
