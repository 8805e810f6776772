"""The ``screening`` command. Each sub-module owns one group of sub-commands; they are imported only
when their command runs. The click group itself is in ``group.py``: ``screening --help`` on a terminal
of 80 columns or more (or not a terminal) prints ``HELP``, the group's own help written out, without
importing click at all (tests/unit/test_cli_startup.py checks they agree); anything else goes to
click (``screening --help`` then imports click and this package, nothing else).

No traceback reaches a user: an error this package raises on purpose (:class:`ScreeningError`) and
any other exception become one ``error: …`` line on standard error and exit status 2
(``SCREENING_DEBUG=1`` shows the traceback instead, for developers).
"""

from __future__ import annotations

import os
import sys


def _one_line(exc: Exception) -> str:
    from screening.errors import ScreeningError

    if isinstance(exc, ScreeningError):
        return str(exc)
    from screening.db.connection import DB_ERRORS, translate

    if isinstance(exc, DB_ERRORS):  # a statement outside any transaction: translated here
        return str(translate(exc))
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"unexpected {type(exc).__name__}: {first} (SCREENING_DEBUG=1 shows the traceback)"


# command: (its module, one per command group, attribute, first line of its help). The help lines are
# those of the commands' docstrings, written here so that listing the commands imports none of them
# (tests/unit/test_cli_startup.py checks they agree).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": (
        "screening.cli.audit",
        "audit",
        "The tamper-evident audit trail (hash chain) and the issued letters' bytes.",
    ),
    "batch": ("screening.cli.batch", "batch", "Submit batches of babies and follow them."),
    "cohort": (
        "screening.cli.cohort",
        "cohort",
        "The screened cohort's allele counts (the ClinVar rule's internal allele frequency).",
    ),
    "db": (
        "screening.cli.db",
        "db",
        "Database schema (SCREENING_DATABASE_URL, else the embedded PostgreSQL).",
    ),
    "demo": (
        "screening.cli.demo",
        "demo",
        "Simulate a batch, submit it, run real workers with a progress bar, and summarise.",
    ),
    "identity": (
        "screening.cli.identity",
        "identity",
        "Babies' identities (names, national numbers, dates of birth, addresses, GP), kept apart.",
    ),
    "panel": (
        "screening.cli.panel",
        "panel",
        "Curate, publish and inspect gene panel versions.",
    ),
    "report": ("screening.cli.report", "report", "Programme reports."),
    "screen": (
        "screening.cli.screen",
        "screen",
        "Screen one baby's VCF against a panel folder and print the outcome, findings and provenance.",
    ),
    "serve": (
        "screening.cli.serve",
        "serve",
        "Run the web app (lab, review, curator pages; JSON API at /api/v1, OpenAPI at /api/v1/openapi.json).",
    ),
    "simulate": (
        "screening.cli.simulate",
        "simulate",
        "Write synthetic babies (VCFs), a ClinVar snapshot, a manifest and truth.json.",
    ),
    "token": (
        "screening.cli.tokens",
        "token",
        "Machine tokens for the JSON API (hashed, one role each, revocable).",
    ),
    "user": ("screening.cli.user", "user", "Web users and their roles."),
    "worker": (
        "screening.cli.worker",
        "worker",
        "Run a Celery worker for the screening queue (replaces this process).",
    ),
}


# ``screening --help`` as the click group writes it at its full width (78 columns: a terminal of 80
# or more, or no terminal). Regenerate after changing COMMANDS or the group's help:
# ``COLUMNS=80 python -c "from screening.cli.group import main; main(['--help'], prog_name='screening')"``
HELP = """\
Usage: screening [OPTIONS] COMMAND [ARGS]...

  Newborn genome screening: screen babies' VCFs against versioned panels of
  treatable conditions.

Options:
  --version   Show the version and exit.
  -h, --help  Show this message and exit.

Commands:
  audit     The tamper-evident audit trail (hash chain) and the issued...
  batch     Submit batches of babies and follow them.
  cohort    The screened cohort's allele counts (the ClinVar rule's...
  db        Database schema (SCREENING_DATABASE_URL, else the embedded...
  demo      Simulate a batch, submit it, run real workers with a progress...
  identity  Babies' identities (names, national numbers, dates of birth,...
  panel     Curate, publish and inspect gene panel versions.
  report    Programme reports.
  screen    Screen one baby's VCF against a panel folder and print the...
  serve     Run the web app (lab, review, curator pages; JSON API at...
  simulate  Write synthetic babies (VCFs), a ClinVar snapshot, a manifest...
  token     Machine tokens for the JSON API (hashed, one role each,...
  user      Web users and their roles.
  worker    Run a Celery worker for the screening queue (replaces this...
"""
HELP_MIN_COLUMNS = 80  # click writes help at min(columns, 80) - 2


def _written_help_applies(argv: list[str]) -> bool:
    if argv[1:] not in (["--help"], ["-h"]) or os.path.basename(argv[0]) != "screening":
        return False
    import shutil

    return shutil.get_terminal_size().columns >= HELP_MIN_COLUMNS


# Commands that hold no connection, child process or file open for writing once they return: their
# process ends as soon as their output is flushed, without the interpreter's teardown of polars,
# numpy and pysam (about 50 ms of a ``screening screen`` of 0.65 s; bench/README.md, 2026-12-02).
ENDS_AT_ONCE = frozenset({"screen"})


def run() -> object:
    """The console script: the written help when it is the one click would write, else the group."""
    if _written_help_applies(sys.argv):
        sys.stdout.write(HELP)
        sys.stdout.flush()
        return 0
    from screening.cli.group import main

    if sys.argv[1:2] and sys.argv[1] in ENDS_AT_ONCE:
        _end_at_once(main)
    return main()


def _end_at_once(main) -> None:
    """Run the group, flush what it wrote, and end the process with its exit status."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:  # sys.exit("message"): the interpreter would print it
            print(exc.code, file=sys.stderr)
            code = 1
    import logging

    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`| head`): nothing more can be said
        code = code or 1
    os._exit(code)


def __getattr__(name: str) -> object:
    """``main`` (the click group) and its helpers, imported on first use."""
    if name in ("main", "LazyGroup", "_short_help"):
        from screening.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
