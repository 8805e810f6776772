"""``screening db …``: the database schema (migrations run as the owner role)."""

from __future__ import annotations

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError

# the columns of ``batch status``: receipt → screened, screened → reviewed, receipt → letter


@click.group()
def db() -> None:
    """Database schema (SCREENING_DATABASE_URL, else the embedded PostgreSQL)."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration (alembic head)."""
    from screening.db import connection, migrate

    try:
        url = connection.database_url(role_settings(None))
        migrate.upgrade(url)
        click.echo(f"database at revision {migrate.current(url)}")
    except ScreeningError as exc:
        fail(exc)


# ---------------------------------------------------------------- batch
