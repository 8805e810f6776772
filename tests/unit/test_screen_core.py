"""The pure screening core on hand-built frames: every route, quality rule, role and outcome."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from screening.domain import CandidateRole, Outcome, Pattern, Route, SampleQc, Sex
from screening.report import result_to_dict, to_json, to_table
from screening.sample_screen import screen_sample
from tests.unit.builders import (
    FACTS,
    XY_EVIDENCE,
    ann_frame,
    call,
    calls_frame,
    clinvar,
    panel,
    screen_input,
)

DOM = ("1", 1_005_000)
REC_A = ("2", 2_010_000)
REC_B = ("2", 2_020_000)
CV_DOM = clinvar((*DOM, "A", "G", 2, 0, 2))


def run(calls, **kw):
    return screen_sample(screen_input(calls, **kw))


def roles(result):
    return {(c.chrom, c.pos, c.alt, c.hgnc_id): c.role for c in result.candidates}


def test_nothing_found_is_no_condition_suspected_and_says_what_was_not_evaluated():
    result = run(calls_frame(call("1", 5_000_000)))
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    assert result.findings == ()
    assert any("ClinVar route not evaluated" in n for n in result.not_evaluated)
    assert any("pct_autosomal_15x not evaluated" in n for n in result.not_evaluated)


def test_clinvar_het_in_dominant_gene_is_suspected_with_evidence():
    result = run(calls_frame(call(*DOM)), cv=CV_DOM)
    assert result.outcome is Outcome.CONDITION_SUSPECTED
    (f,) = result.findings
    assert (f.hgnc_id, f.pattern) == ("HGNC:1", Pattern.HETEROZYGOUS)
    (v,) = f.variants
    assert v.routes == (Route.CLINVAR,)
    assert (v.gq, v.dp, v.allele_balance, v.clinvar_plp, v.clinvar_blb, v.clinvar_stars) == (
        60,
        30,
        0.5,
        2,
        0,
        2,
    )
    assert any("internal allele frequency" in n for n in result.not_evaluated)


def test_clinvar_counting_rule():
    assert run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "G", 1, 1, 1))).findings  # <= 1 benign ok
    assert not run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "G", 3, 2, 1))).findings  # 2 benign
    assert not run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "G", 0, 0, 1))).findings  # no P/LP
    assert not run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "C", 2, 0, 2))).findings  # other ALT
    starred = panel(clinvar_min_stars=2)
    assert not run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "G", 2, 0, 1)), panel_=starred).findings
    assert run(calls_frame(call(*DOM)), cv=clinvar((*DOM, "A", "G", 2, 0, 2)), panel_=starred).findings


def test_internal_allele_frequency_blocks_clinvar_route_but_keeps_the_candidate():
    cohort = pl.DataFrame(
        {"chrom": ["1"], "pos": [DOM[1]], "ref": ["A"], "alt": ["G"], "internal_af": [0.07]}
    )
    result = run(calls_frame(call(*DOM)), cv=CV_DOM, cohort=cohort)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    assert roles(result) == {("1", DOM[1], "G", "HGNC:1"): CandidateRole.COMMON_IN_COHORT}
    rare = cohort.with_columns(internal_af=pl.lit(0.01))
    assert run(calls_frame(call(*DOM)), cv=CV_DOM, cohort=rare).findings


def test_curated_hom_in_recessive_gene():
    p = panel(include=[(*REC_A, "A", "G", "HGNC:2", "rs1")])
    (f,) = run(calls_frame(call(*REC_A, gt="1/1")), panel_=p).findings
    assert (f.symbol, f.pattern, f.variants[0].routes) == ("REC1", Pattern.HOMOZYGOUS, (Route.CURATED,))


def test_single_het_in_recessive_gene_is_a_carrier_never_reported():
    p = panel(include=[(*REC_A, "A", "G", "HGNC:2", "rs1")])
    result = run(calls_frame(call(*REC_A)), panel_=p)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    assert roles(result) == {("2", REC_A[1], "G", "HGNC:2"): CandidateRole.CARRIER}
    shown = result_to_dict(result)
    assert shown["findings"] == []
    assert shown["unreported_candidates"] == {"carrier": 1}
    assert str(REC_A[1]) not in to_table(result)


def test_compound_het_unphased_phased_trans_and_cis():
    cv = clinvar((*REC_A, "A", "G", 2, 0, 2), (*REC_B, "A", "G", 2, 0, 2))
    unphased = run(calls_frame(call(*REC_A), call(*REC_B)), cv=cv)
    assert unphased.findings[0].pattern is Pattern.COMPOUND_HET_PHASE_UNKNOWN
    trans = run(calls_frame(call(*REC_A, gt="0|1"), call(*REC_B, gt="1|0")), cv=cv)
    assert trans.findings[0].pattern is Pattern.COMPOUND_HET_TRANS
    cis = run(calls_frame(call(*REC_A, gt="0|1"), call(*REC_B, gt="0|1")), cv=cv)
    assert cis.findings == ()
    assert set(roles(cis).values()) == {CandidateRole.CARRIER}


def test_lof_route_uses_the_predefined_transcript_and_population_caps():
    lof_on = ann_frame((0, "REC1", "HGNC:2", "ENST00000000002", "stop_gained", False, False))
    lof_other = ann_frame((0, "REC1", "HGNC:2", "ENST00000000099", "stop_gained", True, False))
    hom = calls_frame(call(*REC_A, gt="1/1"))
    (f,) = run(hom, annotations=lof_on).findings
    assert f.variants[0].routes == (Route.LOF,)
    assert f.variants[0].consequence == "stop_gained"
    assert not run(hom, annotations=lof_other).findings  # MANE is not used when a transcript is predefined
    common = calls_frame(call(*REC_A, gt="1/1"), af={0: {"nfe": 0.02}})
    assert not run(common, annotations=lof_on).findings  # biallelic cap 0.01
    rare = calls_frame(call(*REC_A, gt="1/1"), af={0: {"nfe": 0.005}})
    assert run(rare, annotations=lof_on).findings


def test_lof_caps_per_population_for_monoallelic_genes():
    mane = ann_frame((0, "DOM1", None, "ENST00000000001", "frameshift_variant", True, False))
    not_mane = ann_frame((0, "DOM1", None, "ENST00000000001", "frameshift_variant", False, False))
    missense = ann_frame((0, "DOM1", None, "ENST00000000001", "missense_variant", True, False))
    assert run(calls_frame(call(*DOM)), annotations=mane).findings
    assert not run(calls_frame(call(*DOM)), annotations=not_mane).findings
    assert not run(calls_frame(call(*DOM)), annotations=missense).findings
    afr = calls_frame(call(*DOM), af={0: {"afr": 0.0006}})  # above the African cap 0.0005
    assert not run(afr, annotations=mane).findings
    asj = calls_frame(call(*DOM), af={0: {"asj": 0.0025}})  # below the Ashkenazi cap 0.003
    assert run(asj, annotations=mane).findings


def test_lof_route_not_evaluated_without_annotation_is_said():
    facts = replace(FACTS, annotation=None)
    result = run(calls_frame(call(*DOM)), facts=facts)
    assert any(n.startswith("loss-of-function route not evaluated") for n in result.not_evaluated)
    no_af = replace(FACTS, info_fields=frozenset({"CSQ"}))
    result = run(calls_frame(call(*DOM)), facts=no_af)
    assert any("population allele-frequency" in n for n in result.not_evaluated)


def test_call_quality_failures_are_stored_not_reported():
    cases = {
        "GQ 8 < 20": call(*DOM, gq=8),
        "DP 6 < 10": call(*DOM, dp=6),
        "FILTER LowQual": call(*DOM, filter="LowQual"),
        "GQ missing": call(*DOM, gq=None),
        "heterozygous allele balance 0.10": call(*DOM, ad_ref=27, ad_alt=3, ad_total=30),
        "hom allele balance 0.60": call(*DOM, gt="1/1", ad_ref=12, ad_alt=18, ad_total=30),
        "AD missing": call(*DOM, ad_ref=None, ad_alt=None, ad_total=None),
    }
    for expected, c in cases.items():
        result = run(calls_frame(c), cv=CV_DOM)
        assert result.outcome is Outcome.NO_CONDITION_SUSPECTED, expected
        (cand,) = result.candidates
        assert cand.role is CandidateRole.FAILED_QUALITY
        assert any(f.startswith(expected) for f in cand.quality_failures), (expected, cand.quality_failures)


def test_format_field_absent_from_header_is_not_evaluated_and_said():
    facts = replace(FACTS, format_fields=frozenset({"GT", "DP", "AD"}))
    result = run(calls_frame(call(*DOM, gq=None)), cv=CV_DOM, facts=facts)
    assert result.findings
    assert any("GQ not evaluated" in n for n in result.not_evaluated)


def test_exclusion_wins_over_every_route():
    p = panel(include=[(*DOM, "A", "G", "HGNC:1", "rs1")], exclude=[(*DOM, "A", "G", "mild allele")])
    result = run(calls_frame(call(*DOM)), panel_=p, cv=CV_DOM)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    (cand,) = result.candidates
    assert (cand.role, cand.exclusion_reason) == (CandidateRole.EXCLUDED, "mild allele")


def test_xlinked_recessive_by_karyotype_and_par():
    cv = clinvar(("X", 50_050_000, "A", "G", 2, 0, 2), ("X", 1_420_000, "A", "G", 2, 0, 2))
    boy = run(calls_frame(call("X", 50_050_000, gt="1")), cv=cv, sex=Sex.MALE, evidence=XY_EVIDENCE)
    assert boy.findings[0].pattern is Pattern.HEMIZYGOUS
    assert boy.karyotype.value == "XY"
    girl = run(calls_frame(call("X", 50_050_000)), cv=cv)
    assert girl.findings == ()
    assert set(roles(girl).values()) == {CandidateRole.CARRIER}
    par_boy = run(calls_frame(call("X", 1_420_000)), cv=cv, sex=Sex.MALE, evidence=XY_EVIDENCE)
    assert par_boy.findings == ()  # PAR gene: a single het in a boy is a carrier


def test_sex_discordance_holds_the_baby():
    result = run(calls_frame(call(*DOM)), cv=CV_DOM, sex=Sex.FEMALE, evidence=XY_EVIDENCE)
    assert result.outcome is Outcome.TESTING_NOT_POSSIBLE
    assert "possible sample swap" in result.reasons[0]
    assert result.findings == ()
    assert result.candidates == ()


def test_failed_qc_gate_names_the_metric():
    result = run(calls_frame(call(*DOM)), cv=CV_DOM, qc=SampleQc(97.0, 90.0, 3.2))
    assert result.outcome is Outcome.TESTING_NOT_POSSIBLE
    assert result.reasons == ("QC gate failed: contamination_pct 3.2 (required <= 1.5)",)


def test_smn1_zero_copies_is_a_finding_and_missing_copy_number_is_said():
    zero = run(calls_frame(), smn1=0)
    assert zero.findings[0].pattern is Pattern.COPY_NUMBER_ZERO
    assert zero.outcome is Outcome.CONDITION_SUSPECTED
    assert run(calls_frame(), smn1=1).findings == ()
    unknown = run(calls_frame(), smn1=None)
    assert any("SMN1" in n for n in unknown.not_evaluated)


def test_inactive_genes_and_padding():
    cv = clinvar(
        ("3", 3_005_000, "A", "G", 2, 0, 2),
        ("1", 1_011_500, "A", "G", 2, 0, 2),
        ("1", 1_012_500, "A", "G", 2, 0, 2),
    )
    result = run(calls_frame(call("3", 3_005_000), call("1", 1_011_500), call("1", 1_012_500)), cv=cv)
    assert [(c.chrom, c.pos) for c in result.candidates] == [("1", 1_011_500)]  # 1.5 kb past the end: padded


def test_deletion_starting_before_the_region_overlaps_it():
    start = 1_000_000 - 2_000 - 3
    cv = clinvar(("1", start, "ACGTA", "A", 2, 0, 2))
    result = run(calls_frame(call("1", start, ref="ACGTA", alt="A")), cv=cv)
    assert result.findings


def test_deterministic_output():
    c = calls_frame(call(*DOM), call(*REC_A, gt="1/1"))
    cv = clinvar((*DOM, "A", "G", 2, 0, 2), (*REC_A, "A", "G", 1, 0, 1))
    assert to_json(run(c, cv=cv)) == to_json(run(c, cv=cv))
    reversed_rows = pl.concat([c.slice(1, 1), c.slice(0, 1)]).with_columns(
        row=pl.Series([0, 1], dtype=pl.Int64)
    )
    assert to_json(run(reversed_rows, cv=cv)) == to_json(run(c, cv=cv))


def test_every_candidate_shows_the_annotation_of_its_gene_panel_transcript_then_mane_then_most_severe():
    cv = clinvar((*DOM, "A", "G", 2, 0, 2))
    entries = ann_frame(
        (0, "DOM1", None, "ENST00000000007", "upstream_gene_variant", False, False, "c.-90A>G", None),
        (0, "OTHER", None, "ENST00000000008", "stop_gained", False, False, "c.1A>G", "p.Met1?"),
        (0, "DOM1", None, "ENST00000000009", "missense_variant", False, False, "c.10A>G", "p.Lys4Glu"),
    )
    (f,) = run(calls_frame(call(*DOM)), cv=cv, annotations=entries).findings
    v = f.variants[0]
    assert (v.consequence, v.transcript, v.hgvsc, v.hgvsp) == (
        "missense_variant",  # the most severe of DOM1's entries (the other gene's is not DOM1's)
        "ENST00000000009",
        "c.10A>G",
        "p.Lys4Glu",
    )
    mane = entries.with_columns(mane_select=pl.col("transcript") == "ENST00000000007")
    (f,) = run(calls_frame(call(*DOM)), cv=cv, annotations=mane).findings
    assert (f.variants[0].transcript, f.variants[0].hgvsc) == ("ENST00000000007", "c.-90A>G")
    doc = result_to_dict(run(calls_frame(call(*DOM)), cv=cv, annotations=mane))
    variant = doc["findings"][0]["variants"][0]
    assert (variant["hgvsc"], variant["hgvsp"], variant["consequence"]) == (
        "c.-90A>G",
        None,
        "upstream_gene_variant",
    )


def test_a_candidate_without_annotation_has_no_consequence_or_hgvs_in_json():
    cv = clinvar((*DOM, "A", "G", 2, 0, 2))
    doc = result_to_dict(run(calls_frame(call(*DOM)), cv=cv))
    variant = doc["findings"][0]["variants"][0]
    assert {k: variant[k] for k in ("consequence", "transcript", "hgvsc", "hgvsp")} == dict.fromkeys(
        ("consequence", "transcript", "hgvsc", "hgvsp")
    )


def test_a_lof_candidate_shows_the_entry_the_lof_route_chose():
    entries = ann_frame(
        (0, "REC1", "HGNC:2", "ENST00000000002", "stop_gained", False, False, "c.5C>T", "p.Gln2*"),
        (0, "REC1", "HGNC:2", "ENST00000000077", "missense_variant", True, False, "c.9C>A", "p.Pro3His"),
    )
    (f,) = run(calls_frame(call(*REC_A, gt="1/1")), annotations=entries).findings
    v = f.variants[0]
    assert (v.routes, v.consequence, v.transcript, v.hgvsc, v.hgvsp) == (
        (Route.LOF,),
        "stop_gained",
        "ENST00000000002",
        "c.5C>T",
        "p.Gln2*",
    )
