"""``screening screen``: one baby, no database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from screening.cli.common import EXIT_INPUT
from screening.errors import ScreeningError

# domain.Sex values, written out so that the command starts without importing the domain model
# (tests/unit/test_cli_startup.py checks they agree)
SEXES = ("male", "female", "unknown")


@click.command()
@click.option(
    "--panel",
    "panel_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Panel folder (gene_panels/<id>/).",
)
@click.option(
    "--vcf",
    "vcf_path",
    required=True,
    type=click.Path(path_type=Path),
    help="bgzipped VCF with a .tbi or .csi index.",
)
@click.option("--sample", default=None, help="VCF sample column (required for a multi-sample VCF).")
@click.option(
    "--sex",
    type=click.Choice(SEXES),
    default="unknown",
    show_default=True,
    help="Recorded sex, checked against the karyotype inferred from the VCF.",
)
@click.option(
    "--clinvar",
    "clinvar_path",
    type=click.Path(path_type=Path),
    default=None,
    help="ClinVar VCF snapshot (bgzipped, indexed); without it the ClinVar route is not evaluated.",
)
@click.option(
    "--reference",
    "reference_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="SCREENING_REFERENCE_FASTA",
    help="Reference FASTA (with .fai) to left-align indels; without it left-alignment is assumed "
    "and the output says so. [env SCREENING_REFERENCE_FASTA]",
)
@click.option(
    "--smn1-copies", type=click.IntRange(min=0), default=None, help="SMN1 copy number (targeted caller)."
)
@click.option(
    "--pct-autosomal-15x", type=float, default=None, help="QC: % of the autosomal genome at >= 15x."
)
@click.option("--q30-gb", type=float, default=None, help="QC: Gb of Q30 bases.")
@click.option("--contamination-pct", type=float, default=None, help="QC: estimated contamination, %.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
def screen(
    panel_dir,
    vcf_path,
    sample,
    sex,
    clinvar_path,
    reference_path,
    smn1_copies,
    pct_autosomal_15x,
    q30_gb,
    contamination_pct,
    fmt,
) -> None:
    """Screen one baby's VCF against a panel folder and print the outcome, findings and provenance.

    Exit status: 0 screened (any outcome), 2 unusable input (the message says which file and why).
    """
    from screening.digest import Hashing

    # the VCF's sha256 (its provenance) is computed while the engine's libraries load, on the other core
    hashing = Hashing(vcf_path) if vcf_path.is_file() else None
    from screening import panels, report, vcf, vcf_screen
    from screening.domain import SampleInput, SampleQc, Sex

    try:
        panel = panels.load_panel(panel_dir)
        column = sample or _single_sample(vcf_path)
        inp = SampleInput(
            sample_id=column,
            vcf_sample=column,
            sex=Sex(sex),
            qc=SampleQc(pct_autosomal_15x, q30_gb, contamination_pct),
            smn1_copies=smn1_copies,
        )
        clinvar = None
        if clinvar_path is not None:
            clinvar = vcf.read_clinvar(str(clinvar_path), panel.genome_build, panels.region_list(panel))
        reference = vcf.Reference(reference_path) if reference_path is not None else None
        result = vcf_screen.screen_vcf(panel, inp, vcf_path, clinvar, vcf_sha256=hashing, reference=reference)
    except ScreeningError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(report.to_json(result) if fmt == "json" else report.to_table(result), nl=False)


def _single_sample(vcf_path: Path) -> str:
    from screening import vcf

    samples = vcf.list_samples(str(vcf_path))
    if len(samples) != 1:
        raise ScreeningError(
            f"{vcf_path}: the VCF has {len(samples)} sample columns; name the one to screen with --sample"
        )
    return samples[0]
