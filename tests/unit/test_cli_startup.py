"""The command starts without the libraries it does not need: ``screening --help`` imports neither the
domain model nor polars, numpy, psycopg, celery, cyvcf2 or pysam; and the constants written out in the
CLI for that purpose agree with the domain model's."""

from __future__ import annotations

import subprocess
import sys

import click

from screening import __version__
from screening.cli import curation, screen
from screening.domain import GENOME_BUILDS, Sex

PROBE = """
import sys
from screening.cli import main
try:
    main(["--help"], prog_name="screening")
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""
HEAVY = ("polars", "numpy", "psycopg", "celery", "kombu", "cyvcf2", "pysam", "jinja2", "fastapi", "rich")


def test_help_imports_no_heavy_library_and_no_domain_model():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    modules = out.split()
    assert "click" in modules
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert "screening.domain" not in modules
    assert "importlib.metadata" not in modules


def test_cli_constants_agree_with_the_domain_model():
    assert tuple(GENOME_BUILDS) == curation.GENOME_BUILDS
    assert tuple(s.value for s in Sex) == screen.SEXES
    from screening.cli import web
    from screening.db import review

    assert web.ROLES == review.ROLES  # the lead role in both


def test_version_is_the_packages():
    from importlib.metadata import version

    assert version("newborn-screening") == __version__


def test_the_command_list_is_the_commands_own_help():
    from screening.cli import COMMANDS, _short_help, main

    ctx = click.Context(main, info_name="screening")
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name
        assert command.get_short_help_str(200) == _short_help(name, 200), name
