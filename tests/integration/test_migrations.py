"""Migrations: upgrade → downgrade → upgrade on a fresh database, under the env.py timeouts."""

from __future__ import annotations

import contextlib
import secrets

import psycopg
import pytest
from conftest import LOCAL_PG, _reachable

from screening import panel_content
from screening.db import migrate

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def _fresh_database(tmp_path):
    """A new, empty database (dropped afterwards): on the local server when reachable, else embedded."""
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


@pytest.fixture
def fresh_url(tmp_path):
    with _fresh_database(tmp_path) as url:
        yield url


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
        for table in (
            "panel_gene",
            "panel_version",
            "clinvar_record",
            "case_decisions",
            "issued_letters",
            "case_confirmations",
            "finding_decision_basis",
            "identity_checks",
        ):
            with pytest.raises(psycopg.errors.RestrictViolation, match=f"{table} rows are immutable"):
                conn.execute(f"TRUNCATE {table} CASCADE")


def test_versions_published_before_urgency_still_verify_and_read_as_routine(fresh_url):
    """0005 adds panel_gene.urgency: rows published under 0004 become routine and keep their sha256."""

    from psycopg.rows import dict_row
    from psycopg.types.json import Jsonb

    from screening.db import panels as db_panels
    from screening.domain import GRCH38, Moi, PanelGene, PanelVersion, RuleSettings, Urgency, Version

    gene = PanelGene("HGNC:1884", "CFTR", Moi.BIALLELIC, "Cystic fibrosis", True, "7", 117465784, 117715971)
    panel = PanelVersion("old", "Old", Version(1, 0), GRCH38, RuleSettings(), (gene,))
    panel = panel_content.sealed(panel)
    migrate.upgrade(fresh_url, "0004")
    with psycopg.connect(fresh_url) as conn:  # one transaction, as publishing was under 0004
        pv_id = conn.execute(
            "INSERT INTO panel_version (panel_id, major, minor, name, genome_build, sha256, settings, "
            "published_by) VALUES ('old', 1, 0, 'Old', 'GRCh38', %s, %s, 'pytest') RETURNING id",
            (panel.sha256, Jsonb(RuleSettings().as_dict())),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO panel_gene (panel_version_id, ordinal, hgnc_id, symbol, moi, condition, "
            "lof_mechanism, chrom, start_pos, end_pos, transcript, active, source) "
            "VALUES (%s, 0, 'HGNC:1884', 'CFTR', 'BIALLELIC', 'Cystic fibrosis', true, '7', 117465784, "
            "117715971, NULL, true, '')",
            (pv_id,),
        )
    migrate.upgrade(fresh_url)
    with psycopg.connect(fresh_url, row_factory=dict_row) as conn:
        loaded = db_panels.load_panel_version(conn, pv_id)
    assert loaded.sha256 == panel.sha256
    assert loaded.genes[0].urgency is Urgency.ROUTINE
    with psycopg.connect(fresh_url) as conn:  # a new version's rows are checked: no unknown urgency
        new_id = conn.execute(
            "INSERT INTO panel_version (panel_id, major, minor, name, genome_build, sha256, settings, "
            "published_by) VALUES ('old', 2, 0, 'Old', 'GRCh38', repeat('b', 64), '{}', 'pytest') "
            "RETURNING id"
        ).fetchone()[0]
        copy_gene = (
            "INSERT INTO panel_gene SELECT %s, 0, hgnc_id, symbol, moi, condition, lof_mechanism, chrom, "
            "start_pos, end_pos, transcript, active, source, 'urgent' FROM panel_gene "
            "WHERE panel_version_id = %s"
        )
        with pytest.raises(psycopg.errors.CheckViolation, match="panel_gene_urgency_known"):
            conn.execute(copy_gene, (new_id, pv_id))


def test_a_second_reviewer_must_be_another_account_and_confirm_a_positive(fresh_url):
    """0011: the database refuses a confirmation by the deciding account or of another outcome."""
    migrate.upgrade(fresh_url)
    rows = [
        "INSERT INTO panel_version (id, panel_id, major, minor, name, genome_build, sha256, settings, "
        "published_by) VALUES (1, 'p', 1, 0, 'P', 'GRCh38', repeat('a', 64), '{}', 'pytest')",
        "INSERT INTO batch (id, lab_batch_id, panel_version_id, manifest_name, manifest_sha256, "
        "submitted_by, samples_total, samples_pending) "
        "VALUES (1, 'b', 1, 'm.csv', repeat('b', 64), 'pytest', 1, 0)",
        "INSERT INTO sample (id, batch_id, sample_id, panel_version_id, vcf_path, vcf_sample, "
        "vcf_sha256, sex) VALUES (1, 1, 'S1', 1, '/x.vcf.gz', 'S1', repeat('c', 64), 'female')",
        "INSERT INTO screening_run (id, sample_id, panel_version_id, outcome, karyotype, reasons, "
        "not_evaluated, panel_sha256, vcf_sha256, vcf_sample, genome_build, settings, software_version) "
        "VALUES (1, 1, 1, 'condition_suspected', 'XX', '[]', '[]', repeat('a', 64), repeat('c', 64), "
        "'S1', 'GRCh38', '{}', 't')",
        "INSERT INTO case_decisions (id, run_id, outcome, reason, decided_by) "
        "VALUES (1, 1, 'condition_suspected', 'r', 'web:a'), (2, 1, 'no_condition_suspected', 'r', 'web:a')",
    ]
    insert = (
        "INSERT INTO case_confirmations (case_decision_id, run_id, reason, confirmed_by) "
        "VALUES (%s, 1, 'ok', %s)"
    )
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        for sql in rows:
            conn.execute(sql)
        with pytest.raises(psycopg.errors.RaiseException, match="different account"):
            conn.execute(insert, (1, "web:a"))
        with pytest.raises(psycopg.errors.RaiseException, match="only a condition_suspected"):
            conn.execute(insert, (2, "web:b"))
        conn.execute(insert, (1, "web:b"))
        with pytest.raises(psycopg.errors.RestrictViolation, match="immutable"):
            conn.execute("DELETE FROM case_confirmations")
