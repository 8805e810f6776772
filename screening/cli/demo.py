"""``screening demo``: the whole pipeline on a simulated batch (as the owner role)."""

from __future__ import annotations

from pathlib import Path

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError

# the columns of ``batch status``: receipt → screened, screened → reviewed, receipt → letter


@click.command()
@click.option("--babies", type=click.IntRange(min=1), default=29, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the simulated batch [default: SCREENING_HOME/demo].",
)
def demo(babies: int, workers: int, seed: int, out: Path | None) -> None:
    """Simulate a batch, submit it, run real workers with a progress bar, and summarise."""
    from screening import demo as demo_run

    try:
        demo_run.run(role_settings(None), demo_run.DemoOptions(babies, workers, seed, out))
    except ScreeningError as exc:
        fail(exc)
