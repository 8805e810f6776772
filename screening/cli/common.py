"""What every command group shares: the exit status for bad input and the one way of saying it."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

EXIT_INPUT = 2  # bad input, an unusable file, a refused action: the message says what to fix


def fail(exc: Exception | str) -> NoReturn:
    """Print one ``error: …`` line on standard error and exit with EXIT_INPUT (no traceback)."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_INPUT)


def role_settings(db_role: str | None):
    """The settings with the login role a command connects as: ``web`` (the lab's, the users' and
    identities' commands, reports), ``curation`` (panels), ``None`` (the owner: migrations, the demo)."""
    import dataclasses

    from screening.config import load_settings

    return dataclasses.replace(load_settings(), db_role=db_role)
