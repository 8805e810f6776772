"""Inclusion routes, exclusion and call quality in polars (screening-rules §3). Pure: no I/O.

Input is the calls frame and annotation frame of ``vcf.read_calls`` (one row per sample ALT in the
panel regions). The vectorised part finds, among thousands of calls, the few that pass an inclusion
route in some panel gene; the per-candidate evidence (quality, zygosity) is then judged in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from screening import alleles
from screening.domain import (
    ClinVarSnapshot,
    Moi,
    PanelVersion,
    RuleSettings,
    VcfFacts,
    Zygosity,
)

KEY = ["chrom", "pos", "ref", "alt"]
BIN_BP = 100_000


@dataclass(frozen=True)
class RouteContext:
    """Everything the routes read besides the calls."""

    panel: PanelVersion
    facts: VcfFacts
    clinvar: ClinVarSnapshot | None
    cohort_af: pl.DataFrame | None  # chrom, pos, ref, alt, internal_af


def genes_frame(panel: PanelVersion) -> pl.DataFrame:
    """Active gene entries with their padded interval (one row per gene and mode)."""
    pad = panel.settings.padding_bp
    rows = [
        {
            "hgnc_id": g.hgnc_id,
            "symbol": g.symbol,
            "moi": g.moi.value,
            "condition": g.condition,
            "lof_mechanism": g.lof_mechanism,
            "transcript": _unversioned(g.transcript),
            "chrom": g.chrom,
            "gstart": max(1, g.start - pad),
            "gend": g.end + pad,
        }
        for g in panel.active_genes
    ]
    schema = {
        "hgnc_id": pl.String,
        "symbol": pl.String,
        "moi": pl.String,
        "condition": pl.String,
        "lof_mechanism": pl.Boolean,
        "transcript": pl.String,
        "chrom": pl.String,
        "gstart": pl.Int64,
        "gend": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def _unversioned(transcript: str | None) -> str | None:
    return transcript.split(".")[0] if transcript else None


def _binned(frame: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
    bins = pl.int_ranges(pl.col(start) // BIN_BP, pl.col(end) // BIN_BP + 1)
    return frame.with_columns(bin=bins).explode("bin")


def assign_genes(calls: pl.DataFrame, genes: pl.DataFrame) -> pl.DataFrame:
    """Every (call row, gene entry) whose intervals overlap: [pos, end] vs [gstart, gend].

    Binned equi-join then the exact overlap test: correct for overlapping genes, fast for many.
    """
    left = _binned(calls.select("row", "chrom", "pos", "end"), "pos", "end")
    right = _binned(genes, "gstart", "gend")
    joined = left.join(right, on=["chrom", "bin"], how="inner")
    overlap = (pl.col("pos") <= pl.col("gend")) & (pl.col("end") >= pl.col("gstart"))
    return (
        joined.filter(overlap)
        .drop("bin", "chrom", "pos", "end", "gstart", "gend")
        .unique(subset=["row", "hgnc_id", "moi"], keep="first", maintain_order=True)
    )


def _variants_frame(variants, column: str, name: str | None = None) -> pl.DataFrame:
    """Curated variants (IncludedVariant / ExcludedVariant) as a frame keyed like the calls, with one
    more attribute ``column`` (named ``name`` in the frame)."""
    schema = {
        "chrom": pl.String,
        "pos": pl.Int64,
        "ref": pl.String,
        "alt": pl.String,
        name or column: pl.String,
    }
    rows = [(v.chrom, *alleles.normalise(v.pos, v.ref, v.alt), getattr(v, column)) for v in variants]
    return pl.DataFrame(rows, schema=schema, orient="row")


def curated_hits(calls: pl.DataFrame, panel: PanelVersion) -> pl.DataFrame:
    """(row, hgnc_id) of calls on the curated inclusion list."""
    include = _variants_frame(panel.include, "hgnc_id")
    return calls.select("row", *KEY).join(include, on=KEY).select("row", "hgnc_id", curated=pl.lit(True))


def excluded_hits(calls: pl.DataFrame, panel: PanelVersion) -> pl.DataFrame:
    """(row, exclusion_reason) of calls on the exclusion list."""
    exclude = _variants_frame(panel.exclude, "reason", "exclusion_reason")
    return calls.select("row", *KEY).join(exclude, on=KEY).unique("row", keep="first")


def clinvar_hits(calls: pl.DataFrame, ctx: RouteContext) -> pl.DataFrame:
    """(row, clinvar evidence, clinvar route passed, common in cohort) for calls in the snapshot."""
    empty = pl.DataFrame(
        schema={
            "row": pl.Int64,
            "clinvar_id": pl.String,
            "clinvar_plp": pl.Int64,
            "clinvar_blb": pl.Int64,
            "clinvar_stars": pl.Int64,
            "internal_af": pl.Float64,
            "clinvar": pl.Boolean,
            "common_in_cohort": pl.Boolean,
        }
    )
    if ctx.clinvar is None:
        return empty
    s = ctx.panel.settings
    records = (
        ctx.clinvar.records.sort("clinvar_id")
        .unique(subset=KEY, keep="first", maintain_order=True)
        .select(
            *KEY,
            "clinvar_id",
            clinvar_plp=pl.col("plp_count").cast(pl.Int64),
            clinvar_blb=pl.col("blb_count").cast(pl.Int64),
            clinvar_stars=pl.col("stars").cast(pl.Int64),
        )
    )
    hits = calls.select("row", *KEY).join(records, on=KEY)
    if ctx.cohort_af is not None:
        hits = hits.join(ctx.cohort_af.select(*KEY, "internal_af"), on=KEY, how="left")
    else:
        hits = hits.with_columns(internal_af=pl.lit(None, pl.Float64))
    assertions = (pl.col("clinvar_plp") >= s.clinvar_min_plp) & (pl.col("clinvar_blb") <= s.clinvar_max_blb)
    if s.clinvar_min_stars is not None:
        assertions &= pl.col("clinvar_stars") >= s.clinvar_min_stars
    common = pl.col("internal_af").fill_null(0.0) >= s.clinvar_max_internal_af
    return hits.with_columns(clinvar=assertions & ~common, common_in_cohort=assertions & common).select(
        empty.columns
    )


def lof_hits(calls: pl.DataFrame, annotations: pl.DataFrame, assigned: pl.DataFrame, s: RuleSettings):
    """(row, hgnc_id, moi, consequence, transcript) of LoF consequences on the gene's chosen transcript,
    with every available population allele frequency below the cap of the gene's mode."""
    genes = assigned.filter(pl.col("lof_mechanism")).select("row", "hgnc_id", "symbol", "moi", "transcript")
    symbolic = calls.select("row", "symbolic")
    ann = annotations.join(symbolic, on="row").filter(
        pl.when(pl.col("symbolic"))
        .then(pl.col("consequence").is_in(list(s.lof_sv_consequences)))
        .otherwise(pl.col("consequence").is_in(list(s.lof_consequences)))
    )
    joined = genes.join(ann.drop("symbolic"), on="row", suffix="_ann")
    same_gene = (
        pl.when(pl.col("hgnc_id_ann").is_not_null())
        .then(pl.col("hgnc_id_ann") == pl.col("hgnc_id"))
        .otherwise(pl.col("symbol_ann") == pl.col("symbol"))
    )
    right_transcript = (
        pl.when(pl.col("transcript").is_not_null())
        .then(pl.col("transcript_ann") == pl.col("transcript"))
        .otherwise(pl.col("mane_select") | pl.col("mane_clinical"))
    )
    hits = (
        joined.filter(same_gene & right_transcript)
        .sort("row", "hgnc_id", "moi", "consequence", "transcript_ann")
        .group_by("row", "hgnc_id", "moi", maintain_order=True)
        .agg(lof_consequence=pl.col("consequence").first(), lof_transcript=pl.col("transcript_ann").first())
    )
    return (
        hits.join(calls, on="row")
        .filter(_af_below_caps(calls, s))
        .select("row", "hgnc_id", "moi", "lof_consequence", "lof_transcript", lof=pl.lit(True))
    )


# Sequence Ontology consequence terms, most severe first (Ensembl VEP's ranking): when neither the
# panel nor MANE names the transcript whose annotation is shown, the most severe entry is.
SEVERITY = (
    "transcript_ablation",
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "initiator_codon_variant",
    "transcript_amplification",
    "feature_elongation",
    "feature_truncation",
    "inframe_insertion",
    "inframe_deletion",
    "missense_variant",
    "protein_altering_variant",
    "splice_donor_5th_base_variant",
    "splice_region_variant",
    "splice_donor_region_variant",
    "splice_polypyrimidine_tract_variant",
    "incomplete_terminal_codon_variant",
    "start_retained_variant",
    "stop_retained_variant",
    "synonymous_variant",
    "coding_sequence_variant",
    "mature_miRNA_variant",
    "5_prime_UTR_variant",
    "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant",
    "non_coding_exon_variant",
    "intron_variant",
    "NMD_transcript_variant",
    "non_coding_transcript_variant",
    "coding_transcript_variant",
    "upstream_gene_variant",
    "downstream_gene_variant",
    "intergenic_variant",
)


def shown_annotation(annotations: pl.DataFrame, assigned: pl.DataFrame, lof: pl.DataFrame | None):
    """(row, hgnc_id, moi, ann_consequence, ann_transcript, hgvsc, hgvsp): the one annotation entry of
    the call's allele shown as its evidence under each gene entry. Of the gene's entries: the one the
    loss-of-function route chose, else the panel's transcript, else MANE Select, else MANE Plus
    Clinical, else the most severe consequence (ties: the first written). Its consequence terms are
    joined with ``&`` as VEP writes them. A call without an entry of the gene has no row."""
    entries = annotations.with_columns(
        pl.col("consequence")
        .replace_strict(SEVERITY, range(len(SEVERITY)), default=len(SEVERITY))
        .alias("_rank")
    )
    entries = entries.group_by("row", "entry").agg(
        pl.col("symbol", "hgnc_id", "transcript", "mane_select", "mane_clinical", "hgvsc", "hgvsp").first(),
        pl.col("consequence").str.join("&").alias("ann_consequence"),
        pl.col("_rank").min(),
    )
    genes = assigned.select("row", "hgnc_id", "symbol", "moi", "transcript")
    if lof is not None:
        genes = genes.join(
            lof.select("row", "hgnc_id", "moi", "lof_transcript"), on=["row", "hgnc_id", "moi"], how="left"
        )
    else:
        genes = genes.with_columns(lof_transcript=pl.lit(None, pl.String))
    joined = genes.join(entries, on="row", suffix="_ann")
    same_gene = (
        pl.when(pl.col("hgnc_id_ann").is_not_null())
        .then(pl.col("hgnc_id_ann") == pl.col("hgnc_id"))
        .otherwise(pl.col("symbol_ann") == pl.col("symbol"))
    )
    preference = [
        (pl.col("transcript_ann") == pl.col("lof_transcript")).fill_null(False),
        (pl.col("transcript_ann") == pl.col("transcript")).fill_null(False),
        pl.col("mane_select"),
        pl.col("mane_clinical"),
    ]
    return (
        joined.filter(same_gene)
        .sort(
            ["row", "hgnc_id", "moi", *preference, "_rank", "entry"],
            descending=[False, False, False, True, True, True, True, False, False],
        )
        .group_by("row", "hgnc_id", "moi", maintain_order=True)
        .first()
        .select(
            "row",
            "hgnc_id",
            "moi",
            "ann_consequence",
            pl.col("transcript_ann").alias("ann_transcript"),
            "hgvsc",
            "hgvsp",
        )
    )


def _af_below_caps(calls: pl.DataFrame, s: RuleSettings) -> pl.Expr:
    """Every population AF present is below its cap for the gene's mode (absent: not observed)."""
    ok = pl.lit(True)
    for pop in s.population_af_fields:
        column = f"af_{pop}"
        if column not in calls.columns:
            continue
        cap = _cap_expr(pop, s)
        ok &= pl.col(column).is_null() | (pl.col(column) < cap)
    return ok


def _cap_expr(pop: str, s: RuleSettings) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, pl.Float64)
    for moi in Moi:
        caps = s.lof_af_caps.get(moi.value, s.lof_af_caps.get(moi, {}))
        cap = caps.get(pop, caps.get("default"))
        if cap is not None:
            expr = pl.when(pl.col("moi") == moi.value).then(pl.lit(cap)).otherwise(expr)
    return expr


def lof_evaluable(ctx: RouteContext) -> str | None:
    """Why the LoF route cannot be evaluated for this VCF, or None when it can."""
    if ctx.facts.annotation is None:
        return (
            "loss-of-function route not evaluated: the VCF has no consequence annotation "
            "(VEP CSQ, SnpEff ANN or bcftools BCSQ)"
        )
    fields = set(ctx.panel.settings.population_af_fields.values())
    if not fields & set(ctx.facts.info_fields):
        return (
            "loss-of-function route not evaluated: none of the population allele-frequency INFO "
            f"fields of the panel settings ({', '.join(sorted(fields))}) is in the VCF header"
        )
    return None


def sites_of_interest(
    panel: PanelVersion, clinvar: ClinVarSnapshot | None, lof_evaluated: bool
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Positions and text terms that a record must show to pass any inclusion route: curated and
    ClinVar positions, and loss-of-function consequence terms (also in bcftools' short spelling,
    e.g. ``frameshift`` for ``frameshift_variant``). A superset of what the routes accept, used to
    skip parsing the many records that cannot qualify."""
    frames = [_variants_frame(panel.include, "hgnc_id").select("chrom", "pos")]
    if clinvar is not None:
        frames.append(clinvar.records.select("chrom", pl.col("pos").cast(pl.Int64)))
    terms: tuple[str, ...] = ()
    if lof_evaluated and any(g.lof_mechanism for g in panel.active_genes):
        lof = (*panel.settings.lof_consequences, *panel.settings.lof_sv_consequences)
        terms = tuple(sorted({t.removesuffix("_variant") for t in lof}))
    return pl.concat(frames).unique(), terms


def route_candidates(calls: pl.DataFrame, annotations: pl.DataFrame, ctx: RouteContext) -> pl.DataFrame:
    """One row per (call, gene entry) passing >= 1 inclusion route (or a ClinVar match common in the
    cohort), with route flags, ClinVar evidence, LoF consequence and exclusion reason, joined to the
    call's columns. Sorted deterministically."""
    assigned = assign_genes(calls, genes_frame(ctx.panel))
    curated = curated_hits(calls, ctx.panel)
    clinvar = clinvar_hits(calls, ctx)
    frame = assigned.join(curated, on=["row", "hgnc_id"], how="left").join(clinvar, on="row", how="left")
    lof = None
    if lof_evaluable(ctx) is None and annotations.height:
        lof = lof_hits(calls, annotations, assigned, ctx.panel.settings)
        frame = frame.join(lof, on=["row", "hgnc_id", "moi"], how="left")
    else:
        frame = frame.with_columns(
            lof_consequence=pl.lit(None, pl.String),
            lof_transcript=pl.lit(None, pl.String),
            lof=pl.lit(None, pl.Boolean),
        )
    frame = frame.with_columns(
        pl.col("curated", "clinvar", "lof", "common_in_cohort").fill_null(False)
    ).filter(pl.col("curated") | pl.col("clinvar") | pl.col("lof") | pl.col("common_in_cohort"))
    candidate_rows = frame.select("row").unique()  # the evidence is chosen for the few candidates only
    shown = shown_annotation(
        annotations.join(candidate_rows, on="row"), assigned.join(candidate_rows, on="row"), lof
    )
    frame = frame.join(shown, on=["row", "hgnc_id", "moi"], how="left")
    frame = frame.join(
        excluded_hits(calls, ctx.panel).select("row", "exclusion_reason"), on="row", how="left"
    )
    return frame.join(calls, on="row").sort("chrom", "pos", "ref", "alt", "hgnc_id", "moi")


def quality_failures(call: dict, zyg: Zygosity, s: RuleSettings, format_fields: frozenset[str]) -> list[str]:
    """Why a call fails call quality (§3.4); empty when it passes.

    A FORMAT field absent from the header is not evaluated (the result says so once); a field declared
    but missing in this call fails the check: a missing value is never a pass by accident. A
    sample-level filter (FORMAT/FT) other than PASS fails. Symbolic SVs are judged on FILTER, FT and
    GQ: their depth and allele balance are not read depths of the allele (SV callers report
    paired/split-read support instead).
    """
    failures = [] if call["filter"] == "PASS" else [f"FILTER {call['filter']}"]
    if call.get("ft"):
        failures.append(f"FT {call['ft']}")
    symbolic = bool(call.get("symbolic"))
    for name, key, minimum in (("GQ", "gq", s.min_gq), ("DP", "dp", s.min_dp)):
        if name not in format_fields or (symbolic and name == "DP"):
            continue
        value = call[key]
        if value is None:
            failures.append(f"{name} missing")
        elif value < minimum:
            failures.append(f"{name} {value} < {minimum}")
    if "AD" in format_fields and not symbolic:
        failures.extend(_allele_balance_failures(call, zyg, s))
    return failures


def allele_balance(call: dict) -> float | None:
    total, alt = call["ad_total"], call["ad_alt"]
    if total is None or alt is None or total <= 0:
        return None
    return alt / total


def _allele_balance_failures(call: dict, zyg: Zygosity, s: RuleSettings) -> list[str]:
    ab = allele_balance(call)
    if ab is None:
        return ["AD missing"]
    if zyg is Zygosity.HET and not s.het_ab_min <= ab <= s.het_ab_max:
        return [f"heterozygous allele balance {ab:.2f} outside {s.het_ab_min}-{s.het_ab_max}"]
    if zyg is not Zygosity.HET and ab < s.hom_ab_min:
        return [f"{zyg.value} allele balance {ab:.2f} < {s.hom_ab_min}"]
    return []


def format_notes(facts: VcfFacts) -> list[str]:
    """Call-quality checks that cannot be evaluated because the header lacks the FORMAT field."""
    return [
        f"call quality: {name} not evaluated (FORMAT {name} not declared in the VCF header)"
        for name in ("GQ", "DP", "AD")
        if name not in facts.format_fields
    ]
