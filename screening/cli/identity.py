"""``screening identity …``: babies' identities, kept apart (the web app's records: the web login role)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError, ValidationError


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

    settings = role_settings("web")
    try:
        hosted = programmes.for_settings(settings)
        conn = connection.connect(connection.database_url(settings))
        with conn:
            stored = import_identities(conn, settings.actor, csv_path, batch_id, hosted)
    except ScreeningError as exc:
        fail(exc)
    click.echo(f"identities stored for {stored} sample(s)")


def import_identities(conn, actor: str, csv_path: Path, batch_id: str | None, programmes) -> int:
    """Validate the whole file and match every row to exactly one sample, then store all in one
    transaction. A row's identity scheme must be its batch's programme's (an NHS number for England, a
    CPR number for Denmark). Raises ValidationError listing every problem (sample ids and line numbers
    only)."""
    from screening import identity as identity_csv
    from screening.db import connection, review
    from screening.errors import Problem

    rows = identity_csv.parse_identity_csv(csv_path)
    source = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    matches = review.samples_by_lab_id(conn, [r.sample_id for r in rows], batch_id)
    problems = list(identity_csv.unmatched_samples(rows, set(matches), csv_path.name))
    for r in rows:
        found = matches.get(r.sample_id, [])
        if len(found) == 1:
            problems += _scheme_problems(r, found[0][2], programmes, csv_path.name)
        if len(found) > 1:
            batches = ", ".join(b for _, b, _ in found)
            problems.append(
                Problem(
                    f"{csv_path.name} (sample {r.sample_id})",
                    f"in several batches ({batches}): use --batch-id",
                )
            )
    if problems:
        raise ValidationError(csv_path.name, problems)
    with connection.transaction(conn, actor):
        for r in rows:
            review.save_identity(conn, matches[r.sample_id][0][0], r, (source, actor))
    return len(rows)


def _scheme_problems(row, programme_key: str, programmes, source: str) -> list:
    """The identity's scheme must be the one of the programme its batch belongs to."""
    from screening.errors import NotFoundError, Problem

    where = f"{source} (sample {row.sample_id})"
    try:
        programme = programmes.get(programme_key)
    except NotFoundError as exc:
        return [Problem(where, str(exc))]
    if row.id_scheme != programme.identity_scheme:
        names = {"nhs": "an NHS number", "cpr": "a CPR number"}
        message = (
            f"{names.get(row.id_scheme, row.id_scheme)} given, but the batch belongs to programme "
            f"{programme.key}, whose babies carry {names[programme.identity_scheme]}"
        )
        return [Problem(where, message)]
    return []
