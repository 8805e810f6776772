"""Screen one baby's VCF file: the thin I/O shell around the pure core (``screen.screen_sample``).

Reads only the panel's merged, padded regions through the index, plus a bounded sample of chrX/chrY
windows for the karyotype. Used by ``screening screen`` and by the Celery workers alike.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from screening import inheritance, panels, vcf
from screening.domain import ClinVarSnapshot, PanelVersion, SampleInput, SampleResult, SexEvidence
from screening.screen import ScreenInput, screen_sample


def screen_vcf(
    panel: PanelVersion,
    sample: SampleInput,
    vcf_path: Path,
    clinvar: ClinVarSnapshot | None,
    cohort_af: pl.DataFrame | None = None,
    vcf_sha256: str | None = None,
) -> SampleResult:
    """Validate, read and screen. ``vcf_sha256`` (when the caller already verified it) saves a re-hash.

    Raises ``errors.VcfError`` for an unusable file (named, with what to do).
    """
    path = str(vcf_path)
    af_fields = panel.settings.population_af_fields
    facts = vcf.inspect_vcf(path, sample.vcf_sample, panel.genome_build, af_fields, sha256=vcf_sha256)
    calls, annotations = vcf.read_calls(path, sample.vcf_sample, panels.region_list(panel), facts, af_fields)
    evidence = _sex_evidence(path, sample.vcf_sample, panel)
    return screen_sample(ScreenInput(panel, sample, facts, calls, annotations, evidence, clinvar, cohort_af))


def _sex_evidence(path: str, sample: str, panel: PanelVersion) -> SexEvidence:
    """Sex-chromosome calls from a bounded sample of windows; the whole chromosomes when too few."""
    build = panel.genome_build
    x_windows, y_windows = inheritance.karyotype_windows(build)
    evidence = vcf.read_sex_evidence(path, sample, build, x_windows, y_windows)
    if evidence.x_calls >= panel.settings.karyotype_min_x_calls:
        return evidence
    x_whole, y_whole = inheritance.whole_sex_chromosomes(build)
    return vcf.read_sex_evidence(path, sample, build, x_whole, y_whole)
