"""Small builders of calls / annotation frames and panels for pure-core tests (no files)."""

from __future__ import annotations

import polars as pl

from screening.domain import (
    GRCH38,
    ClinVarSnapshot,
    ExcludedVariant,
    IncludedVariant,
    Moi,
    PanelGene,
    PanelVersion,
    RuleSettings,
    SampleInput,
    SampleQc,
    Sex,
    SexEvidence,
    VcfFacts,
    Version,
)
from screening.sample_screen import ScreenInput
from screening.vcf_parse import CALLS_SCHEMA

CALL_SCHEMA = CALLS_SCHEMA
POPS = RuleSettings().population_af_fields
ANN_SCHEMA = {
    "row": pl.Int64,
    "symbol": pl.String,
    "hgnc_id": pl.String,
    "transcript": pl.String,
    "consequence": pl.String,
    "mane_select": pl.Boolean,
    "mane_clinical": pl.Boolean,
    "entry": pl.Int64,
    "hgvsc": pl.String,
    "hgvsp": pl.String,
}

GENES = (
    PanelGene("HGNC:1", "DOM1", Moi.MONOALLELIC, "dominant thing", True, "1", 1_000_000, 1_010_000),
    PanelGene(
        "HGNC:2",
        "REC1",
        Moi.BIALLELIC,
        "recessive thing",
        True,
        "2",
        2_000_000,
        2_050_000,
        transcript="ENST00000000002.4",
    ),
    PanelGene(
        "HGNC:3", "XREC", Moi.XLINKED_BIALLELIC, "x-linked recessive", True, "X", 50_000_000, 50_100_000
    ),
    PanelGene(
        "HGNC:4", "XDOM", Moi.XLINKED_MONOALLELIC, "x-linked dominant", False, "X", 70_000_000, 70_010_000
    ),
    PanelGene("HGNC:5", "PARG", Moi.BIALLELIC, "pseudoautosomal recessive", True, "X", 1_400_000, 1_450_000),
    PanelGene(
        "HGNC:11117", "SMN1", Moi.BIALLELIC, "spinal muscular atrophy", False, "5", 70_900_000, 70_950_000
    ),
    PanelGene("HGNC:6", "AMBER", Moi.MONOALLELIC, "inactive", True, "3", 3_000_000, 3_010_000, active=False),
)


def panel(include=(), exclude=(), **settings) -> PanelVersion:
    return PanelVersion(
        panel_id="unit",
        name="Unit panel",
        version=Version(1, 0),
        genome_build=GRCH38,
        settings=RuleSettings(**settings),
        genes=GENES,
        include=tuple(IncludedVariant(*v) for v in include),
        exclude=tuple(ExcludedVariant(*v) for v in exclude),
        sha256="0" * 64,
    )


def call(chrom, pos, ref="A", alt="G", gt="0/1", **kw) -> dict:
    alleles = gt.replace("|", "/").split("/")
    row = {
        "chrom": chrom,
        "pos": pos,
        "ref": ref,
        "alt": alt,
        "end": pos + len(ref) - 1,
        "filter": "PASS",
        "ft": None,
        "gt": gt,
        "alt_copies": sum(a == "1" for a in alleles),
        "ploidy": len(alleles),
        "phased": "|" in gt,
        "phase_set": None,
        "phase_hap": None,
        "gq": 60,
        "dp": 30,
        "ad_ref": 15,
        "ad_alt": 15,
        "ad_total": 30,
        "symbolic": False,
    }
    if row["alt_copies"] == 2 or row["ploidy"] == 1:
        row.update(ad_ref=0, ad_alt=30)
    if row["phased"] and row["alt_copies"] == 1:
        row["phase_hap"] = alleles.index("1")
        row["phase_set"] = "1"
    row.update(kw)
    return row


def calls_frame(*rows: dict, af: dict[int, dict[str, float]] | None = None) -> pl.DataFrame:
    data = [{**r, "row": i} for i, r in enumerate(rows)]
    frame = pl.DataFrame(data, schema=CALL_SCHEMA) if data else pl.DataFrame(schema=CALL_SCHEMA)
    af = af or {}
    return frame.with_columns(
        pl.Series(f"af_{pop}", [af.get(i, {}).get(pop) for i in range(len(rows))], dtype=pl.Float64)
        for pop in POPS
    )


def ann_frame(*rows: tuple) -> pl.DataFrame:
    """rows: (row, symbol, hgnc_id, transcript, consequence, mane_select, mane_clinical[, hgvsc, hgvsp]);
    each row is an annotation entry of its own."""
    full = [(*r[:7], i, *(*r[7:9], None, None)[:2]) for i, r in enumerate(rows)]
    return pl.DataFrame(full, schema=ANN_SCHEMA, orient="row")


def clinvar(*rows: tuple) -> ClinVarSnapshot:
    """rows: (chrom, pos, ref, alt, plp, blb, stars)."""
    records = pl.DataFrame(
        [
            (c, p, r, a, f"CV{i}", "x", plp, blb, stars, "G")
            for i, (c, p, r, a, plp, blb, stars) in enumerate(rows)
        ],
        schema={
            "chrom": pl.String,
            "pos": pl.Int64,
            "ref": pl.String,
            "alt": pl.String,
            "clinvar_id": pl.String,
            "clnsig": pl.String,
            "plp_count": pl.Int64,
            "blb_count": pl.Int64,
            "stars": pl.Int64,
            "gene": pl.String,
        },
        orient="row",
    )
    return ClinVarSnapshot("clinvar_test.vcf.gz", "2026-01-01", "c" * 64, records)


FACTS = VcfFacts(
    path="baby.vcf.gz",
    sha256="v" * 64,
    annotation="CSQ",
    format_fields=frozenset({"GT", "GQ", "DP", "AD", "PS"}),
    info_fields=frozenset({"CSQ", *POPS.values()}),
    chrom_style="chr",
)
XX_EVIDENCE = SexEvidence(400, 210, 0, 40, 12, True)
XY_EVIDENCE = SexEvidence(400, 3, 60, 40, 1, True, y_hemi=58)


def screen_input(
    calls,
    *,
    annotations=None,
    panel_=None,
    sex=Sex.FEMALE,
    evidence=XX_EVIDENCE,
    cv=None,
    cohort=None,
    qc=None,
    smn1=2,
    facts=FACTS,
) -> ScreenInput:
    return ScreenInput(
        panel=panel_ or panel(),
        sample=SampleInput("B01", "B01", sex, qc or SampleQc(), smn1),
        facts=facts,
        calls=calls,
        annotations=annotations if annotations is not None else ann_frame(),
        sex_evidence=evidence,
        clinvar=cv,
        cohort_af=cohort,
    )
