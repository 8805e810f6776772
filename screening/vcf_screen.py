"""Screen one baby's VCF file: the thin I/O shell around the pure core (``sample_screen.screen_sample``).

Reads only the panel's merged, padded regions through the index, plus the sex chromosomes for the
karyotype (bounded chrX windows, whole chrX when they hold too few calls; the whole male-specific
chrY, which holds a few thousand records at most). Used by ``screening screen`` and by the Celery
workers alike.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import polars as pl

from screening import completeness, digest, inheritance, panels, rules, vcf
from screening.domain import (
    CONTIG_LENGTHS,
    N_,
    ClinVarSnapshot,
    PanelVersion,
    Reason,
    SampleInput,
    SampleResult,
    VcfFacts,
)
from screening.errors import VcfError
from screening.sample_screen import ScreenInput, screen_sample

_PENDING = "pending"  # the digest is being computed alongside; replaced before the screen


@functools.cache
def reference(path: Path | None) -> vcf.Reference | None:
    """The reference FASTA of a worker's settings, opened once per process (None: not configured)."""
    return vcf.Reference(path) if path is not None else None


def screen_vcf(
    panel: PanelVersion,
    sample: SampleInput,
    vcf_path: Path,
    clinvar: ClinVarSnapshot | None,
    cohort_af: pl.DataFrame | None = None,
    vcf_sha256: str | digest.Hashing | None = None,
    reference: vcf.Reference | None = None,
) -> SampleResult:
    """Validate, read and screen. ``vcf_sha256``: the digest when the caller already verified it (saves
    a re-hash), or a ``digest.Hashing`` the caller started (``screening screen`` starts it before its
    imports); None: hashed here, in a thread (hashlib releases the GIL) while the regions are read.
    ``reference``: a FASTA to left-align indels against (else left-alignment is assumed, and said).

    Raises ``errors.VcfError`` for an unusable file (named, with what to do).
    """
    path = str(vcf_path)
    if isinstance(vcf_sha256, str):
        facts, read = _read(panel, sample, path, clinvar, vcf_sha256, reference)
    else:
        hashing = vcf_sha256 or digest.Hashing(path)
        facts, read = _read(panel, sample, path, clinvar, _PENDING, reference)
        try:
            facts = replace(facts, sha256=hashing.result())
        except OSError as exc:  # read above, gone or unreadable since
            problem = Reason(N_("cannot be read any more ({name}); check the file"), name=type(exc).__name__)
            raise VcfError(path, problem) from exc
    return screen_sample(
        ScreenInput(
            panel, sample, facts, read.calls, read.annotations, read.evidence, clinvar, cohort_af, read.facts
        )
    )


def _read(
    panel: PanelVersion,
    sample: SampleInput,
    path: str,
    clinvar: ClinVarSnapshot | None,
    sha256: str,
    reference: vcf.Reference | None,
) -> tuple[VcfFacts, vcf.SampleRead]:
    """Validate, then read the panel regions and the sex chromosomes of one sample."""
    af_fields = panel.settings.population_af_fields
    facts = vcf.inspect_vcf(path, sample.vcf_sample, panel.genome_build, af_fields, sha256=sha256)
    positions, terms = rules.sites_of_interest(panel, clinvar, facts.annotation is not None)
    build = panel.genome_build
    reads = vcf.SampleReads(
        regions=panels.region_list(panel),
        af_fields=af_fields,
        sites=vcf.SiteFilter(positions, terms),
        x_windows=inheritance.karyotype_windows(build),
        y_regions=inheritance.male_specific_y(build),
        x_whole=inheritance.whole_x(build),
        min_x_calls=panel.settings.karyotype_robust_x_calls,
        reference=reference,
        tails=completeness.tail_windows(panel.active_genes, CONTIG_LENGTHS[build]),
    )
    return facts, vcf.read_sample(path, sample.vcf_sample, build, reads)
