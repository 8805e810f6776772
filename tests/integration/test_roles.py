"""Least privilege (migration 0007): connect as each login role and show what it is refused.

The attacks of issue 10, run as plain SQL from the application's own roles: switching triggers off
(``session_replication_role``, ``ALTER TABLE … DISABLE TRIGGER``, ``DROP TRIGGER``), rewriting or
deleting the event log, changing a run's outcome, deleting findings, making a user admin, reading
identities from a worker. Each must fail with "permission denied" (SQLSTATE 42501).
"""

from __future__ import annotations

import psycopg
import pytest

from screening.db.connection import ROLE_NAMES, role_url

pytestmark = pytest.mark.integration

EVERY_ROLE_REFUSED = [
    "SET session_replication_role = replica",
    "ALTER TABLE finding_decisions DISABLE TRIGGER ALL",
    "ALTER TABLE issued_letters DISABLE TRIGGER issued_letter_immutable",
    "DROP TRIGGER panel_gene_immutable ON panel_gene",
    "UPDATE event SET detail = 'x'",
    "DELETE FROM event",
    "INSERT INTO event (entity, entity_id, to_state) VALUES ('batch', 1, 'x')",
    "TRUNCATE event",
    "DELETE FROM finding_decisions",
    "DELETE FROM issued_letters",
    "DELETE FROM identity_views",
    "DELETE FROM sample",
    "DELETE FROM shared_figures",
    "CREATE TABLE mine (x int)",
    "ALTER TABLE sample ADD COLUMN x int",
    "CREATE ROLE someone_else",
]
# the worker's store functions (0026): only the worker role may call them
WORKER_FUNCTIONS = [
    "SELECT screening_write_run(1, 1, '{}', '[]', '[]', '[]')",
    "SELECT * FROM screening_finish_sample('x', 1, gen_random_uuid(), 'screened', NULL, NULL)",
]
REFUSED = {
    "web": [
        "UPDATE panel_gene SET condition = 'x'",
        "INSERT INTO panel_gene (panel_version_id, ordinal, hgnc_id, symbol, moi, condition, "
        "lof_mechanism, chrom, start_pos, end_pos, active) "
        "VALUES (1, 999, 'HGNC:1', 'X', 'BIALLELIC', 'x', true, '1', 1, 2, true)",
        "UPDATE panel_version SET name = 'x'",
        "UPDATE screening_run SET outcome = 'no_condition_suspected'",
        "DELETE FROM finding",
        "DELETE FROM screening_run",
        "UPDATE finding_decisions SET decision = 'confirmed'",
        "UPDATE issued_letters SET pdf = ''",
        "UPDATE shared_figures SET programme = 'x'",
        *WORKER_FUNCTIONS,
    ],
    "worker": [
        "SELECT * FROM identities",
        "SELECT * FROM users",
        "UPDATE users SET role = 'admin'",
        "SELECT * FROM issued_letters",
        "SELECT * FROM identity_views",
        "INSERT INTO finding_decisions (run_id, hgnc_id, moi, decision, acmg_class, reason, decided_by)"
        " VALUES (1, 'HGNC:1', 'BIALLELIC', 'confirmed', 'pathogenic', 'x', 'x')",
        "UPDATE panel_gene SET condition = 'x'",
    ],
    "curation": [
        *WORKER_FUNCTIONS,
        "SELECT * FROM identities",
        "SELECT * FROM users",
        "UPDATE users SET role = 'admin'",
        "DELETE FROM finding",
        "UPDATE screening_run SET outcome = 'no_condition_suspected'",
        "INSERT INTO issued_letters (sample_pk) VALUES (1)",
    ],
}
ALLOWED = {
    "web": [
        "SELECT count(*) FROM identities",
        "SELECT count(*) FROM event",
        "SELECT count(*) FROM users",
        "SELECT count(*) FROM shared_figures",
    ],
    "worker": ["SELECT count(*) FROM sample", "SELECT count(*) FROM panel_gene", "SELECT 1 FROM batch"],
    "curation": ["SELECT count(*) FROM panel_version", "SELECT count(*) FROM screening_run"],
}


def _refused(url: str, sql: str) -> str:
    """The SQLSTATE the statement fails with (in a transaction rolled back after)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(sql)
        except psycopg.Error as exc:
            return exc.sqlstate or "?"
        finally:
            conn.rollback()
    return "accepted"


@pytest.mark.parametrize("role", sorted(ROLE_NAMES))
def test_each_login_role_is_no_superuser_owns_nothing_and_is_refused_the_attacks(role, db_url):
    url = role_url(db_url, ROLE_NAMES[role])
    with psycopg.connect(url, autocommit=True) as conn:
        flags = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = "
            "current_user)"
        ).fetchone()[0]
        for sql in ALLOWED[role]:
            conn.execute(sql)
    assert flags == (False, False, False, False, False)
    assert owned == 0
    outcomes = {sql: _refused(url, sql) for sql in EVERY_ROLE_REFUSED + REFUSED[role]}
    accepted = [sql for sql, state in outcomes.items() if state == "accepted"]
    assert not accepted, f"{role} may: {accepted}"
    # 42501 insufficient_privilege (42704 "role does not exist" cannot occur: every statement is real)
    not_privilege = {sql: state for sql, state in outcomes.items() if state != "42501"}
    assert not not_privilege, not_privilege


def test_the_schema_belongs_to_the_owner_role_and_event_rows_come_from_triggers_only(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')"
        ).fetchall()
        definer = conn.execute(
            "SELECT bool_and(prosecdef) FROM pg_proc WHERE proname IN "
            "('screening_log_state', 'screening_log_publish')"
        ).fetchone()[0]
    assert owners == [("screening_owner",)]
    assert definer is True
