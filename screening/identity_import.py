"""Importing the lab's identity CSV, as a use case (``screening identity import``; any page that
imports identities calls it too): read and check the file (``identity.py``), match every row to
exactly one sample of its programme, then store them all in one transaction (``db/review.py``).

No message names an identifying value: sample ids, line numbers and column names only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from screening import identity as identity_csv
from screening.cases import Identity
from screening.db import connection, review
from screening.db.review import SampleMatch
from screening.errors import NotFoundError, Problem, ValidationError
from screening.programmes import Programmes

SCHEME_NAMES = {"nhs": "an NHS number", "cpr": "a CPR number"}


def import_identities(
    conn: psycopg.Connection, actor: str, csv_path: Path, batch_id: str | None, programmes: Programmes
) -> int:
    """Validate the whole file and match every row to exactly one sample (of ``batch_id`` only, when
    given), then store all in one transaction; returns how many were stored. A row's identity scheme
    must be its batch's programme's (an NHS number for England, a CPR number for Denmark). Raises
    ValidationError listing every problem; nothing is stored when there is one."""
    rows = identity_csv.parse_identity_csv(csv_path)
    source = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    matches = review.samples_by_lab_id(conn, [r.sample_id for r in rows], batch_id)
    problems = list(identity_csv.unmatched_samples(rows, set(matches), csv_path.name))
    for r in rows:
        problems += _match_problems(r, matches.get(r.sample_id, []), programmes, csv_path.name)
    if problems:
        raise ValidationError(csv_path.name, problems)
    with connection.transaction(conn, actor):
        for r in rows:
            review.save_identity(conn, matches[r.sample_id][0].sample_pk, r, (source, actor))
    return len(rows)


def _match_problems(
    row: Identity, found: list[SampleMatch], programmes: Programmes, source: str
) -> list[Problem]:
    where = f"{source} (sample {row.sample_id})"
    if len(found) > 1:
        batches = ", ".join(m.lab_batch_id for m in found)
        return [Problem(where, f"in several batches ({batches}): use --batch-id")]
    return _scheme_problems(row, found[0].programme, programmes, where) if found else []


def _scheme_problems(row: Identity, programme_key: str, programmes: Programmes, where: str) -> list[Problem]:
    """The identity's scheme must be the one of the programme its batch belongs to."""
    try:
        programme = programmes.get(programme_key)
    except NotFoundError as exc:
        return [Problem(where, str(exc))]
    if row.id_scheme == programme.identity_scheme:
        return []
    message = (
        f"{SCHEME_NAMES.get(row.id_scheme, row.id_scheme)} given, but the batch belongs to programme "
        f"{programme.key}, whose babies carry {SCHEME_NAMES[programme.identity_scheme]}"
    )
    return [Problem(where, message)]
