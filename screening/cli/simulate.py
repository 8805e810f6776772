"""``screening simulate``: write synthetic babies with a truth table (tests, demo, benchmarks)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from screening.errors import ScreeningError

if TYPE_CHECKING:
    from screening.domain import PanelVersion


def _load_panel(folder: Path) -> PanelVersion:
    from screening.panels import load_panel

    return load_panel(folder)


@click.command()
@click.option(
    "--panel",
    "panel_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Panel folder (gene_panels/<id>/).",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)
@click.option(
    "-n", "--babies", "n_babies", required=True, type=click.IntRange(min=1), help="Number of babies."
)
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option(
    "--scale",
    type=click.Choice(["panel", "wgs"]),
    default="panel",
    show_default=True,
    help="panel: background only around panel genes and the sex chromosomes (small files); "
    "wgs: about 4.4 million background calls per baby.",
)
def simulate(panel_dir: Path, out_dir: Path, n_babies: int, seed: int, scale: str) -> None:
    """Write synthetic babies (VCFs), a ClinVar snapshot, a manifest and truth.json.

    Each baby gets one planted scenario in turn (clean, heterozygous, compound heterozygous, cis pair,
    carrier, X-linked, PAR, excluded, low quality, multi-allelic, LoF, sex discordance, SMN1, QC, then
    real-VCF shapes: a whole-gene <DEL>, a padded multi-allelic indel, FORMAT/FT, chrY artefacts, XXY).
    Backgrounds vary by caller (GATK, DRAGEN, DeepVariant styles) and chrY haplogroup.
    The same panel, -n, --seed and --scale give byte-identical files.
    """
    from screening.simulate import simulate_batch

    started = time.perf_counter()
    try:
        batch = simulate_batch(_load_panel(panel_dir), out_dir, n_babies, seed=seed, scale=scale)  # type: ignore[arg-type]
    except ScreeningError as exc:
        raise click.ClickException(str(exc)) from exc
    elapsed = time.perf_counter() - started
    truth = json.loads(batch.truth.read_text())
    click.echo(f"{len(batch.baby_ids)} babies ({scale} scale, seed {seed}) in {elapsed:.1f} s")
    click.echo(f"  manifest  {batch.manifest}")
    click.echo(f"  clinvar   {batch.clinvar_vcf}")
    click.echo(f"  truth     {batch.truth}")
    click.echo(f"  VCFs      {batch.out_dir / 'babies'}/<sample_id>.vcf.gz (+ .tbi)")
    outcomes = Counter(b["expected_outcome"] for b in truth["babies"])
    click.echo("expected outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    for name, count in sorted(Counter(b["scenario"] for b in truth["babies"]).items()):
        click.echo(f"  {count:4d}  {name}")
    skipped = [b for b in truth["babies"] if b["notes"].startswith("scenario not planted")]
    for b in skipped:
        click.echo(f"note: {b['sample_id']} {b['scenario']}: {b['notes']}")
