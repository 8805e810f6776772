"""The tamper-evident audit trail (migration 0008) on a database of its own: rows written by triggers in
the same transaction, a hash chain that ``screening audit verify`` checks, naming the first broken row
after a superuser alters or deletes one; no login role can write audit rows."""

from __future__ import annotations

import json
import secrets
import subprocess

import psycopg
import pytest
from conftest import LOCAL_PG, SCREENING, _reachable, make_settings, publish

from screening.db import migrate
from screening.db.connection import role_url

pytestmark = pytest.mark.integration


@pytest.fixture
def own_db():
    if not _reachable(LOCAL_PG):
        pytest.skip("needs the PostgreSQL at 127.0.0.1:5432 for a database of its own")
    name = f"screening_audit_{secrets.token_hex(4)}"
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = LOCAL_PG.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    yield url
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _verify(settings) -> subprocess.CompletedProcess:
    env = {**settings.as_environment(), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(SCREENING), "audit", "verify", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _as_superuser(url: str, sql: str) -> None:
    """What issue 10 did from the application's role, now only possible for a superuser."""
    with psycopg.connect(url) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(sql)


def test_chain_verifies_then_names_the_first_altered_or_missing_row(own_db, panel, sim, tmp_path):
    settings = make_settings(tmp_path / "home", own_db)
    publish(settings, panel, sim, "audit")
    with psycopg.connect(own_db, autocommit=True) as conn:
        with conn.transaction():  # several rows in one transaction: each sealed at commit, in order
            for i in range(3):
                conn.execute(
                    "INSERT INTO event (entity, entity_id, to_state) VALUES ('batch', %(i)s, 'running')",
                    {"i": 100 + i},
                )
        rows = conn.execute(
            "SELECT seq, action, prev_sha256, row_sha256, actor FROM audit_log ORDER BY seq"
        ).fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == "state:published"  # the panel version's publication
    assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))
    ok = _verify(settings)
    assert ok.returncode == 0, ok.stdout
    doc = json.loads(ok.stdout)
    assert doc["ok"] is True
    assert doc["rows"] == len(rows)
    assert doc["head_sha256"] == rows[-1][3]

    _as_superuser(own_db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    broken = _verify(settings)
    assert broken.returncode == 2
    problems = json.loads(broken.stdout)["problems"]
    assert problems[0].startswith("audit row seq 2 ")
    assert "altered" in problems[0]

    _as_superuser(own_db, f"UPDATE audit_log SET actor = '{rows[1][4]}' WHERE seq = 2")  # undone: intact
    assert _verify(settings).returncode == 0
    _as_superuser(own_db, "DELETE FROM audit_log WHERE seq = 3")
    gap = json.loads(_verify(settings).stdout)["problems"][0]
    assert gap.startswith("audit row seq 4 ")
    assert "sequence gap" in gap


@pytest.mark.parametrize("role", ["screening_web", "screening_worker", "screening_curation"])
def test_no_login_role_writes_the_audit_trail(own_db, role):
    url = role_url(own_db, role)
    for sql in (
        "INSERT INTO audit_log (action, entity, entity_id) VALUES ('x', 'x', 'x')",
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    ):
        with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)


def test_the_owner_cannot_rewrite_rows_either(own_db):
    with psycopg.connect(own_db, autocommit=True) as conn:
        conn.execute("INSERT INTO event (entity, entity_id, to_state) VALUES ('batch', 1, 'running')")
        for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.RestrictViolation):
                conn.execute(sql)
