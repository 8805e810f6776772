"""The click group of the ``screening`` command: sub-commands imported on first use, from ``COMMANDS``
(``screening/cli/__init__.py``)."""

from __future__ import annotations

import importlib
import os
import sys

import click

from screening import __version__
from screening.cli import COMMANDS, _one_line
from screening.cli.common import EXIT_INPUT


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
        module, attribute, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _short_help(name, limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="screening")
def main() -> None:
    """Newborn genome screening: screen babies' VCFs against versioned panels of treatable conditions."""
