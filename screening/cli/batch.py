"""``screening batch …``: submit batches of babies and follow them (the lab's commands; they connect as
the web app's login role)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from screening.cli.common import EXIT_INPUT, fail, role_settings
from screening.errors import ManifestError, ScreeningError

# the columns of ``batch status``: receipt → screened, screened → reviewed, receipt → letter


# the columns of ``batch status``: receipt → screened, screened → reviewed, receipt → letter
TURNAROUND_COLUMNS = ("receipt_to_screened", "screened_to_reviewed", "receipt_to_letter")


@click.group()
def batch() -> None:
    """Submit batches of babies and follow them."""


@batch.command()
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--panel", "panel_label", required=True, help="Published panel version, <id>@<MAJOR.MINOR>.")
@click.option(
    "--batch-id", default=None, help="The lab's batch identifier [default: from the manifest's content]."
)
@click.option(
    "--programme",
    default=None,
    help="The programme the batch belongs to (england, denmark, … as configured) "
    "[default: the deployment's default programme].",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def submit(manifest: Path, panel_label: str, batch_id: str | None, programme: str | None, fmt: str) -> None:
    """Validate MANIFEST completely, store the batch, then queue its samples. Prints the batch id.

    Every problem is reported at once and nothing is written when there is any. Submitting the same
    manifest again (same batch id) does not create a second batch. Exit status 2 on invalid input.
    """
    from screening import batches, tasks

    try:
        sub = batches.submit(
            role_settings("web"), manifest, panel_label, tasks.enqueue_samples, batch_id, programme=programme
        )
    except ManifestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except ScreeningError as exc:
        fail(exc)
    if fmt == "json":
        doc = {
            "batch_id": sub.lab_batch_id,
            "created": sub.created,
            "samples": len(sub.sample_ids),
            "programme": sub.programme,
        }
        click.echo(json.dumps(doc, sort_keys=True))
    else:
        click.echo(sub.lab_batch_id)
        if not sub.created:
            click.echo("(already submitted: no new batch created)", err=True)


@batch.command()
@click.argument("batch_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(batch_id: str, fmt: str) -> None:
    """State of BATCH_ID and of each of its samples (outcome, reasons, flagged genes), with turnaround:
    receipt → screened, screened → reviewed (case outcome recorded) and receipt → letter issued."""
    from screening import batches, report

    try:
        st = batches.status(role_settings("web"), batch_id)
    except ScreeningError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps(report.batch_status_to_dict(st), sort_keys=True, indent=2, default=str))
        return
    from screening.turnaround import duration

    counts = ", ".join(f"{k} {v}" for k, v in st.counts.items() if v)
    if st.worker_warning:
        click.echo(f"warning: {st.worker_warning}", err=True)
    click.echo(
        f"{st.batch.lab_batch_id}  {st.batch.state}  programme {st.batch.programme}  "
        f"panel {st.panel_label}  ({counts})"
    )
    summary = report.batch_status_to_dict(st)["turnaround"]
    for name, span in summary.items():
        if span["n"]:
            median, p90, most = (duration(span[k]) for k in ("median_s", "p90_s", "max_s"))
            label = name.replace("_", " ")
            click.echo(f"  {label}: median {median}, p90 {p90}, max {most} ({span['n']} samples)")
    head = f"{'sample':<16} {'state':<9} {'outcome':<24} {'screened':>9} {'reviewed':>9} {'letter':>9}"
    click.echo(f"  {head}  genes / reason")
    for s, result in st.samples:
        genes = ",".join(sorted({f.hgnc_id for f in result.findings})) if result else ""
        outcome = result.outcome.value if result else ""
        spans = st.milestones(s).spans()
        times = " ".join(f"{duration(spans[k]):>9}" for k in TURNAROUND_COLUMNS)
        row = f"{s.sample.sample_id:<16} {s.sample.state:<9} {outcome:<24} {times}"
        click.echo(f"  {row}  {genes} {s.sample.reason or ''}")


@batch.command(name="list")
@click.option("--limit", default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_(limit: int, fmt: str) -> None:
    """Batches, newest first, with sample counts per state."""
    from screening import batches

    try:
        rows = batches.list_batches(role_settings("web"), limit)
    except ScreeningError as exc:
        fail(exc)
    if fmt == "json":
        docs = [
            {
                "batch_id": r.batch.lab_batch_id,
                "programme": r.batch.programme,
                "state": r.batch.state,
                "panel": r.panel_label,
                "submitted_at": r.batch.submitted_at.isoformat(),
                "counts": r.counts,
            }
            for r in rows
        ]
        click.echo(json.dumps(docs, sort_keys=True, indent=2))
        return
    for r in rows:
        counts = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v)
        when = f"{r.batch.submitted_at:%Y-%m-%d %H:%M}"
        b = r.batch
        click.echo(f"{b.lab_batch_id}  {b.programme}  {b.state:<9} {r.panel_label}  {when}  {counts}")


@batch.command()
@click.argument("batch_id")
@click.option(
    "--held/--no-held", default=False, help="Also re-queue held samples (after the lab fixed them)."
)
def retry(batch_id: str, held: bool) -> None:
    """Re-queue BATCH_ID's failed samples (and held ones with --held) with a fresh attempt budget."""
    from screening import batches, tasks

    states = ("failed", "held") if held else ("failed",)
    try:
        ids = batches.retry(role_settings("web"), batch_id, states, tasks.enqueue_samples)
    except ScreeningError as exc:
        fail(exc)
    click.echo(f"re-queued {len(ids)} sample(s)")


# ---------------------------------------------------------------- worker and demo
