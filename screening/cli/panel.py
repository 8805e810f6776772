"""``screening panel …``: curate, publish and inspect gene panel versions: publish, validate, list, show,
diff, export, import-bundle, retire, import-panelapp, import-clinvar, impact, rescreen. ``publish``
snapshots a panel folder (and the ClinVar records of its genes) into the database as an immutable
version. They connect as the curation login role.

Database: SCREENING_DATABASE_URL, else the embedded PostgreSQL in SCREENING_HOME. "Who" is
SCREENING_USER, else the login name.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from screening import panel_content
from screening.cli.common import EXIT_INPUT, fail, role_settings
from screening.errors import ScreeningError

if TYPE_CHECKING:
    from screening.domain import PanelVersion, Version

# domain.GENOME_BUILDS, written out so that the command starts without importing the domain model
# (tests/unit/test_cli_startup.py checks they agree)
GENOME_BUILDS = ("GRCh38", "GRCh37")

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


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

    try:
        settings = role_settings("curation")
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


def _version(_ctx, _param, value: str | None) -> Version | None:
    from screening.domain import Version

    if value is None:
        return None
    try:
        return Version.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _load_spec(spec: str) -> PanelVersion:
    """A panel folder (draft) or a published ``panel@MAJOR.MINOR``."""
    from screening import panels
    from screening.db import connection
    from screening.db import curation as db
    from screening.db import panels as db_panels

    if Path(spec).is_dir():
        return panels.load_panel(Path(spec))
    settings = role_settings("curation")
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        return db_panels.load_panel_version(conn, db.require_version(conn, spec).id)


# ---------------------------------------------------------------- drafts


@panel.command()
@click.argument("panel_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(panel_dirs: tuple[Path, ...]) -> None:
    """Check panel folders and list every problem (exit 2 when any folder has one)."""
    from screening import panels

    bad = 0
    for folder in panel_dirs:
        problems = panels.validate_panel(folder)
        if problems:
            bad += 1
            click.echo(f"{folder}: {len(problems)} problem(s)")
            click.echo("\n".join(f"  - {p}" for p in problems))
        else:
            version = panels.load_panel(folder)
            click.echo(f"{folder}: OK {version.label} sha256 {version.sha256}")
    if bad:
        sys.exit(EXIT_INPUT)


@panel.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def diff(old: str, new: str, fmt: str) -> None:
    """Compare two versions: each a published panel@MAJOR.MINOR or a panel folder."""
    from screening import curation

    try:
        d = curation.diff_panels(_load_spec(old), _load_spec(new))
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    click.echo(curation.diff_json(d) if fmt == "json" else curation.diff_table(d), nl=False)


@panel.command("import-panelapp")
@click.argument(
    "responses", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--panel-id", default=None, help="Panel id (default: the --out folder name).")
@click.option(
    "--version", "version", default="1.0", show_default=True, callback=_version, help="Draft version."
)
@click.option("--build", type=click.Choice(GENOME_BUILDS), default="GRCh38", show_default=True)
@click.option("--name", default=None, help="Panel name (default: the PanelApp panel name(s)).")
def import_panelapp(responses, out_dir: Path, panel_id, version: Version, build: str, name) -> None:
    """Write a draft panel folder from PanelApp API JSON (panel detail, super-panel, gene-list pages).

    Green genes are active, Amber/Red kept inactive; genes whose mode of inheritance cannot be screened,
    STRs, regions and genes without coordinates are listed in panelapp_import_report.tsv.
    """
    from screening import panelapp

    try:
        options = panelapp.DraftOptions(panel_id or out_dir.name, version, build, name)
        result = panelapp.build_draft(panelapp.load_responses(list(responses)), options)
        problems = panelapp.write_draft(result, out_dir)
    except ScreeningError as exc:
        fail(exc)
    click.echo(panelapp.report_text(result.report), nl=False)
    click.echo(f"draft written to {out_dir} ({len(result.panel.genes)} gene entries); review, then publish")
    if problems:
        click.echo(f"the draft does not validate yet: {len(problems)} problem(s)", err=True)
        click.echo("\n".join(f"  - {p}" for p in problems), err=True)
        sys.exit(EXIT_INPUT)


# ---------------------------------------------------------------- published versions


@panel.command("list")
@click.argument("panel_id", required=False)
@FORMAT
def list_versions(panel_id: str | None, fmt: str) -> None:
    """Published versions in integer version order ("2.10" after "2.9"), with their use."""
    from screening.db import connection
    from screening.db import curation as db

    try:
        settings = role_settings("curation")
        with connection.session(settings) as conn:
            rows = db.list_versions(conn, panel_id)
    except ScreeningError as exc:
        fail(exc)
    if fmt == "json":
        from screening.curation import version_summary_to_dict

        click.echo(json.dumps([version_summary_to_dict(r) for r in rows], indent=2, default=str))
        return
    click.echo(
        f"{'version':<36} {'genes':>6} {'published':<17} {'by':<12} {'batches':>7} {'runs':>6}  status"
    )
    for r in rows:
        status = f"retired {r.retired_at:%Y-%m-%d}" if r.retired_at else "in use"
        click.echo(
            f"{r.label:<36} {r.active_genes:>6} {r.published_at:%Y-%m-%d %H:%M}  {r.published_by:<12} "
            f"{r.batches:>7} {r.runs:>6}  {status}  {r.change_message}"
        )


@panel.command()
@click.argument("label")
@click.option("--genes/--no-genes", default=False, help="List the gene entries too.")
@FORMAT
def show(label: str, genes: bool, fmt: str) -> None:
    """One published version: identity, sha256, who/when/why, ClinVar snapshot, retirement, use."""
    from screening.db import connection
    from screening.db import curation as db
    from screening.db import panels as db_panels

    try:
        settings = role_settings("curation")
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            row = db.require_version(conn, label)
            info = db.summary(conn, row.panel_id, row.version)
            version = db_panels.load_panel_version(conn, row.id)
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    if fmt == "json":
        from screening.curation import version_to_dict

        click.echo(json.dumps(version_to_dict(info, version, row.origin, genes), indent=2, default=str))
        return
    click.echo(_show_text(info, version, genes, row.origin), nl=False)


def _origin_text(origin: dict[str, Any] | None) -> str:
    if not origin:
        return "published here"
    return (
        f"imported from programme {origin.get('programme') or '(unnamed)'} ({origin.get('deployment')}, "
        f"exported by {origin.get('exported_by')}), bundle {str(origin.get('bundle_sha256'))[:12]}"
    )


def _show_text(info, version: PanelVersion, genes: bool, origin: dict[str, Any] | None) -> str:
    lines = [
        f"{info.label}  {info.name}  ({info.genome_build})",
        f"  sha256        {info.sha256}",
        f"  published     {info.published_at:%Y-%m-%d %H:%M:%S %Z} by {info.published_by}",
        f"  message       {info.change_message or '(none)'}",
        f"  genes         {info.active_genes} active of {info.gene_entries} entries; "
        f"inclusion list {len(version.include)}, exclusion list {len(version.exclude)}",
        f"  ClinVar       {info.clinvar_release_date or '-'} {info.clinvar_sha256 or '(none)'}",
        f"  origin        {_origin_text(origin)}",
        f"  used by       {info.batches} batch(es), {info.runs} screening run(s)",
        "  status        "
        + (
            f"retired {info.retired_at:%Y-%m-%d} by {info.retired_by}: {info.retired_reason}"
            if info.retired_at
            else "in use"
        ),
    ]
    if genes:
        lines += [
            f"    {g.symbol:<10} {g.hgnc_id:<11} {g.moi:<20} {g.chrom}:{g.start}-{g.end} "
            f"{'active' if g.active else 'inactive'}"
            for g in version.genes
        ]
    return "\n".join(lines) + "\n"


@panel.command()
@click.argument("label")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="As a panel folder.")
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="As a self-describing bundle for another programme (panel files, settings, ClinVar snapshot, "
    "sha256 manifest); import it there with `screening panel import-bundle`.",
)
@click.option(
    "--panelapp",
    "panelapp_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="As PanelApp-style API JSON (genes, modes of inheritance, confidence, coordinates) for other tools.",
)
@click.option(
    "--programme",
    envvar="SCREENING_PROGRAMME",
    default="",
    help="Programme named in the bundle as its origin. [env SCREENING_PROGRAMME]",
)
def export(
    label: str, out_dir: Path | None, bundle_path: Path | None, panelapp_path: Path | None, programme: str
) -> None:
    """Write a published version out: as a panel folder that re-publishes to the same sha256 (--out), as
    a bundle for another programme (--bundle), or as PanelApp-style JSON (--panelapp)."""
    from screening import panelapp, panels
    from screening.errors import IntegrityError

    try:
        chosen = [p for p in (out_dir, bundle_path, panelapp_path) if p is not None]
        if len(chosen) != 1:
            raise ScreeningError("give exactly one of --out, --bundle, --panelapp")
        if bundle_path is not None:
            _export_bundle(label, bundle_path, programme)
            return
        version = _load_spec(label)
        if panelapp_path is not None:
            _refuse_existing(panelapp_path)
            text = json.dumps(panelapp.panelapp_document(version), indent=2, sort_keys=True)
            panelapp_path.write_text(text + "\n", encoding="utf-8")
            click.echo(f"{version.label} exported as PanelApp-style JSON to {panelapp_path}")
            return
        if out_dir.exists() and any(out_dir.iterdir()):
            raise ScreeningError(f"{out_dir}: folder exists and is not empty")
        panels.write_panel(version, out_dir)
        again = panels.load_panel(out_dir)
        if again.sha256 != version.sha256:
            raise IntegrityError(f"{out_dir}: exported folder hashes to {again.sha256}, not {version.sha256}")
    except (ScreeningError, ValueError, OSError) as exc:
        fail(exc)
    click.echo(f"{version.label} exported to {out_dir} (sha256 {version.sha256})")


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise ScreeningError(f"{path}: file exists; choose a new name")


def _export_bundle(label: str, path: Path, programme: str) -> None:
    import socket

    from screening import bundle
    from screening.db import connection
    from screening.db import curation as db
    from screening.db import panels as db_panels

    _refuse_existing(path)
    if Path(label).is_dir():
        raise ScreeningError(f"{label}: only a published version (panel@MAJOR.MINOR) can be bundled")
    settings = role_settings("curation")
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row = db.require_version(conn, label)
        version = db_panels.load_panel_version(conn, row.id)
        clinvar = db_panels.load_clinvar(conn, row.id)
    origin = bundle.Origin(programme, socket.gethostname(), settings.actor)
    sha = bundle.write_bundle(path, version, clinvar, origin)
    records = 0 if clinvar is None else clinvar.records.height
    click.echo(
        f"{version.label} (sha256 {version.sha256}) bundled to {path} with {records} ClinVar records; "
        f"bundle sha256 {sha}"
    )


@panel.command("import-bundle")
@click.argument("bundle_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--message", "-m", default=None, help="Change message (default: where it came from).")
def import_bundle(bundle_path: Path, message: str | None) -> None:
    """Publish another programme's exported version: every sha256 is verified before anything is
    accepted; the same content is published with the same panel sha256 and its origin recorded."""
    from screening import bundle
    from screening.db import connection
    from screening.db import curation as db
    from screening.db import panels as db_panels

    try:
        found = bundle.read_bundle(bundle_path)
        origin = {**found.origin.as_dict(), "bundle_sha256": found.sha256}
        text = message or (
            f"imported from programme {found.origin.programme or '(unnamed)'} "
            f"({found.origin.deployment}), bundle {found.sha256[:12]}"
        )
        settings = role_settings("curation")
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            db.set_change_message(conn, text)
            row, created = db_panels.publish(conn, found.version, found.clinvar, settings.actor, origin)
    except ScreeningError as exc:
        fail(exc)
    what = "published" if created else "already published with identical content"
    click.echo(f"{row.label} {what} (sha256 {row.sha256}) from {bundle_path} (bundle {found.sha256})")


@panel.command()
@click.argument("label")
@click.option("--reason", required=True, help="Why no new batches may use this version.")
def retire(label: str, reason: str) -> None:
    """Retire a version: no new batches; its content and the runs that used it stay as they are."""
    from screening.db import connection
    from screening.db import curation as db

    try:
        settings = role_settings("curation")
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            row = db.retire(conn, db.require_version(conn, label).id, reason)
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    click.echo(f"{label} retired at {row.retired_at:%Y-%m-%d %H:%M} by {row.retired_by}")


@panel.command("import-clinvar")
@click.argument("clinvar_vcf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--panel", "spec", required=True, help="Published panel@MAJOR.MINOR, or a panel folder (preview)."
)
@click.option("--as-version", callback=_version, default=None, help="New version (default: next minor).")
@click.option("--message", default=None, help="Change message stored with the new version.")
@click.option("--release-date", default=None, help="ISO date, only when the VCF has no ##fileDate.")
def import_clinvar(clinvar_vcf: Path, spec: str, as_version, message, release_date) -> None:
    """Attach a ClinVar snapshot (restricted to the panel's padded gene regions) to a panel.

    A published version is immutable, so its content is published again as a new version with the
    snapshot. With a panel folder, only a summary is printed (publish it with --clinvar).
    """
    from screening import panels, vcf

    try:
        version = _load_spec(spec)
        snapshot = _dated(
            vcf.read_clinvar(str(clinvar_vcf), version.genome_build, panels.region_list(version)),
            release_date,
        )
        click.echo(_clinvar_summary(snapshot, version))
        if Path(spec).is_dir():
            click.echo(f"preview only: publish with `screening panel publish {spec} --clinvar {clinvar_vcf}`")
            return
        label = _publish_with_clinvar(version, snapshot, as_version, message)
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    click.echo(f"published {label} with ClinVar {snapshot.release_date} ({snapshot.sha256[:12]}…)")


def _dated(snapshot, release_date: str | None):
    if release_date and snapshot.release_date and release_date != snapshot.release_date:
        raise ScreeningError(
            f"--release-date {release_date} differs from the VCF's ##fileDate {snapshot.release_date}"
        )
    if not (release_date or snapshot.release_date):
        raise ScreeningError(
            f"{snapshot.source}: no ##fileDate in the header; give --release-date YYYY-MM-DD"
        )
    return replace(snapshot, release_date=snapshot.release_date or release_date)


def _clinvar_summary(snapshot, version: PanelVersion) -> str:
    import polars as pl

    r, s = snapshot.records, version.settings
    qualifying = r.filter(
        (pl.col("plp_count") >= s.clinvar_min_plp)
        & (pl.col("blb_count") <= s.clinvar_max_blb)
        & (pl.col("stars") >= (s.clinvar_min_stars or 0))
    )
    stars = dict(sorted(Counter(r["stars"].to_list()).items()))
    return (
        f"ClinVar {snapshot.source} released {snapshot.release_date} sha256 {snapshot.sha256}\n"
        f"  records in {version.label} gene regions: {r.height}; with P/LP: {(r['plp_count'] > 0).sum()}; "
        f"with B/LB: {(r['blb_count'] > 0).sum()}; qualifying under the ClinVar rule: {qualifying.height}\n"
        f"  review stars: {stars}"
    )


def _publish_with_clinvar(
    version: PanelVersion, snapshot, as_version: Version | None, message: str | None
) -> str:
    from screening.db import connection
    from screening.db import curation as db
    from screening.db import panels as db_panels
    from screening.domain import Version

    new = replace(version, version=as_version or Version(version.version.major, version.version.minor + 1))
    new = panel_content.sealed(new)
    settings = role_settings("curation")
    text = message or f"ClinVar {snapshot.release_date} ({snapshot.sha256[:12]}) on {version.label}"
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        if db_panels.find_version(conn, new.panel_id, new.version) is not None:
            raise ScreeningError(f"{new.label} is already published; choose --as-version")
        db.set_change_message(conn, text)
        row, _ = db_panels.publish(conn, new, snapshot, settings.actor)
    return row.label


# ---------------------------------------------------------------- impact and re-screening


@panel.command()
@click.argument("draft_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--batch", "lab_batch_id", default=None, help="Only this batch (default: every screened baby).")
@click.option(
    "--clinvar",
    "clinvar_path",
    type=click.Path(path_type=Path),
    default=None,
    help="ClinVar VCF for the draft (default: each baby's stored snapshot).",
)
@FORMAT
def impact(draft_dir: Path, lab_batch_id: str | None, clinvar_path: Path | None, fmt: str) -> None:
    """Preview a draft: re-screen stored VCFs of babies screened under this panel, read-only, and show
    whose outcome or findings would change, with counts per gene. Nothing is written."""
    from screening import curation, panels

    try:
        draft = panels.load_panel(draft_dir)
        d = curation.impact_preview(role_settings("curation"), draft, lab_batch_id, clinvar_path)
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    click.echo(curation.delta_json(d) if fmt == "json" else curation.delta_table(d), nl=False)


@panel.command()
@click.argument("lab_batch_id")
@click.option("--panel", "label", required=True, help="Published panel@MAJOR.MINOR to re-screen under.")
@click.option("--wait", "wait_s", type=float, default=0, help="Wait up to this many seconds, then report.")
@click.option("--report", "report_only", is_flag=True, help="Only report the delta of runs already made.")
@click.option("--against", default=None, help="Compare with this version (default: the batch's own).")
@FORMAT
def rescreen(lab_batch_id: str, label: str, wait_s: float, report_only: bool, against, fmt: str) -> None:
    """Re-screen a finished batch under another version: a new run per baby (old runs kept), then a
    delta report (newly suspected, no longer suspected, unchanged). Needs running workers."""
    from screening import curation

    try:
        settings = role_settings("curation")
        if not report_only:
            from screening import tasks

            started = curation.start_rescreen(settings, lab_batch_id, label, tasks.enqueue_samples)
            click.echo(
                f"{len(started.sample_ids)} sample(s) of {lab_batch_id} queued under {started.target}",
                err=True,
            )
            if not _wait(settings, lab_batch_id, wait_s):
                click.echo(
                    f"not finished; later: screening panel rescreen {lab_batch_id} --panel {label} --report",
                    err=True,
                )
                return
        d = curation.rescreen_delta(settings, lab_batch_id, label, against)
    except (ScreeningError, ValueError) as exc:
        fail(exc)
    click.echo(curation.delta_json(d) if fmt == "json" else curation.delta_table(d), nl=False)


def _wait(settings, lab_batch_id: str, wait_s: float) -> bool:
    from screening import curation

    deadline = time.monotonic() + wait_s
    while not curation.batch_finished(settings, lab_batch_id):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True
