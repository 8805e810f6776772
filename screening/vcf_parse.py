"""Vectorised parsing of VCF record text into the calls and annotation frames (polars, no I/O).

``vcf.py`` fetches the text of the records in the panel regions through the index; this module turns
it into the frames the rules read, checking every value on the way: a malformed value is a
``VcfError`` naming the file and position, never a silently dropped call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from screening import annotations as ann
from screening.errors import VcfError

CALLS_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "chrom": pl.String(),
    "pos": pl.Int64(),
    "ref": pl.String(),
    "alt": pl.String(),
    "end": pl.Int64(),
    "filter": pl.String(),
    "gt": pl.String(),
    "alt_copies": pl.Int8(),
    "ploidy": pl.Int8(),
    "phased": pl.Boolean(),
    "phase_set": pl.String(),
    "phase_hap": pl.Int8(),
    "gq": pl.Int32(),
    "dp": pl.Int32(),
    "ad_ref": pl.Int32(),
    "ad_alt": pl.Int32(),
    "ad_total": pl.Int32(),
}


@dataclass(frozen=True)
class SiteFilter:
    """Records worth parsing: at a listed (canonical chrom, pos), or whose text contains a term.

    A cheap text test before the full parse: the screen only needs records that can pass an
    inclusion route (curated or ClinVar positions, loss-of-function consequence terms). It must be a
    superset of what the routes accept; ``screen.sites_of_interest`` builds it from the panel.
    """

    positions: pl.DataFrame  # chrom (canonical), pos: unique
    terms: tuple[str, ...] = ()


_MISSING = ("", ".")
GT_KEYS = ("GT", "GQ", "DP", "AD", "PS", "PGT", "PID")


@dataclass(frozen=True)
class ParsePlan:
    """How to parse the records of one VCF for one sample (built from its header by ``vcf.py``)."""

    path: str
    sample_column: int  # index of the sample in the tab-split record
    fmt: ann.AnnotationFormat | None
    has: frozenset[str]  # FORMAT fields declared among GQ DP AD PS PGT PID
    af_specs: tuple[tuple[str, str] | None, ...]  # per population: (INFO field, Number) or None
    af_pops: tuple[str, ...]


def of_interest(frame: pl.DataFrame, sites: SiteFilter | None) -> pl.DataFrame:
    """Keep the records ``sites`` names; a record whose POS does not parse is kept (the parser then
    reports it)."""
    if sites is None:
        return frame
    pos = pl.col("line").str.splitn("\t", 3).struct.field("field_1").cast(pl.Int64, strict=False)
    listed = sites.positions.select("chrom", pl.col("pos").alias("_pos"), _listed=pl.lit(True))
    marked = frame.with_columns(_pos=pos).join(
        listed, on=["chrom", "_pos"], how="left", maintain_order="left"
    )
    keep = pl.col("_listed").fill_null(False) | pl.col("_pos").is_null()
    if sites.terms:
        keep = keep | pl.col("line").str.contains_any(list(sites.terms))
    return marked.filter(keep).select(frame.columns)


def _nulled(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_in(list(_MISSING))).then(None).otherwise(expr)


def _first_bad(frame: pl.DataFrame, checks: Mapping[str, pl.Expr], path: str) -> None:
    """Raise naming the first record where a check (True = malformed) holds."""
    flags = frame.select(
        pl.col("chrom"), pl.col("_pos_text"), **{k: v.fill_null(False) for k, v in checks.items()}
    )
    for name in checks:
        bad = flags.filter(pl.col(name))
        if bad.height:
            chrom, pos = bad.row(0)[:2]
            raise VcfError(path, f"{chrom}:{pos}: {name}")


def _format_value(frame: pl.DataFrame, key: str) -> pl.Expr:
    """The sample's value for one FORMAT key (null when absent or '.')."""
    index = {
        fmt: fmt.split(":").index(key) for fmt in frame["_fmt"].unique().to_list() if key in fmt.split(":")
    }
    position = pl.col("_fmt").replace_strict(index, default=None, return_dtype=pl.Int64)
    return _nulled(pl.col("_vals").list.get(position, null_on_oob=True)).alias(key)


def split_columns(text: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    n = plan.sample_column + 2
    fields = text.with_columns(pl.col("line").str.splitn("\t", n).alias("_f")).unnest("_f")
    f = [pl.col(f"field_{i}") for i in range(n)]
    out = fields.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("rec"),
        "chrom",
        f[1].alias("_pos_text"),
        f[1].cast(pl.Int64, strict=False).alias("pos"),
        f[3].alias("ref"),
        f[4].str.split(",").alias("alts"),
        pl.when(f[6].is_in(["PASS", "."])).then(pl.lit("PASS")).otherwise(f[6]).alias("filter"),
        f[7].alias("_info"),
        f[8].alias("_fmt"),
        f[plan.sample_column].str.split(":").alias("_vals"),
    )
    _first_bad(
        out,
        {
            "POS is not an integer": pl.col("pos").is_null(),
            "the record has fewer columns than the header (sample column missing)": pl.col("_vals").is_null(),
        },
        plan.path,
    )
    return out


def _int_checked(name: str) -> tuple[pl.Expr, pl.Expr]:
    value = pl.col(name).cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False)
    return value, pl.col(name).is_not_null() & value.is_null()


def gt_columns(frame: pl.DataFrame, path: str) -> pl.DataFrame:
    """From the sample's GT: ploidy, allele indices a0/a1 (null when '.') and '|' phasing."""
    frame = frame.with_columns(_format_value(frame, "GT"))
    parts = pl.col("GT").str.replace_all("|", "/", literal=True).str.split("/")
    raw0 = _nulled(parts.list.get(0, null_on_oob=True))
    raw1 = _nulled(parts.list.get(1, null_on_oob=True))
    a0, a1 = raw0.cast(pl.Int64, strict=False), raw1.cast(pl.Int64, strict=False)
    ploidy = parts.list.len().fill_null(0)
    pipe = pl.col("GT").str.contains("|", literal=True) & ~pl.col("GT").str.contains("/", literal=True)
    frame = frame.with_columns(
        ploidy.alias("ploidy"),
        a0.alias("a0"),
        a1.alias("a1"),
        (pipe.fill_null(False) & (ploidy == 2)).alias("_pipe"),
        ((raw0.is_not_null() & a0.is_null()) | (raw1.is_not_null() & a1.is_null())).alias("_bad_gt"),
    )
    checks = {
        "malformed GT": pl.col("_bad_gt"),
        "GT with more than two alleles is not supported": pl.col("ploidy") > 2,
    }
    _first_bad(frame, checks, path)
    return frame


def _genotype_columns(frame: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    """GT alleles (a0, a1), ploidy, phase (GT '|' with PS, else GATK PGT/PID), GQ, DP and AD."""
    frame = gt_columns(frame, plan.path)
    frame = frame.with_columns(_format_value(frame, key) for key in GT_KEYS if key != "GT")
    pgt = pl.col("PGT").str.split("|")
    ad = pl.col("AD").str.split(",").list.eval(_nulled(pl.element()).cast(pl.Int64, strict=False))
    frame = frame.with_columns(
        pgt.list.get(0, null_on_oob=True).cast(pl.Int64, strict=False).alias("_p0"),
        pgt.list.get(1, null_on_oob=True).cast(pl.Int64, strict=False).alias("_p1"),
        ad.alias("_ad"),
    )
    gq, gq_bad = _int_checked("GQ")
    dp, dp_bad = _int_checked("DP")
    pipe = pl.col("_pipe")
    use_pgt = ~pipe & (pl.col("ploidy") == 2) & pl.col("PGT").str.contains("|", literal=True).fill_null(False)
    use_pgt = use_pgt & pl.col("PID").is_not_null()
    ad_tokens = pl.col("AD").str.count_matches(",") + 1
    checks = {
        "malformed GQ": gq_bad,
        "malformed DP": dp_bad,
        "malformed AD": pl.col("AD").is_not_null()
        & (ad_tokens != pl.col("_ad").list.drop_nulls().list.len())
        & ~pl.col("AD").str.contains(r"(^|,)\.(,|$)"),
    }
    _first_bad(frame, checks, plan.path)
    ad_present = pl.col("_ad").list.drop_nulls()
    return frame.with_columns(
        (pipe | use_pgt).alias("phased"),
        pl.when(pipe).then(pl.col("PS")).when(use_pgt).then(pl.col("PID")).alias("phase_set"),
        pl.when(pipe).then(pl.col("a0")).when(use_pgt).then(pl.col("_p0")).alias("_h0"),
        pl.when(pipe).then(pl.col("a1")).when(use_pgt).then(pl.col("_p1")).alias("_h1"),
        gq.alias("gq") if "GQ" in plan.has else pl.lit(None, dtype=pl.Int64).alias("gq"),
        dp.alias("dp") if "DP" in plan.has else pl.lit(None, dtype=pl.Int64).alias("dp"),
        pl.when(ad_present.list.len() > 0).then(ad_present.list.sum()).alias("ad_total"),
    )


def _info_values(records: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """(rec, _info_<key>...) raw INFO values of the wanted keys (null when absent), read once per
    record before the ALT split; literal splits, much faster than a regex."""
    info = records.select("rec", (pl.lit(";") + pl.col("_info")).alias("_sc"))
    value = [
        pl.col("_sc")
        .str.splitn(f";{k}=", 2)
        .struct.field("field_1")
        .str.splitn(";", 2)
        .struct.field("field_0")
        for k in keys
    ]
    return info.select("rec", *[v.alias(f"_info_{k}") for v, k in zip(value, keys, strict=True)])


def _af_expr(field: str, number: str, pop: str) -> tuple[pl.Expr, pl.Expr]:
    values = pl.col(f"_info_{field}").str.split(",")
    allele = pl.col("allele_num")
    if number == "R":
        index = allele
    elif number == "A":
        index = allele - 1
    else:
        index = pl.when(values.list.len() == 1).then(0).otherwise(allele - 1)
    text = _nulled(values.list.get(index, null_on_oob=True))
    value = text.cast(pl.Float64, strict=False)
    return value.alias(f"af_{pop}"), text.is_not_null() & value.is_null()


def _vep_key() -> pl.Expr:
    """VEP's allele text per ALT row (see annotations.vep_alleles), over all ALTs of the record."""
    alt, ref = pl.col("alt"), pl.col("ref")
    star = alt.str.contains("*", literal=True)
    indel = (alt.str.len_chars() != ref.str.len_chars()).any().over("rec")
    same_first = ((alt.str.slice(0, 1) == ref.str.slice(0, 1)) | star).all().over("rec")
    trimmed = alt.str.slice(1)
    trimmed = pl.when(trimmed == "").then(pl.lit("-")).otherwise(trimmed)
    return pl.when(indel & same_first & ~star).then(trimmed).otherwise(alt).alias("key")


def _alt_rows(frame: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    """One row per carried ALT, with per-allele copies, phase haplotype, AD and AF."""
    frame = frame.filter((pl.col("a0") > 0) | (pl.col("a1") > 0))
    n_alts = pl.col("alts").list.len()
    too_high = pl.max_horizontal("a0", "a1") > n_alts
    _first_bad(frame, {"GT names an ALT allele the record does not have": too_high}, plan.path)
    keys = [spec[0] for spec in plan.af_specs if spec] + ([plan.fmt.tag] if plan.fmt else [])
    frame = frame.join(_info_values(frame, list(dict.fromkeys(keys))), on="rec", how="left")
    rows = frame.with_columns(pl.int_ranges(1, n_alts + 1).alias("allele_num")).explode(
        ["alts", "allele_num"]
    )
    k = pl.col("allele_num")
    copies = (pl.col("a0") == k).fill_null(False).cast(pl.Int8) + (pl.col("a1") == k).fill_null(False).cast(
        pl.Int8
    )
    hap = pl.when(pl.col("_h0") == k).then(0).when(pl.col("_h1") == k).then(1)
    rows = rows.rename({"alts": "alt"}).with_columns(
        copies.alias("alt_copies"),
        pl.when(pl.col("phased") & (copies == 1)).then(hap).alias("phase_hap"),
        pl.col("_ad").list.get(0, null_on_oob=True).alias("ad_ref"),
        pl.col("_ad").list.get(k, null_on_oob=True).alias("ad_alt"),
        _vep_key() if plan.fmt is not None and plan.fmt.tag == ann.CSQ else pl.col("alt").alias("key"),
    )
    afs = [
        _af_expr(spec[0], spec[1], pop) for pop, spec in zip(plan.af_pops, plan.af_specs, strict=True) if spec
    ]
    rows = rows.with_columns(value for value, _ in afs)
    _first_bad(rows, {f"malformed {v.meta.output_name()}": bad for v, bad in afs}, plan.path)
    symbolic = pl.col("alt").str.starts_with("<") | pl.col("alt").is_in(["*", "."])
    return rows.filter((pl.col("alt_copies") > 0) & ~symbolic)


def calls_frames(text: pl.DataFrame, plan: ParsePlan) -> tuple[pl.DataFrame, pl.DataFrame]:
    records = _genotype_columns(split_columns(text, plan), plan)
    rows = _alt_rows(records, plan).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    af_columns = [
        pl.col(f"af_{pop}") if spec else pl.lit(None, dtype=pl.Float64).alias(f"af_{pop}")
        for pop, spec in zip(plan.af_pops, plan.af_specs, strict=True)
    ]
    calls = rows.select(
        "row", "chrom", "pos", "ref", "alt",
        (pl.col("pos") + pl.col("ref").str.len_chars() - 1).alias("end"),
        "filter", pl.col("GT").alias("gt"), "alt_copies", "ploidy", "phased", "phase_set", "phase_hap",
        "gq", "dp", "ad_ref", "ad_alt", "ad_total", *af_columns,
    ).cast(CALLS_SCHEMA)  # type: ignore[arg-type]  # fmt: skip
    if plan.fmt is None:
        return calls, ann.annotation_frame(None, pl.DataFrame(), pl.DataFrame())
    raw = rows.select("rec", pl.col(f"_info_{plan.fmt.tag}").alias("raw")).filter(
        pl.col("raw").is_not_null() & ~pl.col("raw").is_in(list(_MISSING))
    )
    annotated = raw.unique("rec", maintain_order=True)
    alleles = rows.join(annotated.select("rec"), on="rec", how="semi").select(
        "rec", "allele_num", "key", "row"
    )
    return calls, ann.annotation_frame(plan.fmt, annotated, alleles)
