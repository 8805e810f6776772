"""Vectorised parsing of VCF record text into the calls and annotation frames (polars, no I/O).

``vcf.py`` fetches the text of the records in the panel regions through the index; this module turns
it into the frames the rules read, checking every value on the way: a malformed value is a
``VcfError`` naming the file and position, never a silently dropped call.

The frames are small (the few hundred records that can pass an inclusion route), so the steps are
chained lazily and collected where a check must raise or a value decides the next step's plan: a
collect per operation would cost more (thread-pool wake-ups) than the work itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from screening import alleles
from screening import annotations as ann
from screening.alleles import Fetch
from screening.annotations import IN_MEMORY
from screening.domain import N_, Reason
from screening.errors import VcfRecordError

CALLS_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "chrom": pl.String(),
    "pos": pl.Int64(),
    "ref": pl.String(),
    "alt": pl.String(),
    "end": pl.Int64(),
    "filter": pl.String(),
    "ft": pl.String(),
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
    "symbolic": pl.Boolean(),
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
GT_KEYS = ("GT", "GQ", "DP", "AD", "PS", "PGT", "PID", "FT")
NON_NEGATIVE = ("GQ", "DP", "AD")
# Symbolic structural variants read by their span (screening-rules §3.5), with the allele text VEP
# writes for them in CSQ ``Allele`` (its SO class term). Other symbolic alleles (``<NON_REF>``,
# ``<*>``), ``*`` (spanning deletion) and breakends carry no sequence change of their own here.
SV_ALLELES = {
    "<DEL>": "deletion",
    "<DUP>": "duplication",
    "<DUP:TANDEM>": "tandem_duplication",
    "<INV>": "inversion",
    "<CNV>": "copy_number_variation",
}


@dataclass(frozen=True)
class ParsePlan:
    """How to parse the records of one VCF for one sample (built from its header by ``vcf.py``)."""

    path: str
    sample_column: int  # index of the sample in the tab-split record
    fmt: ann.AnnotationFormat | None
    has: frozenset[str]  # FORMAT fields declared among GT_KEYS
    af_specs: tuple[tuple[str, str] | None, ...]  # per population: (INFO field, Number) or None
    af_pops: tuple[str, ...]
    formats: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # FORMAT ID -> (Number, Type)
    filters: frozenset[str] = frozenset()  # FILTER IDs declared in the header
    fetch: Fetch | None = None  # reference bases, for left-aligning indels (None: assumed)


# A record whose REF is one base and whose ALTs are single bases (or ``*``): its position cannot move
# when it is normalised, so the exact-position test applies. Every other record (indels, MNPs, padded
# multi-allelic records, symbolic SVs) may normalise onto a listed site and is always parsed.
_SNV_ONLY = r"^[^\t]*\t[^\t]*\t[^\t]*\t[ACGTNacgtn]\t[ACGTNacgtn*](,[ACGTNacgtn*])*(\t|$)"


def of_interest(frame: pl.DataFrame, sites: SiteFilter | None) -> pl.DataFrame:
    """Keep the records ``sites`` names, plus every record that is not a plain SNV (it may normalise
    onto a listed site) and every record whose POS does not parse (the parser then reports it).
    Adds ``listed``: the record is at a listed site or shows a listed term."""
    if sites is None:
        return frame.with_columns(listed=pl.lit(True))
    pos = pl.col("line").str.split_exact("\t", 1).struct.field("field_1").cast(pl.Int64, strict=False)
    marked = frame.lazy().with_columns(_pos=pos)
    hit = _at_listed_position(sites.positions)
    if sites.terms:  # one regex of literal alternatives: ~15x faster here than ``str.contains_any``
        hit = hit | pl.col("line").str.contains("|".join(re.escape(t) for t in sites.terms))
    keep = hit | pl.col("_pos").is_null() | ~pl.col("line").str.contains(_SNV_ONLY)
    return marked.filter(keep).select(*frame.columns, hit.alias("listed")).collect(engine=IN_MEMORY)


_POS_BITS = 32  # positions below 2**32 (every chromosome's); (contig, pos) packed into one integer


def _at_listed_position(positions: pl.DataFrame) -> pl.Expr:
    """``chrom``/``_pos`` is one of the (chrom, pos) ``positions``: a membership test on one packed
    integer per record (cheaper than a join of every record against the list)."""
    codes = {chrom: i for i, chrom in enumerate(positions["chrom"].unique().sort().to_list())}

    def packed(chrom: pl.Expr, pos: pl.Expr) -> pl.Expr:
        return chrom.replace_strict(codes, default=None, return_dtype=pl.Int64) * (1 << _POS_BITS) + pos

    listed = positions.select(packed(pl.col("chrom"), pl.col("pos").cast(pl.Int64))).to_series()
    in_range = pl.col("_pos").is_between(1, (1 << _POS_BITS) - 1)
    return (in_range & packed(pl.col("chrom"), pl.col("_pos")).is_in(listed.implode())).fill_null(False)


def _nulled(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_in(list(_MISSING))).then(None).otherwise(expr)


def _first_bad(
    frame: pl.DataFrame, checks: Mapping[str, pl.Expr], path: str, columns: Sequence[pl.Expr] = ()
) -> None:
    """Raise naming the first record (in file order) where a check (True = malformed) holds;
    ``columns``: what the checks read, computed once before them."""
    if not checks or frame.height == 0:
        return
    flags = (
        frame.lazy()
        .with_columns(columns)
        .select("rec", "chrom", "_pos_text", **{k: v.fill_null(False) for k, v in checks.items()})
        .filter(pl.any_horizontal(list(checks)))
        .collect(engine=IN_MEMORY)
    )
    if flags.height:
        first = flags.sort("rec").row(0, named=True)
        problem = next(name for name in checks if first[name])
        raise VcfRecordError(path, first["chrom"], first["_pos_text"], problem)


def formats_of(frame: pl.DataFrame) -> list[str]:
    """The distinct FORMAT columns of the records (each record's FORMAT keys, as written)."""
    return frame["_fmt"].drop_nulls().unique().to_list()


def _format_index(formats: Sequence[str], key: str) -> pl.Expr:
    """Position of one FORMAT key in each record's FORMAT column (null when the key is absent);
    ``formats``: the distinct FORMAT columns of the frame (``formats_of``)."""
    index = {fmt: fmt.split(":").index(key) for fmt in formats if key in fmt.split(":")}
    return pl.col("_fmt").replace_strict(index, default=None, return_dtype=pl.Int64)


def _raw_format_value(formats: Sequence[str], key: str) -> pl.Expr:
    """The sample's text for one FORMAT key, as written (null when the key is absent)."""
    return pl.col("_vals").list.get(_format_index(formats, key), null_on_oob=True)


def _format_value(formats: Sequence[str], key: str) -> pl.Expr:
    """The sample's value for one FORMAT key (null when absent or '.')."""
    return _nulled(_raw_format_value(formats, key)).alias(key)


_ALT_OK = r"^([ACGTNacgtn]+|\*|\.|<[^<>]+>|.*[\[\]].*)$"


def split_columns(text: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    """The columns of each record, checked: POS, the sample column, REF/ALT bases, FILTER declared."""
    n = plan.sample_column + 2
    fields = text.lazy().with_columns(pl.col("line").str.splitn("\t", n).alias("_f")).unnest("_f")
    f = [pl.col(f"field_{i}") for i in range(n)]
    listed = pl.col("listed") if "listed" in text.columns else pl.lit(True)
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
        f[plan.sample_column].str.strip_chars_end("\r\n").str.split(":").alias("_vals"),
        listed.alias("listed"),
    ).collect(engine=IN_MEMORY)
    undeclared = (
        pl.col("filter").str.split(";").list.eval(~pl.element().is_in(["PASS", *sorted(plan.filters)]))
    )
    checks = {
        "POS is not a positive integer": pl.col("pos").is_null() | (pl.col("pos") < 1),
        "the record has fewer columns than the header (sample column missing)": pl.col("_vals").is_null(),
        "REF is not a sequence of bases": ~pl.col("ref").str.contains(r"^[ACGTNacgtn]+$"),
        "ALT is empty or not bases, '*', '.', <SYMBOLIC> or a breakend": pl.col("alts")
        .list.eval(~pl.element().str.contains(_ALT_OK))
        .list.any(),
        "FILTER names a filter not declared in the header (##FILTER); FILTER is case-sensitive": (
            undeclared.list.any()
        ),
    }
    _first_bad(out, checks, plan.path)
    return out


def gt_columns(frame: pl.DataFrame, path: str, formats: Sequence[str] | None = None) -> pl.DataFrame:
    """From the sample's GT: ploidy, allele indices a0/a1 (null when '.') and '|' phasing.
    ``formats``: the frame's distinct FORMAT columns when the caller has them (``formats_of``)."""
    formats = formats_of(frame) if formats is None else formats
    lazy = frame.lazy().with_columns(_raw_format_value(formats, "GT").alias("_gt_raw"))
    lazy = lazy.with_columns(_nulled(pl.col("_gt_raw")).alias("GT"))
    parts = pl.col("GT").str.replace_all("|", "/", literal=True).str.split("/")
    raw0 = _nulled(parts.list.get(0, null_on_oob=True))
    raw1 = _nulled(parts.list.get(1, null_on_oob=True))
    a0, a1 = raw0.cast(pl.Int64, strict=False), raw1.cast(pl.Int64, strict=False)
    ploidy = parts.list.len().fill_null(0)
    pipe = pl.col("GT").str.contains("|", literal=True) & ~pl.col("GT").str.contains("/", literal=True)
    frame = lazy.with_columns(
        ploidy.alias("ploidy"),
        a0.alias("a0"),
        a1.alias("a1"),
        (pipe.fill_null(False) & (ploidy == 2)).alias("_pipe"),
        ((raw0.is_not_null() & a0.is_null()) | (raw1.is_not_null() & a1.is_null())).alias("_bad_gt"),
    ).collect(engine=IN_MEMORY)
    checks = {
        "the sample has no GT (FORMAT lacks GT)": pl.col("_gt_raw").is_null(),
        "empty GT": pl.col("_gt_raw") == "",
        "malformed GT": pl.col("_bad_gt") | (pl.col("a0") < 0) | (pl.col("a1") < 0),
        "GT with more than two alleles is not supported": pl.col("ploidy") > 2,
    }
    _first_bad(frame, checks, path)
    return frame


def _expected_count(number: str) -> pl.Expr | None:
    """How many comma-separated values a FORMAT field of this Number holds (None: any)."""
    n_alts = pl.col("alts").list.len()
    if number == "A":
        return n_alts
    if number == "R":
        return n_alts + 1
    if number == "G":
        alleles = n_alts + 1
        return pl.when(pl.col("ploidy") == 1).then(alleles).otherwise(alleles * (alleles + 1) // 2)
    if number.isdigit():
        return pl.lit(int(number))
    return None


def _value_checks(frame: pl.DataFrame, plan: ParsePlan) -> tuple[list[pl.Expr], dict[str, pl.Expr]]:
    """Each FORMAT value of the sample against its header declaration: the number of values for
    Number=A/R/G/n, the Type (Integer, Float), and no negative depth or quality. Returns the columns
    the checks read (each key's values, split once) and the checks."""
    formats = formats_of(frame)
    keys = sorted({k for fmt in formats for k in fmt.split(":")})
    columns: list[pl.Expr] = []
    checks: dict[str, pl.Expr] = {}
    for key in keys:
        if key == "GT" or key not in plan.formats:
            continue
        number, kind = plan.formats[key]
        columns.append(_format_value(formats, key).str.split(",").alias(f"_tokens_{key}"))
        tokens = pl.col(f"_tokens_{key}")
        expected = _expected_count(number)
        if expected is not None:
            checks[f"FORMAT {key} has the wrong number of values (Number={number})"] = (
                tokens.list.len() != expected
            )
        cast = {"Integer": pl.Int64, "Float": pl.Float64}.get(kind)
        if cast is not None:
            bad = tokens.list.eval(
                (pl.element() != ".") & pl.element().str.strip_chars().cast(cast, strict=False).is_null()
            )
            checks[f"FORMAT {key} is not {kind} as declared"] = bad.list.any()
            if key in NON_NEGATIVE:
                negative = tokens.list.eval(pl.element().cast(pl.Float64, strict=False) < 0)
                checks[f"FORMAT {key} is negative"] = negative.list.any()
    return columns, checks


def _genotype_columns(frame: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    """GT alleles (a0, a1), ploidy, phase (GT '|' with PS, else GATK PGT/PID), GQ, DP, AD and FT."""
    formats = formats_of(frame)
    frame = gt_columns(frame, plan.path, formats)
    carried = frame.filter((pl.col("a0") > 0) | (pl.col("a1") > 0))
    too_high = pl.max_horizontal("a0", "a1") > pl.col("alts").list.len()
    _first_bad(carried, {"GT names an ALT allele the record does not have": too_high}, plan.path)
    # a record the sample carries no ALT of cannot become a call: its other values are not read
    columns, checks = _value_checks(carried, plan)
    _first_bad(carried, checks, plan.path, columns)
    lazy = frame.lazy().with_columns(_format_value(formats, key) for key in GT_KEYS if key != "GT")
    pgt = pl.col("PGT").str.split("|")
    ad = pl.col("AD").str.split(",").list.eval(_nulled(pl.element()).cast(pl.Int64, strict=False))
    lazy = lazy.with_columns(
        pgt.list.get(0, null_on_oob=True).cast(pl.Int64, strict=False).alias("_p0"),
        pgt.list.get(1, null_on_oob=True).cast(pl.Int64, strict=False).alias("_p1"),
        ad.alias("_ad"),
    )
    pipe = pl.col("_pipe")
    use_pgt = ~pipe & (pl.col("ploidy") == 2) & pl.col("PGT").str.contains("|", literal=True).fill_null(False)
    use_pgt = use_pgt & pl.col("PID").is_not_null()
    ad_present = pl.col("_ad").list.drop_nulls()
    gq = pl.col("GQ").cast(pl.Float64, strict=False).floor().cast(pl.Int64)
    dp = pl.col("DP").cast(pl.Float64, strict=False).floor().cast(pl.Int64)
    return lazy.with_columns(
        (pipe | use_pgt).alias("phased"),
        pl.when(pipe).then(pl.col("PS")).when(use_pgt).then(pl.col("PID")).alias("phase_set"),
        pl.when(pipe).then(pl.col("a0")).when(use_pgt).then(pl.col("_p0")).alias("_h0"),
        pl.when(pipe).then(pl.col("a1")).when(use_pgt).then(pl.col("_p1")).alias("_h1"),
        gq.alias("gq") if "GQ" in plan.has else pl.lit(None, dtype=pl.Int64).alias("gq"),
        dp.alias("dp") if "DP" in plan.has else pl.lit(None, dtype=pl.Int64).alias("dp"),
        pl.when(ad_present.list.len() > 0).then(ad_present.list.sum()).alias("ad_total"),
        pl.when(pl.col("FT") != "PASS").then(pl.col("FT")).alias("ft")
        if "FT" in plan.has
        else pl.lit(None, dtype=pl.String).alias("ft"),
    ).collect(engine=IN_MEMORY)


def _info_values(keys: Sequence[str]) -> list[pl.Expr]:
    """``_info_<key>``: the raw INFO value of each wanted key (null when absent), read once per record
    before the ALT split; literal splits, much faster than a regex."""
    sc = pl.lit(";") + pl.col("_info")
    return [
        sc.str.splitn(f";{k}=", 2)
        .struct.field("field_1")
        .str.splitn(";", 2)
        .struct.field("field_0")
        .alias(f"_info_{k}")
        for k in keys
    ]


def _af_expr(field: str, number: str, pop: str) -> tuple[pl.Expr, pl.Expr]:
    """A population AF per ALT row, and when it is malformed: a value that is not a number, or, for
    Number=A/R, a count of values other than one per ALT / per allele (which would shift them)."""
    values = pl.col(f"_info_{field}").str.split(",")
    allele = pl.col("allele_num")
    n_alts = pl.col("n_alts")
    wrong_count = pl.lit(False)
    if number == "R":
        index, wrong_count = allele, values.list.len() != n_alts + 1
    elif number == "A":
        index, wrong_count = allele - 1, values.list.len() != n_alts
    else:
        index = pl.when(values.list.len() == 1).then(0).otherwise(allele - 1)
    text = _nulled(values.list.get(index, null_on_oob=True))
    value = text.cast(pl.Float64, strict=False)
    present = pl.col(f"_info_{field}").is_not_null()
    return value.alias(f"af_{pop}"), (text.is_not_null() & value.is_null()) | (present & wrong_count)


def _vep_key() -> pl.Expr:
    """VEP's allele text per ALT row (see annotations.vep_alleles), over all ALTs of the record;
    a symbolic SV is named by its class (``deletion`` for ``<DEL>``)."""
    alt, ref = pl.col("alt"), pl.col("ref")
    star = alt.str.contains("*", literal=True)
    symbolic = alt.str.starts_with("<")
    indel = ((alt.str.len_chars() != ref.str.len_chars()) & ~symbolic).any().over("rec")
    same_first = ((alt.str.slice(0, 1) == ref.str.slice(0, 1)) | star | symbolic).all().over("rec")
    trimmed = alt.str.slice(1)
    trimmed = pl.when(trimmed == "").then(pl.lit("-")).otherwise(trimmed)
    return (
        pl.when(symbolic)
        .then(alt.replace(SV_ALLELES))
        .when(indel & same_first & ~star)
        .then(trimmed)
        .otherwise(alt)
        .alias("key")
    )


def _specs(plan: ParsePlan) -> list[tuple[str, str]]:
    return [spec for spec in plan.af_specs if spec]


def _sv_end() -> pl.Expr:
    """Where a symbolic SV ends: INFO END, else POS + |SVLEN| (first value); null when neither."""
    end = pl.col("_info_END").cast(pl.Int64, strict=False)
    svlen = pl.col("_info_SVLEN").str.split(",").list.get(0, null_on_oob=True).cast(pl.Int64, strict=False)
    return pl.coalesce(end, pl.col("pos") + svlen.abs())


def _alt_rows(frame: pl.DataFrame, plan: ParsePlan) -> pl.DataFrame:
    """One row per carried ALT, with per-allele copies, phase haplotype, AD, AF and, for symbolic
    SVs, their span."""
    n_alts = pl.col("alts").list.len()
    keys = [spec[0] for spec in plan.af_specs if spec] + ([plan.fmt.tag] if plan.fmt else [])
    keys += ["END", "SVLEN"]
    k = pl.col("allele_num")
    copies = (pl.col("a0") == k).fill_null(False).cast(pl.Int8) + (pl.col("a1") == k).fill_null(False).cast(
        pl.Int8
    )
    hap = pl.when(pl.col("_h0") == k).then(0).when(pl.col("_h1") == k).then(1)
    afs = [
        _af_expr(spec[0], spec[1], pop) for pop, spec in zip(plan.af_pops, plan.af_specs, strict=True) if spec
    ]
    rows = (
        frame.lazy()
        .filter((pl.col("a0") > 0) | (pl.col("a1") > 0))
        .with_columns(_info_values(list(dict.fromkeys(keys))))
        .with_columns(pl.int_ranges(1, n_alts + 1).alias("allele_num"), n_alts.alias("n_alts"))
        .explode(["alts", "allele_num"])
        .rename({"alts": "alt"})
        .with_columns(
            copies.alias("alt_copies"),
            pl.when(pl.col("phased") & (copies == 1)).then(hap).alias("phase_hap"),
            pl.col("_ad").list.get(0, null_on_oob=True).alias("ad_ref"),
            pl.col("_ad").list.get(k, null_on_oob=True).alias("ad_alt"),
            _vep_key() if plan.fmt is not None and plan.fmt.tag == ann.CSQ else pl.col("alt").alias("key"),
            pl.col("alt").is_in(list(SV_ALLELES)).alias("symbolic"),
        )
        .with_columns(  # each AF and whether it is malformed, from the same split of its INFO value
            *(value for value, _ in afs), *(bad.alias(f"_bad_af_{i}") for i, (_, bad) in enumerate(afs))
        )
        .collect(engine=IN_MEMORY)
    )
    _first_bad(
        rows,
        {
            f"malformed INFO {spec[0]} (Number={spec[1]})": pl.col(f"_bad_af_{i}")
            for i, spec in enumerate(_specs(plan))
        },
        plan.path,
    )
    sv = pl.col("symbolic") & (pl.col("alt_copies") > 0)
    _first_bad(
        rows,
        {
            "symbolic SV without a usable INFO END or SVLEN": sv
            & (_sv_end().is_null() | (_sv_end() < pl.col("pos")))
        },
        plan.path,
    )
    sequence = pl.col("alt").str.contains(r"^[ACGTNacgtn]+$")
    rows = rows.filter((pl.col("alt_copies") > 0) & (sequence | pl.col("symbolic")))
    end = (
        pl.when(pl.col("symbolic"))
        .then(_sv_end())
        .otherwise(pl.col("pos") + pl.col("ref").str.len_chars() - 1)
    )
    return _normalised(rows, plan.fetch, end.alias("end"))


def _normalised(rows: pl.DataFrame, fetch: Fetch | None, *then: pl.Expr) -> pl.DataFrame:
    """REF/ALT of each split row trimmed and upper-cased (and left-aligned with a reference), as
    ``bcftools norm -m-``: one canonical form for matching the curated and ClinVar lists. ``then``:
    columns computed on the normalised rows, in the same plan."""
    if rows.height == 0:
        return rows.with_columns(*then)
    pairs = rows.select("chrom", "pos", "ref", "alt").unique()
    out = [
        (chrom, pos, ref, alt, *alleles.normalise(pos, ref, alt, _on(fetch, chrom)))
        for chrom, pos, ref, alt in pairs.iter_rows()
    ]
    mapping = pl.DataFrame(
        out,
        schema=["chrom", "pos", "ref", "alt", "_npos", "_nref", "_nalt"],
        orient="row",
    )
    return (
        rows.lazy()
        .join(mapping.lazy(), on=["chrom", "pos", "ref", "alt"], how="left", maintain_order="left")
        .drop("pos", "ref", "alt")
        .rename({"_npos": "pos", "_nref": "ref", "_nalt": "alt"})
        .with_columns(*then)
        .collect(engine=IN_MEMORY)
    )


def _on(fetch, chrom: str):
    if fetch is None:
        return None
    return lambda start, end: fetch(chrom, start, end)


def no_call_notes(records: pl.DataFrame) -> tuple[str, ...]:
    """Listed sites (curated/ClinVar positions, LoF terms) where the sample has no genotype call."""
    missing = records.filter(pl.col("listed") & pl.col("a0").is_null() & pl.col("a1").is_null())
    if missing.height == 0:
        return ()
    where = [f"{c}:{p}" for c, p in missing.select("chrom", "pos").unique(maintain_order=True).iter_rows()]
    return (
        Reason(
            N_(
                "no genotype call (GT missing, e.g. ./.) at {n} site(s) an inclusion route looks at: "
                "{sites}; those sites were not evaluated"
            ),
            n=len(where),
            sites=_first_five(where),
        ),
    )


def _first_five(where: list[str]) -> str:
    shown = ", ".join(where[:5])
    return Reason(N_("{shown} and {n} more"), shown=shown, n=len(where) - 5) if len(where) > 5 else shown


@dataclass(frozen=True)
class ParsedCalls:
    calls: pl.DataFrame
    annotations: pl.DataFrame
    notes: tuple[str, ...]  # what the records could not tell (for ``not_evaluated``)


def _duplicates(rows: pl.DataFrame, path: str) -> None:
    """The same allele called by two different records (a merge gone wrong, or two callers' records
    concatenated): which one to believe cannot be told, so the record is named, never both kept."""
    key = ["chrom", "pos", "ref", "alt"]
    twice = pl.col("rec").n_unique().over(key) > 1
    _first_bad(
        rows, {"the same allele is called by more than one record (conflicting duplicate)": twice}, path
    )


def calls_frames(text: pl.DataFrame, plan: ParsePlan) -> ParsedCalls:
    records = _genotype_columns(split_columns(text, plan), plan)
    rows = _alt_rows(records, plan).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    _duplicates(rows, plan.path)
    af_columns = [
        pl.col(f"af_{pop}") if spec else pl.lit(None, dtype=pl.Float64).alias(f"af_{pop}")
        for pop, spec in zip(plan.af_pops, plan.af_specs, strict=True)
    ]
    calls = rows.select(
        "row", "chrom", "pos", "ref", "alt", "end",
        "filter", "ft", pl.col("GT").alias("gt"), "alt_copies", "ploidy", "phased", "phase_set", "phase_hap",
        "gq", "dp", "ad_ref", "ad_alt", "ad_total", "symbolic", *af_columns,
    ).cast(CALLS_SCHEMA)  # type: ignore[arg-type]  # fmt: skip
    notes = no_call_notes(records)
    if plan.fmt is None:
        return ParsedCalls(calls, ann.annotation_frame(None, pl.DataFrame(), pl.DataFrame()), notes)
    raw = rows.select("rec", pl.col(f"_info_{plan.fmt.tag}").alias("raw")).filter(
        pl.col("raw").is_not_null() & ~pl.col("raw").is_in(list(_MISSING))
    )
    annotated = raw.unique("rec", maintain_order=True)
    alleles_ = rows.select(  # every call: one on an unannotated record is a gap too
        "rec", "allele_num", "key", _normalised_key(plan.fmt.tag).alias("key2"), "n_alts", "row"
    )
    annotations, gaps = ann.annotations_and_gaps(plan.fmt, annotated, alleles_)
    return ParsedCalls(calls, annotations, notes + _gap_notes(calls, gaps, plan.fmt.tag))


def _normalised_key(tag: str) -> pl.Expr:
    """The annotation's allele text for the normalised pair: VEP drops an indel's anchor base (an empty
    allele is '-'); SnpEff and bcftools write the ALT."""
    if tag != ann.CSQ:
        return pl.col("alt")
    alt = pl.col("alt")
    indel = pl.col("ref").str.len_chars() != alt.str.len_chars()
    stripped = pl.when(alt.str.len_chars() > 1).then(alt.str.slice(1)).otherwise(pl.lit("-"))
    return pl.when(pl.col("symbolic")).then(pl.col("key")).when(indel).then(stripped).otherwise(alt)


def _gap_notes(calls: pl.DataFrame, gaps: list[int], tag: str) -> tuple[str, ...]:
    if not gaps:
        return ()
    where = (
        calls.filter(pl.col("row").is_in(gaps))
        .select(pl.format("{}:{} {}>{}", "chrom", "pos", "ref", "alt"))[:, 0]
        .to_list()
    )
    return (
        Reason(
            N_(
                "loss-of-function route not evaluated for {n} call(s) without a {tag} consequence "
                "annotation of their allele (none on the record, or none naming the allele): {calls}"
            ),
            n=len(where),
            tag=tag,
            calls=_first_five(where),
        ),
    )
