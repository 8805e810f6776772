"""``screening identity …``: babies' identities, kept apart (the web app's records: the web login role)."""

from __future__ import annotations

from pathlib import Path

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError


@click.group()
def identity() -> None:
    """Babies' identities (names, national numbers, dates of birth, addresses, GP), kept apart."""


@identity.command(name="import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--batch-id", default=None, help="Match sample ids within this batch only.")
def identity_import(csv_path: Path, batch_id: str | None) -> None:
    """Import the lab's identity CSV (keyed by sample id). Every row is checked first; nothing is stored
    when any row has a problem. Prints counts only, never identifying values."""
    from screening import programmes
    from screening.db import connection
    from screening.identity_import import import_identities

    settings = role_settings("web")
    try:
        hosted = programmes.for_settings(settings)
        conn = connection.connect(connection.database_url(settings))
        with conn:
            stored = import_identities(conn, settings.actor, csv_path, batch_id, hosted)
    except ScreeningError as exc:
        fail(exc)
    click.echo(f"identities stored for {stored} sample(s)")
