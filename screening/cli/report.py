"""``screening report turnaround|programme|share``: a programme's figures.

Reports read through the web app's login role (``screening_web``: it reads results and decisions; it
writes nothing here). ``programme`` and ``share`` never print a sample id or an identity; ``share``
writes only aggregate counts, small ones withheld, for a partner programme.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from screening.cli.common import EXIT_INPUT, role_settings
from screening.errors import ScreeningError


@click.group()
def report() -> None:
    """Programme reports."""


SINCE = click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only samples received on or after this date (UTC) [default: every sample].",
)
PROGRAMME = click.option(
    "--programme",
    default=None,
    metavar="NAME",
    help="Only this programme's batches (e.g. england, denmark) [default: every programme].",
)


@report.command()
@PROGRAMME
@SINCE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def turnaround(programme: str | None, since: datetime | None, fmt: str) -> None:
    """Median, p90 and max of receipt → screened, screened → reviewed (case outcome recorded) and
    receipt → letter issued, per outcome (the reviewed outcome when there is one, else the screening
    outcome) and for all samples together."""
    from screening.db import connection
    from screening.db import turnaround as db_turnaround
    from screening.turnaround import SPANS, duration

    settings = role_settings("web")
    since = since.replace(tzinfo=UTC) if since is not None else None
    try:
        with connection.session(settings) as conn:
            rows = db_turnaround.report(conn, since, _programme_name(programme))
    except ScreeningError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if fmt == "json":
        doc = {"since": since.isoformat() if since else None, "programme": programme, "outcomes": rows}
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


def _programme_name(programme: str | None) -> str | None:
    import re

    if programme is not None and not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", programme):
        raise ScreeningError(
            f"--programme {programme[:40]!r}: a programme is a lower-case name such as england"
        )
    return programme


def programme_figures(settings, programme: str | None, since: datetime | None):
    """(the samples' facts, the scope, the programme document), read as the web role."""
    from screening import programmes
    from screening.db import connection
    from screening.db import programme as db_programme
    from screening.figures import Band, ReportScope

    band = programmes.for_settings(settings).band(programme, settings.positive_rate_band)
    scope = ReportScope(programme, since, Band(*band), settings.four_eyes)
    with connection.session(settings) as conn:
        samples, doc = db_programme.figures(conn, scope)
    return samples, scope, doc


@report.command()
@PROGRAMME
@SINCE
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
def programme(programme: str | None, since: datetime | None, fmt: str) -> None:
    """Babies screened, outcomes and the screen-positive rate against the expected band (the
    programme's positive_rate_band, else SCREENING_POSITIVE_RATE_BAND), why testing was not
    possible, turnaround, what review confirmed (positive predictive value), yield per gene and
    condition, per ISO week and per batch."""
    since = since.replace(tzinfo=UTC) if since is not None else None
    _, _, doc = programme_figures(role_settings("web"), _programme_name(programme), since)
    if fmt == "json":
        click.echo(json.dumps(doc, sort_keys=True, indent=2))
    elif fmt == "csv":
        import csv

        from screening.figures import long_rows

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("section", "key", "metric", "value"))
        writer.writerows(("" if v is None else v for v in row) for row in long_rows(doc))
    else:
        from screening.figures_text import programme_table

        click.echo(programme_table(doc))


@report.command()
@PROGRAMME
@SINCE
@click.option(
    "--period",
    type=click.Choice(["month", "week"]),
    default="month",
    show_default=True,
    help="Counts per calendar month or ISO week.",
)
@click.option(
    "--min-count",
    type=click.IntRange(1, 1000),
    default=None,
    help="Withhold counts below this [default: SCREENING_SHARE_MIN_COUNT, else 5].",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="The JSON file to write (sha256 embedded).",
)
def share(
    programme: str | None, since: datetime | None, period: str, min_count: int | None, out: str
) -> None:
    """Write the aggregate, de-identified figures a partner programme may receive: counts per period,
    outcome, gene and condition; no sample id, batch id or identity; small counts withheld; sealed with
    its own sha256."""
    from pathlib import Path

    from screening import __version__
    from screening import share as sharing
    from screening.db import connection
    from screening.db import programme as db_programme

    settings = role_settings("web")
    since = since.replace(tzinfo=UTC) if since is not None else None
    samples, scope, _ = programme_figures(settings, _programme_name(programme), since)
    doc = sharing.build(samples, scope, period, min_count or settings.share_min_count, __version__)
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(sharing.dumps(doc), encoding="utf-8")
    try:  # recorded (and audited) first; the file appears only once that is committed
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            db_programme.record_share(conn, doc)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    total = doc["outcomes"]["totals"]["total"]
    babies = f"{total} babies" if total is not None else "babies: fewer than the minimum count"
    withheld = doc["suppression"]["withheld"]
    click.echo(f"wrote {out}: {babies}, {withheld} count(s) withheld, sha256 {doc['sha256']}")


@report.command(name="verify-share")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify_share(file: str) -> None:
    """Check a shared figures file: its sha256 over its content, and its shape (exit 2 when refused)."""
    from pathlib import Path

    from screening import share as sharing

    doc = sharing.verify(Path(file).read_bytes(), Path(file).name)
    click.echo(f"{file}: intact (sha256 {doc['sha256']}), programme {doc['programme']}")
