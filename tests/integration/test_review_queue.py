"""The reviewers' queue order against a real PostgreSQL (its own fresh database): the most urgent finding
first (the urgency of the gene and mode in the run's panel version), then a definite pattern before a
phase-unknown compound heterozygote, then the oldest submission."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from conftest import LOCAL_PG, _reachable
from psycopg.types.json import Jsonb

from screening import panel_content
from screening.db import connection, migrate, review
from screening.db import panels as db_panels
from screening.domain import GRCH38, Moi, PanelGene, PanelVersion, RuleSettings, Urgency, Version

pytestmark = pytest.mark.integration

DEFINITE, PHASE_UNKNOWN = "homozygous", "possible_compound_heterozygous_phase_unknown"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _gene(hgnc: int, symbol: str, moi: Moi, urgency: Urgency, start: int) -> PanelGene:
    hgnc_id, condition = f"HGNC:{hgnc}", f"{symbol} disorder"
    return PanelGene(hgnc_id, symbol, moi, condition, True, "1", start, start + 5_000, urgency=urgency)


GENES = (
    _gene(1, "IMM", Moi.BIALLELIC, Urgency.IMMEDIATE, 1_000_000),
    _gene(2, "HIGH", Moi.BIALLELIC, Urgency.HIGH, 2_000_000),
    _gene(3, "ROUT", Moi.BIALLELIC, Urgency.ROUTINE, 3_000_000),
    # one gene, two modes, two urgencies: the finding's mode picks the urgency
    _gene(4, "TWO", Moi.BIALLELIC, Urgency.IMMEDIATE, 4_000_000),
    _gene(4, "TWO", Moi.MONOALLELIC, Urgency.ROUTINE, 4_000_000),
)


@pytest.fixture
def conn():
    if not _reachable(LOCAL_PG):
        pytest.skip("needs the local PostgreSQL at 127.0.0.1:5432")
    name = f"screening_queue_{secrets.token_hex(4)}"
    with psycopg.connect(LOCAL_PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = LOCAL_PG.rsplit("/", 1)[0] + "/" + name
    try:
        migrate.upgrade(url)
        with connection.connect(url) as c:
            yield c
    finally:
        with psycopg.connect(LOCAL_PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _publish(conn) -> int:
    panel = PanelVersion("queue", "Queue", Version(1, 0), GRCH38, RuleSettings(), GENES)
    panel = panel_content.sealed(panel)
    with connection.transaction(conn, "pytest"):
        row, _ = db_panels.publish(conn, panel, None, "pytest")
    assert db_panels.load_panel_version(conn, row.id).genes == GENES  # urgency stored and rebuilt
    return row.id


def _case(conn, pv_id: int, sample_id: str, submitted_hours: int, findings: list[tuple[str, Moi, str]]):
    """A screened baby with a suspected condition, in its own batch submitted T0 + hours."""
    symbols = {g.symbol: g.hgnc_id for g in GENES}
    with connection.transaction(conn, "pytest"):
        batch = conn.execute(
            "INSERT INTO batch (lab_batch_id, panel_version_id, manifest_name, manifest_sha256, "
            "samples_total, samples_pending, submitted_by, submitted_at) "
            "VALUES (%s, %s, 'm.csv', repeat('0', 64), 1, 0, 'pytest', %s) RETURNING id",
            (f"b-{sample_id}", pv_id, T0 + timedelta(hours=submitted_hours)),
        ).fetchone()["id"]
        sample = conn.execute(
            "INSERT INTO sample (batch_id, sample_id, panel_version_id, vcf_path, vcf_sample, vcf_sha256, "
            "sex, state) VALUES (%s, %s, %s, '/x.vcf.gz', %s, repeat('0', 64), 'female', 'screened') "
            "RETURNING id",
            (batch, sample_id, pv_id, sample_id),
        ).fetchone()["id"]
        run = conn.execute(
            "INSERT INTO screening_run (sample_id, panel_version_id, outcome, karyotype, reasons, "
            "not_evaluated, panel_sha256, vcf_sha256, vcf_sample, genome_build, settings, software_version) "
            "VALUES (%s, %s, 'condition_suspected', 'XX', %s, %s, repeat('a', 64), repeat('0', 64), %s, "
            "'GRCh38', %s, 'test') RETURNING id",
            (sample, pv_id, Jsonb([]), Jsonb([]), sample_id, Jsonb({})),
        ).fetchone()["id"]
        for ordinal, (symbol, moi, pattern) in enumerate(findings):
            conn.execute(
                "INSERT INTO finding (run_id, ordinal, hgnc_id, symbol, moi, condition, pattern) "
                "VALUES (%s, %s, %s, %s, %s, 'c', %s)",
                (run, ordinal, symbols[symbol], symbol, str(moi), pattern),
            )
    return run


def test_queue_puts_the_most_urgent_finding_first_then_definite_then_oldest(conn):
    pv = _publish(conn)
    bi, mono = Moi.BIALLELIC, Moi.MONOALLELIC
    _case(conn, pv, "routine-oldest", 0, [("ROUT", bi, DEFINITE)])
    _case(conn, pv, "high-unknown-old", 1, [("HIGH", bi, PHASE_UNKNOWN)])
    _case(conn, pv, "high-definite-new", 9, [("HIGH", bi, DEFINITE)])
    _case(conn, pv, "high-definite-old", 2, [("HIGH", bi, DEFINITE), ("ROUT", bi, DEFINITE)])
    _case(conn, pv, "immediate-new", 8, [("ROUT", bi, DEFINITE), ("IMM", bi, DEFINITE)])
    _case(conn, pv, "immediate-old-unknown", 3, [("IMM", bi, PHASE_UNKNOWN)])
    _case(conn, pv, "two-modes-immediate", 7, [("TWO", bi, DEFINITE)])
    _case(conn, pv, "two-modes-routine", 4, [("TWO", mono, DEFINITE)])
    # an immediate phase-unknown pair next to a definite high finding: the baby is immediate
    _case(
        conn, pv, "immediate-unknown-high-definite", 5, [("HIGH", bi, DEFINITE), ("IMM", bi, PHASE_UNKNOWN)]
    )
    decided = _case(conn, pv, "immediate-decided", 0, [("IMM", bi, DEFINITE)])
    review.record_case_decision(conn, decided, "condition_suspected", "referred", "pytest")

    queue = review.review_queue(conn)
    assert [(q.sample_id, q.urgency) for q in queue] == [
        ("two-modes-immediate", Urgency.IMMEDIATE),  # definite immediate, oldest first: 7h
        ("immediate-new", Urgency.IMMEDIATE),  # 8h
        ("immediate-old-unknown", Urgency.IMMEDIATE),  # immediate but only phase unknown: 3h
        ("immediate-unknown-high-definite", Urgency.IMMEDIATE),  # 5h
        ("high-definite-old", Urgency.HIGH),  # 2h
        ("high-definite-new", Urgency.HIGH),  # 9h
        ("high-unknown-old", Urgency.HIGH),  # phase unknown after every definite high
        ("routine-oldest", Urgency.ROUTINE),  # 0h
        ("two-modes-routine", Urgency.ROUTINE),  # 4h
    ]
    by_id = {q.sample_id: q for q in queue}
    assert by_id["immediate-new"].genes == "IMM, ROUT"  # most urgent gene first
    mixed = by_id["immediate-unknown-high-definite"]
    assert (mixed.findings, mixed.definite) == (2, 1)


def test_case_header_maps_each_finding_to_its_urgency(conn):
    pv = _publish(conn)
    run = _case(conn, pv, "mixed", 0, [("TWO", Moi.MONOALLELIC, DEFINITE), ("IMM", Moi.BIALLELIC, DEFINITE)])
    assert review.case_header(conn, run).urgency == {
        "HGNC:4 MONOALLELIC": "routine",
        "HGNC:1 BIALLELIC": "immediate",
    }
