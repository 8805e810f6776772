"""The ``screening`` command. Each sub-module owns one group of sub-commands; they are imported only
when their command runs (``screening --help`` imports click and this module, nothing else).

No traceback reaches a user: an error this package raises on purpose (:class:`ScreeningError`) and
any other exception become one ``error: …`` line on standard error and exit status 2
(``SCREENING_DEBUG=1`` shows the traceback instead, for developers).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from screening import __version__
from screening.cli.common import EXIT_INPUT


def _one_line(exc: Exception) -> str:
    from screening.errors import ScreeningError

    if isinstance(exc, ScreeningError):
        return str(exc)
    from screening.db.connection import is_bad_input

    if is_bad_input(exc):
        return f"a value cannot be stored in the database ({type(exc).__name__}); check the input's fields"
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"unexpected {type(exc).__name__}: {first} (SCREENING_DEBUG=1 shows the traceback)"


# command: (modules that define it, attribute, first line of its help). The help lines are those of the
# commands' docstrings, written here so that listing the commands imports none of them
# (tests/unit/test_cli_startup.py checks they agree).
COMMANDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "audit": (
        ("screening.cli.web",),
        "audit",
        "The tamper-evident audit trail (hash chain) and the issued letters' bytes.",
    ),
    "batch": (("screening.cli.pipeline",), "batch", "Submit batches of babies and follow them."),
    "cohort": (
        ("screening.cli.cohort",),
        "cohort",
        "The screened cohort's allele counts (the ClinVar rule's internal allele frequency).",
    ),
    "db": (
        ("screening.cli.pipeline",),
        "db",
        "Database schema (SCREENING_DATABASE_URL, else the embedded PostgreSQL).",
    ),
    "demo": (
        ("screening.cli.pipeline",),
        "demo",
        "Simulate a batch, submit it, run real workers with a progress bar, and summarise.",
    ),
    "identity": (
        ("screening.cli.web",),
        "identity",
        "Babies' identities (names, national numbers, dates of birth, addresses, GP), kept apart.",
    ),
    "panel": (
        ("screening.cli.panel", "screening.cli.curation"),
        "panel",
        "Curate, publish and inspect gene panel versions.",
    ),
    "report": (("screening.cli.report",), "report", "Programme reports."),
    "screen": (
        ("screening.cli.screen",),
        "screen",
        "Screen one baby's VCF against a panel folder and print the outcome, findings and provenance.",
    ),
    "serve": (
        ("screening.cli.web",),
        "serve",
        "Run the web app (lab, review, curator pages; JSON API at /api/v1, OpenAPI at /api/v1/openapi.json).",
    ),
    "simulate": (
        ("screening.cli.simulate",),
        "simulate",
        "Write synthetic babies (VCFs), a ClinVar snapshot, a manifest and truth.json.",
    ),
    "token": (
        ("screening.cli.tokens",),
        "token",
        "Machine tokens for the JSON API (hashed, one role each, revocable).",
    ),
    "user": (("screening.cli.web",), "user", "Web users and their roles."),
    "worker": (
        ("screening.cli.pipeline",),
        "worker",
        "Run a Celery worker for the screening queue (replaces this process).",
    ),
}


def _short_help(name: str, limit: int) -> str:
    """The command's line in the list, as click shortens its help (without importing the command)."""
    return click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)


class LazyGroup(click.Group):
    """Sub-commands imported on first use; the command list is written from ``COMMANDS``. Any
    exception a command lets through becomes one line and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if os.environ.get("SCREENING_DEBUG") == "1":
                raise
            click.echo(f"error: {_one_line(exc)}", err=True)
            sys.exit(EXIT_INPUT)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        modules, attribute, _ = COMMANDS[cmd_name]
        for name in modules:
            importlib.import_module(name)
        return getattr(importlib.import_module(modules[0]), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _short_help(name, limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="screening")
def main() -> None:
    """Newborn genome screening: screen babies' VCFs against versioned panels of treatable conditions."""
