"""``screening worker``: a Celery worker for the screening queue."""

from __future__ import annotations

import os

import click

# the columns of ``batch status``: receipt → screened, screened → reviewed, receipt → letter


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Processes [default: SCREENING_WORKER_CONCURRENCY, else 1].",
)
@click.option(
    "--with-reconciler/--without-reconciler",
    default=True,
    show_default=True,
    help="Also run the periodic reconciler (run it in exactly one worker of a deployment).",
)
@click.option("--name", default="worker", show_default=True, help="Worker name (name@host).")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int | None, with_reconciler: bool, name: str, loglevel: str) -> None:
    """Run a Celery worker for the screening queue (replaces this process)."""
    import dataclasses

    from screening import tasks

    settings = tasks.SETTINGS
    if concurrency:
        settings = dataclasses.replace(settings, worker_concurrency=concurrency)
    argv = tasks.worker_argv(settings, name, with_reconciler, loglevel)
    for key, value in tasks.WORKER_ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.execv(argv[0], argv)
