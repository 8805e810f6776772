"""Pure parsing of CSQ / ANN / BCSQ annotation strings and ClinVar fields (no files)."""

from __future__ import annotations

import polars as pl
import pytest

from screening import annotations as ann

VEP_DESC = (
    "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|"
    "Feature_type|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|MANE_PLUS_CLINICAL"
)
VEP_NUM_DESC = (
    "Consequence annotations from Ensembl VEP. Format: Allele|Consequence|SYMBOL|Feature|ALLELE_NUM"
)
ANN_DESC = (
    "Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | "
    "Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
    "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'"
)
BCSQ_DESC = "Haplotype-aware consequence annotation from BCFtools/csq. Format: '[*]consequence|gene|...'"


def frame(fmt, raws, alleles):
    records = pl.DataFrame(
        {"rec": list(range(len(raws))), "raw": raws}, schema={"rec": pl.Int64, "raw": pl.String}
    )
    rows = pl.DataFrame(
        alleles,
        schema={"rec": pl.Int64, "allele_num": pl.Int64, "key": pl.String, "row": pl.Int64},
        orient="row",
    )
    return ann.annotation_frame(fmt, records, rows)


def test_format_preference_and_fields():
    fmt = ann.annotation_format({"CSQ": VEP_DESC, "ANN": ANN_DESC, "BCSQ": BCSQ_DESC})
    assert fmt is not None
    assert fmt.tag == "CSQ"
    assert (fmt.allele, fmt.consequence, fmt.symbol, fmt.transcript, fmt.hgnc_id) == (0, 1, 3, 6, 8)
    assert (fmt.mane_select, fmt.mane_clinical, fmt.allele_num) == (9, 10, None)
    snpeff = ann.annotation_format({"ANN": ANN_DESC})
    assert snpeff is not None
    assert (snpeff.tag, snpeff.allele, snpeff.consequence, snpeff.symbol, snpeff.transcript) == (
        "ANN",
        0,
        1,
        3,
        6,
    )
    assert ann.annotation_format({"BCSQ": BCSQ_DESC}).tag == "BCSQ"
    assert ann.annotation_format({"AF": "allele frequency"}) is None


@pytest.mark.parametrize(
    ("ref", "alts", "expected"),
    [
        ("A", ["G"], ("G",)),
        ("AT", ["A"], ("-",)),
        ("A", ["AT"], ("T",)),
        ("ATT", ["A", "AT"], ("-", "T")),
        ("A", ["G", "AT"], ("G", "AT")),  # first bases differ: VEP keeps the alleles as written
        ("AC", ["GT"], ("GT",)),  # MNV: same length, untouched
        ("AT", ["A", "*"], ("-", "*")),
    ],
)
def test_vep_alleles(ref, alts, expected):
    assert ann.vep_alleles(ref, alts) == expected


def test_csq_matched_by_vep_allele_with_versions_hgnc_and_mane():
    fmt = ann.annotation_format({"CSQ": VEP_DESC})
    raw = (
        "-|frameshift_variant|HIGH|G1|E1|Transcript|ENST01.4|protein_coding|HGNC:1|NM_1.2|,"
        "-|stop_gained&splice_region_variant|HIGH|G1|E1|Transcript|ENST02.1|protein_coding|1||NM_2.1,"
        "T|inframe_deletion|MODERATE|G1|E1|Transcript|ENST01.4|protein_coding|HGNC:1|NM_1.2|"
    )
    out = frame(fmt, [raw], [(0, 1, "-", 0), (0, 2, "T", 1)])
    assert out.schema == pl.Schema(ann.ANNOTATION_SCHEMA)
    assert out.drop("entry", "hgvsc", "hgvsp").rows() == [
        (0, "G1", "HGNC:1", "ENST01", "frameshift_variant", True, False),
        (0, "G1", "HGNC:1", "ENST02", "stop_gained", False, True),
        (0, "G1", "HGNC:1", "ENST02", "splice_region_variant", False, True),
        (1, "G1", "HGNC:1", "ENST01", "inframe_deletion", True, False),
    ]


def test_csq_matched_by_allele_num_when_present():
    fmt = ann.annotation_format({"CSQ": VEP_NUM_DESC})
    raw = "-|frameshift_variant|G1|ENST1|1,-|stop_gained|G1|ENST1|2"
    out = frame(fmt, [raw], [(0, 2, "ignored", 5)])
    assert out.select("row", "consequence").rows() == [(5, "stop_gained")]


def test_csq_without_allele_field_applies_to_every_alt():
    fmt = ann.annotation_format({"CSQ": "Format: Consequence|Codons|Amino_acids|Gene|SYMBOL|Feature"})
    out = frame(fmt, ["missense_variant|||ENSG1|G1|ENST1"], [(0, 1, "A", 0), (0, 2, "C", 1)])
    assert out.select("row", "symbol", "consequence").rows() == [
        (0, "G1", "missense_variant"),
        (1, "G1", "missense_variant"),
    ]


def test_ann_matched_by_alt_as_written():
    fmt = ann.annotation_format({"ANN": ANN_DESC})
    raw = (
        "C|stop_gained|HIGH|G1|E1|transcript|ENST1.2|protein_coding|1/2|c.1A>C||||||,"
        "CA|missense_variant|MODERATE|G1|E1|transcript|ENST1.2|protein_coding|1/2|c.1A>CA||||||"
    )
    out = frame(fmt, [raw], [(0, 2, "CA", 7)])
    assert out.rows() == [(7, "G1", None, "ENST1", "missense_variant", False, False, 1, "c.1A>CA", None)]


def test_bcsq_skips_back_references_and_post_stop_entries_and_maps_to_so():
    fmt = ann.annotation_format({"BCSQ": BCSQ_DESC})
    raw = (
        "@788407,frameshift|G1|ENST1|protein_coding|+|10P>10X|5C>CA,"
        "*stop_gained|G1|ENST2|protein_coding|+|20Q>20*|9C>T,missense&inframe_altering|G1|ENST3|protein_coding"
    )
    out = frame(fmt, [raw], [(0, 1, "CA", 0), (0, 2, "T", 1)])
    assert out.filter(pl.col("row") == 0).select("transcript", "consequence").rows() == [
        ("ENST1", "frameshift_variant"),
        ("ENST3", "missense_variant"),
        ("ENST3", "protein_altering_variant"),
    ]
    assert out.filter(pl.col("row") == 1).height == 3  # BCSQ applies to every carried ALT


def test_no_annotation_gives_empty_frame_with_schema():
    out = frame(None, [], [])
    assert out.height == 0
    assert out.schema == pl.Schema(ann.ANNOTATION_SCHEMA)


@pytest.mark.parametrize(
    ("clnsig", "conf", "expected"),
    [
        ("Pathogenic", None, (1, 0)),
        ("Likely_pathogenic", None, (1, 0)),
        ("Pathogenic/Likely_pathogenic", None, (1, 0)),  # one aggregate assertion, not two
        ("Benign", None, (0, 1)),
        ("Benign/Likely_benign", None, (0, 1)),
        ("Likely_benign", None, (0, 1)),
        ("Uncertain_significance", None, (0, 0)),
        ("Pathogenic|drug_response", None, (1, 0)),
        ("Pathogenic,_risk_factor", None, (1, 0)),
        ("drug_response", None, (0, 0)),
        ("Likely_pathogenic,_low_penetrance", None, (1, 0)),
        (
            "Conflicting_interpretations_of_pathogenicity",
            "Pathogenic(1)|Likely_benign(2)|Uncertain_significance(3)",
            (1, 2),
        ),
        (
            "Conflicting_interpretations_of_pathogenicity",
            "Benign(1)%3BLikely_benign(2)%3BUncertain_significance(1)",
            (0, 3),
        ),
        (
            "Conflicting_classifications_of_pathogenicity",
            "Pathogenic(2)|Likely_pathogenic(1)|Benign(1)",
            (3, 1),
        ),
        ("Conflicting_interpretations_of_pathogenicity", None, (0, 0)),
        (None, None, (0, 0)),
    ],
)
def test_clinvar_counts(clnsig, conf, expected):
    assert ann.clinvar_counts(clnsig, conf) == expected


@pytest.mark.parametrize(
    ("status", "stars"),
    [
        ("no_assertion_criteria_provided", 0),
        ("no_assertion_provided", 0),
        ("no_interpretation_for_the_single_variant", 0),
        ("criteria_provided,_single_submitter", 1),
        ("criteria_provided,_conflicting_interpretations", 1),
        ("criteria_provided,_multiple_submitters,_no_conflicts", 2),
        ("reviewed_by_expert_panel", 3),
        ("practice_guideline", 4),
        (None, 0),
    ],
)
def test_review_stars(status, stars):
    assert ann.review_stars(status) == stars


def test_clinvar_genes():
    assert ann.clinvar_genes("AGRN:375790") == "AGRN"
    assert ann.clinvar_genes("AGRN:375790|ISG15:9636") == "AGRN|ISG15"
    assert ann.clinvar_genes(None) is None


def test_csq_hgvs_fields_wherever_the_format_puts_them_with_the_uri_escape_undone():
    desc = "Format: HGVSp|Allele|Consequence|SYMBOL|Feature|HGVSc|MANE_SELECT"
    fmt = ann.annotation_format({"CSQ": desc})
    assert (fmt.hgvsc, fmt.hgvsp) == (5, 0)
    raw = (
        "ENSP1.1:p.Leu5%3D|G|synonymous_variant|G1|ENST1.3|ENST1.3:c.15A>G|NM_1.1,"
        "|G|intron_variant&NMD_transcript_variant|G1|ENST2.1|ENST2.1:c.10+5A>G|"
    )
    out = frame(fmt, [raw], [(0, 1, "G", 4)])
    assert out.select("transcript", "consequence", "entry", "hgvsc", "hgvsp").rows() == [
        ("ENST1", "synonymous_variant", 0, "ENST1.3:c.15A>G", "ENSP1.1:p.Leu5="),
        ("ENST2", "intron_variant", 1, "ENST2.1:c.10+5A>G", None),
        ("ENST2", "NMD_transcript_variant", 1, "ENST2.1:c.10+5A>G", None),
    ]


def test_ann_hgvs_c_and_p_and_bcsq_has_none():
    snpeff = ann.annotation_format({"ANN": ANN_DESC})
    assert (snpeff.hgvsc, snpeff.hgvsp) == (9, 10)
    raw = "T|stop_gained|HIGH|G1|E1|transcript|ENST1.2|protein_coding|2/5|c.100C>T|p.Arg34*||||||"
    out = frame(snpeff, [raw], [(0, 1, "T", 0)])
    assert out.select("hgvsc", "hgvsp").rows() == [("c.100C>T", "p.Arg34*")]
    bcsq = ann.annotation_format({"BCSQ": BCSQ_DESC})
    assert (bcsq.hgvsc, bcsq.hgvsp) == (None, None)  # its own notation, not HGVS
    out = frame(bcsq, ["missense|G1|ENST3|protein_coding|+|571D>571N|793183G>A"], [(0, 1, "A", 0)])
    assert out.select("consequence", "hgvsc", "hgvsp").rows() == [("missense_variant", None, None)]
