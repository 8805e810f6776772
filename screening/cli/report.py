"""``screening report turnaround``: receipt → result times, per outcome."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from screening.errors import ScreeningError

EXIT_INPUT = 2


@click.group()
def report() -> None:
    """Programme reports."""


@report.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only samples received on or after this date (UTC) [default: every sample].",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def turnaround(since: datetime | None, fmt: str) -> None:
    """Median, p90 and max of receipt → screened, screened → reviewed (case outcome recorded) and
    receipt → letter issued, per outcome (the reviewed outcome when there is one, else the screening
    outcome) and for all samples together."""
    from screening.config import load_settings
    from screening.db import connection
    from screening.db import turnaround as db_turnaround
    from screening.turnaround import SPANS, duration

    settings = load_settings()
    since = since.replace(tzinfo=UTC) if since is not None else None
    try:
        with connection.session(settings) as conn:
            rows = db_turnaround.report(conn, since)
    except ScreeningError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if fmt == "json":
        doc = {"since": since.isoformat() if since else None, "outcomes": rows}
        click.echo(json.dumps(doc, sort_keys=True, indent=2))
        return
    click.echo(f"turnaround of samples received {'since ' + since.date().isoformat() if since else 'ever'}")
    head = "".join(f"  {name.replace('_', ' '):>38}" for name, _ in SPANS)
    click.echo(f"{'outcome':<24} {'samples':>7}{head}")
    click.echo(f"{'':<24} {'':>7}" + "".join(f"  {'n   median      p90      max':>38}" for _ in SPANS))
    for r in rows:
        cells = ""
        for name, _ in SPANS:
            s = r[name]
            cells += f"  {s['n']:>11} {duration(s['median_s']):>8} {duration(s['p90_s']):>8} "
            cells += f"{duration(s['max_s']):>8}"
        click.echo(f"{r['outcome']:<24} {r['samples']:>7}{cells}")
