"""The command starts without the libraries it does not need: ``screening --help`` imports neither the
domain model nor polars, numpy, psycopg, celery, cyvcf2 or pysam; and the constants written out in the
CLI for that purpose agree with the domain model's."""

from __future__ import annotations

import subprocess
import sys

import click

from screening import __version__
from screening.cli import panel, screen
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
    assert tuple(GENOME_BUILDS) == panel.GENOME_BUILDS
    assert tuple(s.value for s in Sex) == screen.SEXES
    from screening.cli import user
    from screening.db import review

    assert user.ROLES == review.ROLES  # user and token roles (screening user add, screening token create)


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


def _console_script(columns: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``screening`` script (not a tty: click's width comes from COLUMNS, else 80)."""
    import os
    import shutil
    from pathlib import Path

    script = Path(sys.executable).parent / "screening"
    assert script.exists() or shutil.which("screening"), "the console script is not installed"
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env, check=True)


def test_the_written_help_is_the_groups_own_at_full_width():
    import os

    from screening.cli import HELP

    group = "from screening.cli.group import main\nmain(['--help'], prog_name='screening')"
    for columns in ("80", "200"):  # what the click group writes itself
        env = {**os.environ, "COLUMNS": columns}
        rendered = subprocess.run([sys.executable, "-c", group], capture_output=True, text=True, env=env)
        assert rendered.returncode == 0
        assert rendered.stdout == HELP, "regenerate screening.cli.HELP (command in the comment above it)"
    for args in (["--help"], ["-h"]):
        assert _console_script("120", *args).stdout == HELP


def test_help_without_click_where_the_written_help_applies_and_click_elsewhere():
    probe = (
        "import sys\nsys.argv = ['/usr/bin/screening', '--help']\nfrom screening.cli import run\n"
        "import io, contextlib\nout = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
        "    code = run()\nprint(code, 'click' in sys.modules)\n"
    )
    env_wide = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert env_wide.stdout.split()[-2:] == ["0", "False"]
    narrow = _console_script("60", "--help").stdout  # click writes it narrower: click is asked
    from screening.cli import HELP

    assert narrow != HELP
    assert narrow.startswith("Usage: screening [OPTIONS] COMMAND [ARGS]...")
    assert "Newborn genome screening: screen babies' VCFs against\n" in narrow


def test_screen_ends_at_once_with_its_exit_status_and_everything_it_wrote(tmp_path):
    """``screening screen`` ends its process without the interpreter's teardown (ENDS_AT_ONCE): its
    exit status and its output, to a pipe, are still whole."""
    import os
    from pathlib import Path

    from screening.cli import ENDS_AT_ONCE

    assert {"screen"} == ENDS_AT_ONCE
    script = Path(sys.executable).parent / "screening"
    panel = Path(__file__).resolve().parents[2] / "gene_panels" / "newborn-actionable"
    missing = tmp_path / "absent.vcf.gz"
    args = [str(script), "screen", "--panel", str(panel), "--vcf", str(missing)]
    env = {**os.environ, "SCREENING_HOME": str(tmp_path / "home")}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {missing}: file not found\n"
    bad = subprocess.run([*args[:2], "--no-such-option"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2  # click's usage error, its status kept
    assert "No such option" in bad.stderr
