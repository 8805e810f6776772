"""Inheritance matching per gene and karyotype inference (screening-rules §4, §5). Pure: no I/O.

Each mode of inheritance has one small function taking the gene's *qualifying* candidates (call
quality passed, not excluded) and returning the pattern met, or ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from screening.domain import (
    GRCH38,
    N_,
    PARS,
    PARS_Y,
    CandidateVariant,
    Karyotype,
    Moi,
    Pattern,
    Reason,
    RuleSettings,
    Sex,
    SexEvidence,
    Zygosity,
    in_par,
)

# ---------------------------------------------------------------------------------------------
# Phase: which pairs of heterozygous candidates are known to lie on the same or different haplotypes.


@dataclass(frozen=True)
class PhasedCall:
    """What inheritance needs of a candidate besides its key: zygosity and phase."""

    zygosity: Zygosity
    phased: bool
    phase_set: str | None
    phase_hap: int | None
    locus: tuple[str, int] = ("", 0)  # (chrom, pos) of the VCF record


def pair_phase(a: PhasedCall, b: PhasedCall) -> str:
    """``"cis"``, ``"trans"`` or ``"unknown"`` for two heterozygous calls.

    Two different ALTs of one record (a ``1/2`` genotype) are in trans whatever the phasing:
    one locus carries one allele per haplotype.
    """
    if a.locus == b.locus and a.locus != ("", 0):
        return "trans"
    if not (a.phased and b.phased) or a.phase_set is None or a.phase_set != b.phase_set:
        return "unknown"
    if a.phase_hap is None or b.phase_hap is None:
        return "unknown"
    return "cis" if a.phase_hap == b.phase_hap else "trans"


# ---------------------------------------------------------------------------------------------
# One function per mode. ``calls`` are the gene's qualifying candidates (already PAR-aware: a
# candidate in a PAR is never "hemi").


def monoallelic(calls: Sequence[PhasedCall]) -> Pattern | None:
    """Any candidate that is not homozygous reference."""
    if not calls:
        return None
    zygosities = {c.zygosity for c in calls}
    if Zygosity.HOM in zygosities:
        return Pattern.HOMOZYGOUS
    if Zygosity.HEMI in zygosities:
        return Pattern.HEMIZYGOUS
    return Pattern.HETEROZYGOUS


def biallelic(calls: Sequence[PhasedCall]) -> Pattern | None:
    """A homozygous candidate, or two or more candidates not all known to be in cis."""
    if any(c.zygosity is Zygosity.HOM for c in calls):
        return Pattern.HOMOZYGOUS
    if any(c.zygosity is Zygosity.HEMI for c in calls):
        return Pattern.HEMIZYGOUS
    if len(calls) < 2:
        return None
    phases = [pair_phase(a, b) for a, b in combinations(calls, 2)]
    if "trans" in phases:
        return Pattern.COMPOUND_HET_TRANS
    if all(p == "cis" for p in phases):
        return None
    return Pattern.COMPOUND_HET_PHASE_UNKNOWN


def xlinked_monoallelic(calls: Sequence[PhasedCall]) -> Pattern | None:
    """Any candidate, in any karyotype."""
    return monoallelic(calls)


def xlinked_biallelic(
    calls: Sequence[PhasedCall], in_par_flags: Sequence[bool], karyotype: Karyotype
) -> Pattern | None:
    """Single X (XY, X0): any candidate outside the PARs; two X (XX, XXY) or unknown: as biallelic."""
    if karyotype.single_x:
        outside = [c for c, par in zip(calls, in_par_flags, strict=True) if not par]
        if outside:
            return monoallelic(outside)
        return biallelic(calls)
    return biallelic(calls)


def gene_pattern(
    moi: Moi, calls: Sequence[PhasedCall], in_par_flags: Sequence[bool], karyotype: Karyotype
) -> Pattern | None:
    """The inheritance rule of one gene entry applied to its qualifying candidates."""
    if moi is Moi.MONOALLELIC:
        return monoallelic(calls)
    if moi is Moi.BIALLELIC:
        return biallelic(calls)
    if moi is Moi.XLINKED_MONOALLELIC:
        return xlinked_monoallelic(calls)
    return xlinked_biallelic(calls, in_par_flags, karyotype)


def as_phased(c: CandidateVariant, phase_hap: int | None) -> PhasedCall:
    return PhasedCall(c.zygosity, c.phased, c.phase_set, phase_hap, (c.chrom, c.pos))


# ---------------------------------------------------------------------------------------------
# Zygosity of one call (PAR-aware).


def zygosity(
    chrom: str, pos: int, alt_copies: int, ploidy: int, karyotype: Karyotype, build: str
) -> Zygosity:
    """hom (2 copies), hemi (haploid call, or 1/1 on a single-X chrX outside the PARs), else het."""
    if chrom in ("X", "Y") and karyotype.single_x and not _in_sex_par(chrom, pos, build):
        return Zygosity.HEMI if alt_copies >= 1 and (ploidy == 1 or alt_copies == 2) else Zygosity.HET
    if ploidy == 1 and alt_copies == 1:
        return Zygosity.HEMI
    return Zygosity.HOM if alt_copies >= 2 else Zygosity.HET


def _in_sex_par(chrom: str, pos: int, build: str) -> bool:
    if chrom == "X":
        return in_par(chrom, pos, build)
    return any(start <= pos <= end for start, end in PARS_Y[build])


# ---------------------------------------------------------------------------------------------
# Karyotype (§5).


def karyotype_windows(build: str = GRCH38, n_x: int = 40, width: int = 25_000) -> list[tuple[str, int, int]]:
    """Evenly spread windows on chrX outside the PARs, for a bounded read of the X dosage.

    40 x 25 kb gives several hundred calls in a genome; when they hold fewer than
    ``karyotype_robust_x_calls`` (an exome, a targeted VCF) the engine reads ``whole_x``.
    """
    x_start, x_end = PARS[build][0][1] + 1, PARS[build][1][0] - 1
    return _spread("X", x_start, x_end, n_x, width)


def whole_x(build: str = GRCH38) -> list[tuple[str, int, int]]:
    """chrX outside the PARs, whole."""
    return [("X", PARS[build][0][1] + 1, PARS[build][1][0] - 1)]


def male_specific_y(build: str = GRCH38) -> list[tuple[str, int, int]]:
    """chrY outside the PARs, whole: a genome VCF holds a few hundred to a few thousand calls there
    (men of the reference's haplogroup R1b differ from it at only a few hundred sites)."""
    return [("Y", PARS_Y[build][0][1] + 1, PARS_Y[build][1][0] - 1)]


def _spread(chrom: str, start: int, end: int, n: int, width: int) -> list[tuple[str, int, int]]:
    step = (end - start - width) // max(n - 1, 1)
    return [(chrom, start + i * step, start + i * step + width - 1) for i in range(n)]


@dataclass(frozen=True)
class KaryotypeCall:
    karyotype: Karyotype
    note: Reason  # how it was inferred, or why it could not be


def y_evidenced(evidence: SexEvidence, settings: RuleSettings) -> bool:
    """A Y chromosome is evidenced by enough chrY calls that look hemizygous (haploid or homozygous
    ALT), making up most chrY calls. Heterozygous chrY calls are mismapping artefacts (female genomes
    have them) and never count."""
    return (
        evidence.y_hemi >= settings.karyotype_min_y_calls
        and evidence.y_hemi >= settings.karyotype_min_y_hemi_fraction * evidence.y_calls
    )


def _basis(evidence: SexEvidence, het_fraction: float) -> Reason:
    where = (
        Reason(N_("the whole of chrX outside the PARs"))
        if evidence.x_windows == 0
        else Reason(N_("{n} chrX windows"), n=evidence.x_windows)
    )
    y = (
        Reason(N_("no chrY in the VCF"))
        if not evidence.has_y_contig
        else Reason(
            N_(
                "{hemi} hemizygous-looking of {calls} chrY calls outside the PARs ({het} heterozygous: "
                "artefacts, not counted)"
            ),
            hemi=evidence.y_hemi,
            calls=evidence.y_calls,
            het=evidence.y_calls - evidence.y_hemi,
        )
    )
    return Reason(
        N_("chrX heterozygous fraction {fraction:.3f} over {calls} calls in {where}; {y}"),
        fraction=het_fraction,
        calls=evidence.x_calls,
        where=where,
        y=y,
    )


def infer_karyotype(evidence: SexEvidence | None, settings: RuleSettings) -> KaryotypeCall:
    """The number of X chromosomes from the chrX heterozygous fraction (as plink --check-sex and
    peddy do); a Y only from hemizygous-looking chrY calls. Never "no Y" from few calls alone."""
    if evidence is None or evidence.x_calls < settings.karyotype_min_x_calls:
        n = 0 if evidence is None else evidence.x_calls
        return KaryotypeCall(
            Karyotype.UNKNOWN,
            Reason(
                N_("karyotype not inferred: {n} chrX calls outside the PARs (need {need})"),
                n=n,
                need=settings.karyotype_min_x_calls,
            ),
        )
    het_fraction = evidence.x_het / evidence.x_calls
    y_present = y_evidenced(evidence, settings)
    basis = _basis(evidence, het_fraction)
    if het_fraction >= settings.karyotype_xx_min_het_fraction:
        return KaryotypeCall(Karyotype.XXY if y_present else Karyotype.XX, basis)
    if het_fraction <= settings.karyotype_xy_max_het_fraction:
        if y_present:
            return KaryotypeCall(Karyotype.XY, basis)
        return KaryotypeCall(
            Karyotype.X,
            Reason(
                N_("{basis} (one X; a Y is not evidenced, which does not mean there is none)"), basis=basis
            ),
        )
    return KaryotypeCall(Karyotype.UNKNOWN, Reason(N_("karyotype ambiguous: {basis}"), basis=basis))


SEX_WORDS = {Sex.MALE: N_("male"), Sex.FEMALE: N_("female")}


def sex_discordance(recorded: Sex, call: KaryotypeCall) -> Reason | None:
    """A reason to hold the baby when the recorded sex contradicts the X dosage (screening-rules §5).

    A recorded girl with one X, or with a Y evidenced; a recorded boy with two X unless a Y is
    clearly evidenced (47,XXY, compatible). A boy with one X and no Y evidenced is compatible: few
    chrY calls are what a boy of the reference haplogroup looks like.
    """
    k = call.karyotype
    if recorded is Sex.FEMALE and k is Karyotype.XY:
        seen = N_("one X chromosome and a Y")
        explain = N_("a boy's sample (a sample swap or mislabelling)")
    elif recorded is Sex.FEMALE and k is Karyotype.X:
        seen = N_("one X chromosome and no Y evidence")
        explain = N_("a boy's sample, or 45,X (Turner syndrome)")
    elif recorded is Sex.FEMALE and k is Karyotype.XXY:
        seen = N_("two X chromosomes and a Y")
        explain = N_("a boy's sample or a mixture of samples, or 47,XXY")
    elif recorded is Sex.MALE and k is Karyotype.XX:
        seen = N_("two X chromosomes and no Y evidence")
        explain = N_("a girl's sample, or 47,XXY (Klinefelter syndrome)")
    else:
        return None
    return Reason(
        N_(
            "recorded sex {sex} but the VCF shows {seen} ({basis}); possible explanations: {explain}; "
            "possible sample swap, held pending a laboratory identity check"
        ),
        sex=Reason(SEX_WORDS[recorded]),
        seen=Reason(seen),
        basis=call.note,
        explain=Reason(explain),
    )


def rules_karyotype(inferred: Karyotype, recorded: Sex) -> Karyotype:
    """The karyotype the chrX rules use: inferred when known, else the recorded sex, else unknown."""
    if inferred is not Karyotype.UNKNOWN:
        return inferred
    return {Sex.MALE: Karyotype.XY, Sex.FEMALE: Karyotype.XX}.get(recorded, Karyotype.UNKNOWN)
