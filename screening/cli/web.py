"""``screening serve``, ``screening user add``, ``screening identity import``.

Passwords are read from standard input or a prompt, never from a command-line option (they would be
visible in the process list and the shell history). Identity values are never printed: only counts
and sample ids.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click

from screening.cli.common import EXIT_INPUT, fail
from screening.errors import ScreeningError, ValidationError

ROLES = ("lab", "reviewer", "curator", "admin", "lead")


def _settings():
    """The web app's login role (users and identities are the web app's records)."""
    import dataclasses

    from screening.config import load_settings

    return dataclasses.replace(load_settings(), db_role="web")


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="SCREENING_WEB_HOST",
    help="Interface to listen on [env SCREENING_WEB_HOST].",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    envvar="SCREENING_WEB_PORT",
    help="Port [env SCREENING_WEB_PORT].",
)
def serve(host: str, port: int) -> None:
    """Run the web app (lab, review, curator pages; JSON API at /api/v1, OpenAPI at /api/v1/openapi.json)."""
    import uvicorn

    from screening.web.app import create_app

    try:
        app = create_app(_settings())
    except ScreeningError as exc:
        fail(exc)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@click.group()
def user() -> None:
    """Web users and their roles."""


def _read_password(stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command(name="add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@click.option("--replace", is_flag=True, help="Set a new password (and role) for an existing user.")
def user_add(username: str, role: str, password_stdin: bool, replace: bool) -> None:
    """Add USERNAME with ROLE; the password comes from a prompt, or standard input when piped."""
    from screening.db import connection, review
    from screening.web.passwords import hash_password, password_problem

    password = _read_password(password_stdin)
    problem = password_problem(password)
    if problem:
        fail(ScreeningError(problem))
    settings = _settings()
    try:
        conn = connection.connect(connection.database_url(settings))
        with conn, connection.transaction(conn, settings.actor):
            review.add_user(conn, username, role, hash_password(password), replace)
    except ScreeningError as exc:
        fail(exc)
    click.echo(f"user {username} ({role}) {'updated' if replace else 'added'}")


def _account(username: str, change) -> None:
    from screening.db import connection

    settings = _settings()
    try:
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            change(conn, username)
    except ScreeningError as exc:
        fail(exc)


@user.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def user_list(fmt: str) -> None:
    """Web users: name, role, active, failed sign-ins in the last 15 minutes (locked at the limit)."""
    import json

    from screening.db import connection, review, sessions
    from screening.web.auth import LOCK_AFTER, WINDOW_SECONDS

    try:
        with connection.session(_settings()) as conn:
            rows = [
                (u, sessions.failures(conn, u.username, "", WINDOW_SECONDS)) for u in review.list_users(conn)
            ]
    except ScreeningError as exc:
        fail(exc)
    docs = [
        {
            "username": u.username,
            "role": u.role,
            "active": u.active,
            "failed_sign_ins": f.account,
            "locked": f.account >= LOCK_AFTER,
            "created_at": u.created_at.isoformat(),
        }
        for u, f in rows
    ]
    if fmt == "json":
        click.echo(json.dumps(docs, indent=2))
        return
    for d in docs:
        state = ("active" if d["active"] else "disabled") + (", LOCKED" if d["locked"] else "")
        click.echo(f"{d['username']:<20} {d['role']:<9} {state:<18} failed sign-ins {d['failed_sign_ins']}")


@user.command(name="disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable USERNAME: no sign-in, and every open session of theirs is revoked now."""
    from screening.db import review

    _account(username, lambda conn, name: review.set_user_active(conn, name, False))
    click.echo(f"user {username} disabled (sessions revoked)")


@user.command(name="enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable USERNAME again."""
    from screening.db import review

    _account(username, lambda conn, name: review.set_user_active(conn, name, True))
    click.echo(f"user {username} enabled")


@user.command(name="unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Unlock USERNAME after failed sign-ins (the failures so far no longer count)."""
    from screening.db import review

    _account(username, review.unlock_user)
    click.echo(f"user {username} unlocked")


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

    settings = _settings()
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


@click.group()
def audit() -> None:
    """The tamper-evident audit trail (hash chain) and the issued letters' bytes."""


@audit.command(name="verify")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def audit_verify(fmt: str) -> None:
    """Recompute the audit trail's hash chain and every issued letter's sha256. Exit status 2 and the
    first broken row named when anything does not match."""
    import json

    from screening.db import audit as db_audit
    from screening.db import connection

    try:
        with connection.session(_settings()) as conn:
            result = db_audit.verify(conn)
    except ScreeningError as exc:
        fail(exc)
    if fmt == "json":
        doc = {
            "ok": result.ok,
            "rows": result.rows,
            "unsealed": result.unsealed,
            "head_sha256": result.head_sha256,
            "letters": result.letters,
            "problems": list(result.problems),
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        verdict = "intact" if result.ok else "BROKEN"
        click.echo(
            f"audit trail {verdict}: {result.rows} row(s), head {result.head_sha256 or '-'}; "
            f"{result.letters} letter(s) checked"
        )
        for problem in result.problems:
            click.echo(f"  - {problem}", err=True)
    if not result.ok:
        sys.exit(EXIT_INPUT)
