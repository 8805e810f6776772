"""Truth tables for every mode of inheritance and karyotype (screening-rules §4, §5)."""

from __future__ import annotations

import pytest

from screening.domain import GRCH37, GRCH38, Karyotype, Moi, Pattern, RuleSettings, Sex, SexEvidence, Zygosity
from screening.inheritance import (
    KaryotypeCall,
    PhasedCall,
    gene_pattern,
    infer_karyotype,
    karyotype_windows,
    male_specific_y,
    pair_phase,
    rules_karyotype,
    sex_discordance,
    zygosity,
)

HET = PhasedCall(Zygosity.HET, False, None, None, ("1", 100))
HET2 = PhasedCall(Zygosity.HET, False, None, None, ("1", 200))
HOM = PhasedCall(Zygosity.HOM, False, None, None, ("1", 300))
HEMI = PhasedCall(Zygosity.HEMI, False, None, None, ("X", 300))
P0 = PhasedCall(Zygosity.HET, True, "PS1", 0, ("1", 110))
P1 = PhasedCall(Zygosity.HET, True, "PS1", 1, ("1", 200))
P0b = PhasedCall(Zygosity.HET, True, "PS1", 0, ("1", 250))
OTHER_SET = PhasedCall(Zygosity.HET, True, "PS2", 1, ("1", 260))
SAME_LOCUS_A = PhasedCall(Zygosity.HET, False, None, None, ("1", 500))
SAME_LOCUS_B = PhasedCall(Zygosity.HET, False, None, None, ("1", 500))

XX, XY, X1, XXY, UNK = Karyotype.XX, Karyotype.XY, Karyotype.X, Karyotype.XXY, Karyotype.UNKNOWN
M, B, XM, XB = Moi.MONOALLELIC, Moi.BIALLELIC, Moi.XLINKED_MONOALLELIC, Moi.XLINKED_BIALLELIC


@pytest.mark.parametrize(
    ("moi", "calls", "karyotype", "expected"),
    [
        # MONOALLELIC: any non-reference candidate
        (M, [], XX, None),
        (M, [HET], XX, Pattern.HETEROZYGOUS),
        (M, [HOM], XY, Pattern.HOMOZYGOUS),
        (M, [HET, HOM], XX, Pattern.HOMOZYGOUS),
        # BIALLELIC
        (B, [HET], XX, None),  # carrier
        (B, [HOM], XX, Pattern.HOMOZYGOUS),
        (B, [HET, HET2], XX, Pattern.COMPOUND_HET_PHASE_UNKNOWN),
        (B, [HET, HOM], XY, Pattern.HOMOZYGOUS),
        (B, [P0, P1], XX, Pattern.COMPOUND_HET_TRANS),
        (B, [P0, P0b], XX, None),  # cis pair: one affected haplotype
        (B, [P0, OTHER_SET], XX, Pattern.COMPOUND_HET_PHASE_UNKNOWN),  # different phase sets
        (B, [P0, P0b, P1], XX, Pattern.COMPOUND_HET_TRANS),
        (B, [SAME_LOCUS_A, SAME_LOCUS_B], XX, Pattern.COMPOUND_HET_TRANS),  # 1/2 at one record
        # XLINKED_MONOALLELIC: any candidate, any karyotype
        (XM, [HET], XX, Pattern.HETEROZYGOUS),
        (XM, [HEMI], XY, Pattern.HEMIZYGOUS),
        (XM, [], XY, None),
        # XLINKED_BIALLELIC: single X -> any; XX -> as biallelic
        (XB, [HEMI], XY, Pattern.HEMIZYGOUS),
        (XB, [HEMI], X1, Pattern.HEMIZYGOUS),
        (XB, [HET], XX, None),  # carrier mother-to-be
        (XB, [HET], XXY, None),
        (XB, [HOM], XX, Pattern.HOMOZYGOUS),
        (XB, [HET, HET2], XX, Pattern.COMPOUND_HET_PHASE_UNKNOWN),
        (XB, [HET], UNK, None),  # unknown karyotype: conservative, as biallelic
    ],
)
def test_gene_pattern_truth_table(moi, calls, karyotype, expected):
    assert gene_pattern(moi, calls, [False] * len(calls), karyotype) is expected


def test_xlinked_biallelic_par_candidate_in_single_x_behaves_autosomal():
    # a single het inside a PAR in an XY baby is a carrier, not hemizygous
    assert gene_pattern(XB, [HET], [True], XY) is None
    assert gene_pattern(XB, [HET, HET2], [True, True], XY) is Pattern.COMPOUND_HET_PHASE_UNKNOWN


def test_pair_phase():
    assert pair_phase(P0, P1) == "trans"
    assert pair_phase(P0, P0b) == "cis"
    assert pair_phase(P0, HET) == "unknown"
    assert pair_phase(P0, OTHER_SET) == "unknown"


@pytest.mark.parametrize(
    ("chrom", "pos", "copies", "ploidy", "karyotype", "build", "expected"),
    [
        ("1", 1000, 1, 2, XX, GRCH38, Zygosity.HET),
        ("1", 1000, 2, 2, XY, GRCH38, Zygosity.HOM),
        ("X", 50_000_000, 2, 2, XY, GRCH38, Zygosity.HEMI),  # 1/1 on a single-X chrX
        ("X", 50_000_000, 1, 1, XY, GRCH38, Zygosity.HEMI),  # haploid call
        ("X", 50_000_000, 1, 2, XY, GRCH38, Zygosity.HET),  # odd het on male X stays het
        ("X", 50_000_000, 2, 2, XX, GRCH38, Zygosity.HOM),
        ("X", 1_500_000, 2, 2, XY, GRCH38, Zygosity.HOM),  # PAR1 behaves autosomal
        ("X", 1_500_000, 1, 2, XY, GRCH38, Zygosity.HET),
        ("X", 155_800_000, 2, 2, XY, GRCH38, Zygosity.HOM),  # PAR2 GRCh38
        ("X", 2_750_000, 2, 2, XY, GRCH38, Zygosity.HOM),  # inside GRCh38 PAR1 ...
        ("X", 2_750_000, 2, 2, XY, GRCH37, Zygosity.HEMI),  # ... outside GRCh37 PAR1
    ],
)
def test_zygosity(chrom, pos, copies, ploidy, karyotype, build, expected):
    assert zygosity(chrom, pos, copies, ploidy, karyotype, build) is expected


S = RuleSettings()


def ev(x_calls, x_het, y_hemi, y_het=0, has_y=True, x_windows=40):
    return SexEvidence(
        x_calls=x_calls,
        x_het=x_het,
        y_calls=y_hemi + y_het,
        x_windows=x_windows,
        y_windows=1,
        has_y_contig=has_y,
        y_hemi=y_hemi,
    )


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (ev(400, 220, 0), XX),
        (ev(400, 220, 0, y_het=100), XX),  # heterozygous chrY artefacts of a girl never make a Y
        (ev(101, 41, 0, y_het=43), XX),  # the real Exomiser exome: 0.41 het, 43 het chrY calls
        (ev(400, 220, 12, y_het=90), XX),  # a few hom-alt artefacts among many het ones: no Y
        (ev(400, 220, 400, y_het=20), XXY),  # two X and a clearly evidenced Y
        (ev(600, 4, 140, y_het=10), XY),  # an R1b boy: ~150 chrY calls over the whole region
        (ev(600, 4, 2900, y_het=100), XY),  # a boy of a distant haplogroup
        (ev(600, 4, 4), X1),  # one X, too few hemizygous calls: a Y is not evidenced, not excluded
        (ev(400, 4, 0, has_y=False), X1),  # no chrY in the VCF
        (ev(400, 40, 40), UNK),  # 10 % het: ambiguous
        (ev(20, 10, 0), UNK),  # too few calls
        (None, UNK),
    ],
)
def test_infer_karyotype(evidence, expected):
    call = infer_karyotype(evidence, S)
    assert call.karyotype is expected
    assert call.note


def test_infer_karyotype_never_concludes_no_y_from_absent_calls():
    note = infer_karyotype(ev(600, 4, 3), S).note
    assert "does not mean there is none" in note
    assert "no chrY in the VCF" in infer_karyotype(ev(400, 4, 0, has_y=False), S).note
    assert "whole of chrX" in infer_karyotype(ev(400, 4, 200, x_windows=0), S).note


def _call(karyotype):
    return KaryotypeCall(karyotype, "evidence")


@pytest.mark.parametrize(
    ("sex", "karyotype", "discordant"),
    [
        (Sex.FEMALE, XY, True),
        (Sex.FEMALE, X1, True),  # one X in a recorded girl: a boy's sample or 45,X — held
        (Sex.FEMALE, XXY, True),
        (Sex.MALE, XX, True),  # two X, no Y evidence in a recorded boy — held
        (Sex.MALE, X1, False),  # a boy whose chrY differs little from the reference
        (Sex.FEMALE, XX, False),
        (Sex.MALE, XY, False),
        (Sex.MALE, XXY, False),  # Klinefelter: compatible with a recorded boy
        (Sex.UNKNOWN, XY, False),
        (Sex.UNKNOWN, X1, False),
        (Sex.FEMALE, UNK, False),
    ],
)
def test_sex_discordance(sex, karyotype, discordant):
    reason = sex_discordance(sex, _call(karyotype))
    assert (reason is not None) is discordant
    if reason:
        assert "sample swap" in reason
        assert "evidence" in reason  # what was seen is stated


def test_discordance_names_the_possible_explanations():
    assert "45,X" in sex_discordance(Sex.FEMALE, _call(X1))
    assert "47,XXY" in sex_discordance(Sex.MALE, _call(XX))


def test_rules_karyotype_falls_back_to_recorded_sex():
    assert rules_karyotype(UNK, Sex.MALE) is XY
    assert rules_karyotype(UNK, Sex.FEMALE) is XX
    assert rules_karyotype(UNK, Sex.UNKNOWN) is UNK
    assert rules_karyotype(XX, Sex.MALE) is XX


def test_sex_chromosome_reads_stay_outside_pars():
    from screening.domain import PARS, PARS_Y

    for build in (GRCH38, GRCH37):
        xs = karyotype_windows(build)
        assert len(xs) == 40
        for _, start, end in xs:
            assert PARS[build][0][1] < start <= end < PARS[build][1][0]
        ((_, y_start, y_end),) = male_specific_y(build)
        assert y_start == PARS_Y[build][0][1] + 1
        assert y_end == PARS_Y[build][1][0] - 1
