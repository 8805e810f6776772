"""Migrations: upgrade → downgrade → upgrade on a fresh database, under the env.py timeouts."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from conftest import LOCAL_PG, _reachable

from screening.db import migrate

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh_url(tmp_path):
    if not _reachable(LOCAL_PG):
        from screening.db.connection import embedded_server

        server = embedded_server(tmp_path / "pgdata")
        yield server.get_uri()
        server.cleanup()
        return
    name = f"screening_mig_{secrets.token_hex(4)}"
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield LOCAL_PG.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(fresh_url):
    migrate.upgrade(fresh_url)
    head = migrate.current(fresh_url)
    tables = _tables(fresh_url)
    assert {"panel_version", "batch", "sample", "screening_run", "finding", "candidate", "event"} <= tables
    migrate.downgrade(fresh_url, "base")
    assert migrate.current(fresh_url) is None
    assert _tables(fresh_url) == {"alembic_version"}
    migrate.upgrade(fresh_url)
    assert migrate.current(fresh_url) == head
    assert _tables(fresh_url) == tables


def test_published_panel_rows_are_immutable(fresh_url):
    migrate.upgrade(fresh_url, "0001")
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO panel_version (panel_id, major, minor, name, genome_build, sha256, settings, "
            "published_by) "
            "VALUES ('p', 1, 0, 'P', 'GRCh38', repeat('a', 64), '{}', 'pytest')"
        )
        with pytest.raises(psycopg.errors.RestrictViolation, match="immutable"):
            conn.execute("UPDATE panel_version SET name = 'changed'")
        with pytest.raises(psycopg.errors.RestrictViolation, match="immutable"):
            conn.execute("DELETE FROM panel_version")


def test_truncate_is_refused_on_append_only_tables(fresh_url):
    migrate.upgrade(fresh_url)
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        for table in ("panel_gene", "panel_version", "clinvar_record", "case_decisions", "issued_letters"):
            with pytest.raises(psycopg.errors.RestrictViolation, match=f"{table} rows are immutable"):
                conn.execute(f"TRUNCATE {table} CASCADE")
