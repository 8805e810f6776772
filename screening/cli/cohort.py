"""``screening cohort check``: rebuild the cohort's allele counts from the stored runs and compare."""

from __future__ import annotations

import json
import sys

import click

from screening.cli.common import EXIT_INPUT
from screening.errors import ScreeningError

EXIT_MISMATCH = 1


@click.group()
def cohort() -> None:
    """The screened cohort's allele counts (the ClinVar rule's internal allele frequency)."""


@cohort.command()
@click.option("--panel", "panel_id", default=None, help="One panel id [default: every panel].")
@click.option(
    "--repair",
    is_flag=True,
    help="Replace the counts by those rebuilt from the stored runs when they differ.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(panel_id: str | None, repair: bool, fmt: str) -> None:
    """Rebuild each panel's cohort counts from the stored runs (latest run per baby, candidates other
    than failed-quality ones, each variant once) and check they match the counts kept incrementally.

    Exit status 0 when everything matches (or was repaired), 1 when something differs.
    """
    from screening.config import load_settings
    from screening.db import cohort as db_cohort
    from screening.db import connection

    settings = load_settings()
    checks, repaired = [], []
    try:
        with connection.session(settings) as conn:
            with connection.transaction(conn, settings.actor):
                panels = [panel_id] if panel_id else db_cohort.panel_ids(conn)
            for pid in panels:
                found = db_cohort.check(conn, pid)
                if repair and not found.matches:
                    with connection.transaction(conn, settings.actor):
                        db_cohort.rebuild(conn, pid)
                    repaired.append(pid)
                checks.append(found)
    except ScreeningError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if fmt == "json":
        docs = [{**c.as_dict(), "repaired": c.panel_id in repaired} for c in checks]
        click.echo(json.dumps(docs, sort_keys=True, indent=2))
    else:
        for c in checks:
            verdict = "match" if c.matches else ("repaired" if c.panel_id in repaired else "DIFFER")
            click.echo(
                f"{c.panel_id}: {verdict}: babies counted {c.babies_counted}, rebuilt {c.babies_rebuilt}; "
                f"{len(c.members)} baby(ies) and {len(c.alleles)} variant(s) differ"
            )
            for a in c.alleles[:10]:
                click.echo(f"  {a.chrom}:{a.pos} {a.ref}>{a.alt}: counted {a.counted}, rebuilt {a.rebuilt}")
    if any(not c.matches and c.panel_id not in repaired for c in checks):
        sys.exit(EXIT_MISMATCH)
