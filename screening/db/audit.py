"""The audit trail (migration 0008): verify the hash chain and every issued letter's bytes; recent rows.

Rows are written and sealed by database triggers only; here they are read. Named SQL in ``audit.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from screening.db.connection import row_to
from screening.db.review import IssuedLetter, letter_problem
from screening.db.sql import query


@dataclass(frozen=True)
class Verification:
    rows: int  # sealed audit rows checked
    unsealed: int  # rows of transactions still committing
    head_sha256: str | None  # the last row's hash: record it elsewhere to detect a rewritten chain
    letters: int
    problems: tuple[str, ...]  # the first broken row, then every letter whose bytes do not match

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    row_sha256: str


def _first_broken(rows: list[dict[str, Any]]) -> str | None:
    checks = (
        ("seq_ok", "a row before it is missing (sequence gap)"),
        ("content_ok", "its content no longer matches its content_sha256 (altered)"),
        ("link_ok", "its prev_sha256 is not the previous row's hash (chain broken)"),
        ("row_ok", "its row_sha256 does not match (altered)"),
    )
    for row in rows:
        for column, why in checks:
            if not row[column]:
                return (
                    f"audit row seq {row['seq']} (id {row['id']}, {row['action']} {row['entity']} "
                    f"{row['entity_id']}, {row['at']:%Y-%m-%d %H:%M:%S}): {why}"
                )
    return None


def verify(conn: psycopg.Connection) -> Verification:
    """Recompute the chain in order and every letter's sha256; name the first broken row."""
    rows = conn.execute(query("audit_check")).fetchall()
    unsealed = conn.execute(query("audit_unsealed")).fetchone()["unsealed"]
    problems = [p for p in [_first_broken(rows)] if p]
    letters = conn.execute(query("all_letters")).fetchall()
    for row in letters:
        meta = row_to(IssuedLetter, row)
        bad = letter_problem(meta, bytes(row["pdf"]), row["html"])
        if bad:
            problems.append(f"letter {meta.id} ({meta.kind}, issued {meta.issued_on}): {bad}")
    head = rows[-1]["row_sha256"] if rows else None
    return Verification(len(rows), unsealed, head, len(letters), tuple(problems))


def recent(conn: psycopg.Connection, limit: int = 200) -> list[AuditRow]:
    return [row_to(AuditRow, r) for r in conn.execute(query("audit_recent"), {"limit": limit})]
