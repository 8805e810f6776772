"""Alembic environment: raw-SQL migrations run under lock and statement timeouts.

The URL is taken from ``config.attributes["url"]`` (set by ``screening db upgrade``) or else from the
screening settings (``SCREENING_DATABASE_URL`` or the embedded PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from alembic import context

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "60s"


def _url() -> str:
    url = context.config.attributes.get("url")
    if not url:
        from screening.config import load_settings
        from screening.db.connection import database_url

        url = database_url(load_settings())
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )


OWNER = "screening_owner"  # migration 0007: owns the schema; objects created later are its too


def _act_as_owner(connection) -> None:
    """SET ROLE screening_owner once migration 0007 made it the schema's owner (CREATE on public) and
    the migrating user may act as it; before that, migrations run as the connecting user."""
    found = connection.execute(
        text(
            "SELECT 1 FROM pg_roles WHERE rolname = :owner AND pg_has_role(current_user, oid, 'MEMBER') "
            "AND has_schema_privilege(oid, 'public', 'CREATE')"
        ),
        {"owner": OWNER},
    ).fetchone()
    if found:
        connection.execute(text(f"SET ROLE {OWNER}"))


def run_migrations_online() -> None:
    engine = create_engine(_url())
    try:
        _run(engine)
    finally:
        engine.dispose()  # also when a migration fails: no connection left open


def _run(engine) -> None:
    with engine.connect() as connection:
        connection.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'"))
        _act_as_owner(connection)
        connection.commit()
        context.configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: migrations run against a database")
run_migrations_online()
