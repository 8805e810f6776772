"""Screen one baby's VCF file: the thin I/O shell around the pure core (``screen.screen_sample``).

Reads only the panel's merged, padded regions through the index, plus a bounded sample of chrX/chrY
windows for the karyotype. Used by ``screening screen`` and by the Celery workers alike.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import polars as pl

from screening import inheritance, panels, rules, vcf
from screening.domain import ClinVarSnapshot, PanelVersion, SampleInput, SampleResult
from screening.screen import ScreenInput, screen_sample

_PENDING = "pending"  # the digest is being computed alongside; replaced before the screen


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
    if vcf_sha256 is not None:
        facts, calls, annotations, evidence = _read(panel, sample, path, clinvar, vcf_sha256)
    else:  # hash the whole file in a thread (hashlib releases the GIL) while the regions are read
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(vcf.sha256_file, path)
            facts, calls, annotations, evidence = _read(panel, sample, path, clinvar, _PENDING)
            facts = replace(facts, sha256=digest.result())
    return screen_sample(ScreenInput(panel, sample, facts, calls, annotations, evidence, clinvar, cohort_af))


def _read(panel: PanelVersion, sample: SampleInput, path: str, clinvar: ClinVarSnapshot | None, sha256: str):
    """Validate, then read the panel regions and the sex-chromosome windows of one sample."""
    af_fields = panel.settings.population_af_fields
    facts = vcf.inspect_vcf(path, sample.vcf_sample, panel.genome_build, af_fields, sha256=sha256)
    positions, terms = rules.sites_of_interest(panel, clinvar, facts.annotation is not None)
    x_windows, y_windows = inheritance.karyotype_windows(panel.genome_build)
    reads = vcf.SampleReads(
        panels.region_list(panel), af_fields, vcf.SiteFilter(positions, terms), x_windows, y_windows
    )
    calls, annotations, evidence = vcf.read_sample(path, sample.vcf_sample, panel.genome_build, reads)
    if evidence.x_calls < panel.settings.karyotype_min_x_calls:  # an exome or targeted VCF
        x_whole, y_whole = inheritance.whole_sex_chromosomes(panel.genome_build)
        evidence = vcf.read_sex_evidence(path, sample.vcf_sample, panel.genome_build, x_whole, y_whole)
    return facts, calls, annotations, evidence
