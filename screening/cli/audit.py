"""``screening audit …``: the tamper-evident audit trail (hash chain) and the issued letters' bytes."""

from __future__ import annotations

import sys

import click

from screening.cli.common import EXIT_INPUT, fail, role_settings
from screening.errors import ScreeningError


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
        with connection.session(role_settings("web")) as conn:
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
