"""The ``screening`` command. Each sub-module owns one group of sub-commands and registers it here.

No traceback reaches a user: an error this package raises on purpose (:class:`ScreeningError`) and
any other exception become one ``error: …`` line on standard error and exit status 2
(``SCREENING_DEBUG=1`` shows the traceback instead, for developers).
"""

from __future__ import annotations

import os
import sys

import click

from screening import __version__

EXIT_INPUT = 2


class _Group(click.Group):
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


def _one_line(exc: Exception) -> str:
    from screening.errors import ScreeningError

    if isinstance(exc, ScreeningError):
        return str(exc)
    from screening.db.connection import is_bad_input

    if is_bad_input(exc):
        return f"a value cannot be stored in the database ({type(exc).__name__}); check the input's fields"
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"unexpected {type(exc).__name__}: {first} (SCREENING_DEBUG=1 shows the traceback)"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="screening")
def main() -> None:
    """Newborn genome screening: screen babies' VCFs against versioned panels of treatable conditions."""


def _register() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
