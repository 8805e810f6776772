"""The ``screening`` command. Each sub-module owns one group of sub-commands and registers it here."""

from __future__ import annotations

import click

from screening import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
