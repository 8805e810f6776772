"""Background calls for a simulated baby, vectorised: numpy draws, polars formats the VCF lines.

Background is common, benign-looking variation: SNVs (some multi-allelic ``A,C`` with ``1/2``), a
few 1-bp deletions, multi-allelic deletions written as callers write them (one padded REF shared by
both ALTs, ``ACT  AT,A``: not normalised), VEP CSQ with a non-LoF term on the overlapping panel gene's
transcript (else ``intergenic_variant``) and common gnomAD frequencies. It never comes within 2 bp of
a reserved position (include list, exclusion list, every synthetic ClinVar record, every planted call)
and never inside a baby's ``holes`` (a homozygous deletion leaves no calls).

Sex chromosomes follow population-like ranges, not any reader's sampling windows: chrX outside the
PARs heterozygous in about half the calls with two X, hemizygous-looking with one X (haploid ``1`` or
diploid ``1/1`` by caller, plus rare heterozygous artefacts); chrY in men with ``y_calls`` calls
(150-3,000 by haplogroup: men of the reference's haplogroup R1b differ from it at few sites) spread over
the whole male-specific region, and in every genome ``y_artefacts`` heterozygous mismapping calls,
mostly in the X-transposed region and the ampliconic repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from screening.domain import PARS, PanelGene
from screening.simulate.genome import (
    CONTIG_INDEX,
    CONTIGS,
    Y_MSY_SEGMENTS,
    Y_REPEATS,
    Y_XTR,
    contig_length,
    gene_ids,
    ref_codes,
    vcf_contig,
    x_non_par,
)

WGS_SPACING = 700  # one background call per 700 bp (≈ 4.4 M on chr1-22 + X)
PANEL_X_SPACING = 40_000  # panel scale: a sparse sample of chrX outside the PARs (≈ 3,900 calls)
PANEL_SPARSE_SPACING = 500_000
TELOMERE_BP = 10_000
MIN_DISTANCE = 3  # from any reserved position
AF_POOL_SIZE = 1024  # distinct gnomAD value sets drawn per baby
XTR_SHARE = 0.8  # of the heterozygous chrY artefacts, in the X-transposed region

# Callers and how they write a sample: FORMAT keys in their order; hemizygous calls haploid or not.
CALLERS = ("gatk", "dragen", "deepvariant")
FORMAT_KEYS = {
    "gatk": ("GT", "AD", "DP", "GQ", "PL"),
    "dragen": ("GT", "AD", "DP", "GQ", "FT", "PL"),
    "deepvariant": ("GT", "GQ", "DP", "AD", "PL"),
}
HAPLOID_CALLERS = frozenset({"dragen"})  # sex-aware ploidy: male chrX/chrY calls written ``1``
FT_CALLERS = frozenset({"dragen"})  # per-sample filters in FORMAT/FT

POPULATIONS = ("", "_afr", "_amr", "_asj", "_eas", "_fin", "_nfe", "_sas")
_GT = {0: "0/1", 1: "1/1", 2: "1", 3: "1/2"}
_CONSEQUENCE = {
    0: "intergenic_variant|MODIFIER",
    1: "intron_variant|MODIFIER",
    2: "synonymous_variant|LOW",
    3: "missense_variant|MODERATE",
    4: "upstream_gene_variant|MODIFIER",
}
INTERGENIC_TAIL = "||||||"
MULTI_KINDS = (1, 3)  # multi-allelic SNV, padded multi-allelic deletion


def csq_tail(gene: PanelGene) -> str:
    """CSQ fields after IMPACT: SYMBOL|Gene|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|MANE_PLUS_CLINICAL."""
    ids = gene_ids(gene)
    return f"{ids.symbol}|{ids.ensg}|{ids.feature}|protein_coding|{ids.hgnc_id}|{ids.mane_select}|"


def pl_text(gt: str, gq: int, dp: int, n_alts: int = 1) -> str:
    """Phred-scaled genotype likelihoods (Number=G: one per genotype, VCF order) consistent with
    ``gt`` and ``gq``: 0 for the called genotype, ``gq`` for the next likeliest, the rest high."""
    high = 10 * max(dp, 1) + gq
    alleles = [int(a) for a in gt.replace("|", "/").split("/") if a.isdigit()]
    if len(alleles) == 1:
        values = [high] * (n_alts + 1)
        values[0 if alleles[0] else 1] = gq
        values[alleles[0]] = 0
        return ",".join(map(str, values))
    j, k = sorted(alleles[:2]) if len(alleles) == 2 else (0, 0)
    values = [high] * ((n_alts + 1) * (n_alts + 2) // 2)
    values[0 if (j, k) != (0, 0) else 1] = gq
    values[k * (k + 1) // 2 + j] = 0
    return ",".join(map(str, values))


@dataclass(frozen=True)
class BackgroundSpec:
    build: str
    karyotype: str  # "XX", "XY" or "XXY"
    scale: str  # "panel" or "wgs"
    genes: tuple[PanelGene, ...]
    padding_bp: int
    reserved: dict[str, np.ndarray]  # sorted reserved positions per canonical contig
    style: str  # contig naming
    caller: str = "gatk"
    y_calls: int = 0  # hemizygous-looking chrY calls (genomes with a Y)
    y_artefacts: int = 0  # heterozygous chrY mismapping artefacts
    x_spacing: int = PANEL_X_SPACING  # panel scale only
    holes: tuple[tuple[str, int, int], ...] = ()  # (canonical chrom, start, end) with no background

    @property
    def x_copies(self) -> int:
        return self.karyotype.count("X")


def background_frames(spec: BackgroundSpec, rng: np.random.Generator) -> Iterator[pl.DataFrame]:
    """Frames with columns ``contig`` (index in CONTIGS), ``pos`` and ``line`` (VCF record), in order.

    One frame per contig at WGS scale (bounded memory), a single frame at panel scale (fewer calls).
    """
    af_pool = _af_pool(rng)
    parts, tails = [], {0: INTERGENIC_TAIL}
    for chrom in CONTIGS:
        pos, artefact = _positions(spec, chrom, rng)
        keep = _clear(pos, spec.reserved.get(chrom)) & _outside_holes(pos, chrom, spec.holes)
        pos, artefact = pos[keep], artefact[keep]
        if pos.size == 0:
            continue
        draws = _draws(spec, chrom, pos, artefact, rng)
        genes = [(len(tails) + i, g) for i, g in enumerate(g for g in spec.genes if g.chrom == chrom)]
        tails |= {code: csq_tail(g) for code, g in genes}
        draws["gene"], draws["cons"] = _consequences(genes, spec.padding_bp, pos, draws["kind"], rng)
        draws["contig"] = np.full(pos.size, CONTIG_INDEX[chrom], dtype=np.int8)
        parts.append(pl.DataFrame(draws))
        if spec.scale == "wgs":
            yield _format(pl.concat(parts), _names(spec.style), tails, af_pool, spec.caller)
            parts = []
    if parts:
        yield _format(pl.concat(parts), _names(spec.style), tails, af_pool, spec.caller)


def _names(style: str) -> dict[int, str]:
    return {CONTIG_INDEX[c]: vcf_contig(c, style) for c in CONTIGS}


def _af_pool(rng: np.random.Generator) -> tuple[pl.Series, pl.Series]:
    """Pre-formatted gnomAD INFO fields: common single-ALT values, and two-ALT values (common, rare)."""
    common = rng.integers(100, 5001, (AF_POOL_SIZE, len(POPULATIONS)))
    rare = rng.integers(10, 100, (AF_POOL_SIZE, len(POPULATIONS)))
    single, double = [], []
    for row_c, row_r in zip(common.tolist(), rare.tolist(), strict=True):
        single.append(";".join(f"gnomAD_AF{p}=0.{c:04d}" for p, c in zip(POPULATIONS, row_c, strict=True)))
        double.append(
            ";".join(
                f"gnomAD_AF{p}=0.{c:04d},0.00{r:02d}"
                for p, c, r in zip(POPULATIONS, row_c, row_r, strict=True)
            )
        )
    return pl.Series(single, dtype=pl.String), pl.Series(double, dtype=pl.String)


# -- positions -----------------------------------------------------------------------------------


def _uniform(lo: int, hi: int, spacing: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted, distinct positions in [lo, hi], one per ``spacing`` bp on average (geometric gaps)."""
    if hi - lo < spacing:
        return np.empty(0, dtype=np.int64)
    n = int((hi - lo) / spacing * 1.05) + 16
    pos = lo - 1 + np.cumsum(rng.geometric(1 / spacing, n), dtype=np.int64)
    return pos[pos <= hi]


def _positions(spec: BackgroundSpec, chrom: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(sorted positions, True where the call is a heterozygous chrY artefact)."""
    if chrom == "MT":
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    if chrom == "Y":
        return _y_positions(spec, rng)
    length = contig_length(chrom, spec.build)
    if spec.scale == "wgs":
        pos = _uniform(TELOMERE_BP + 1, length - TELOMERE_BP, WGS_SPACING, rng)
        return pos, np.zeros(pos.size, dtype=bool)
    parts = [_uniform(TELOMERE_BP + 1, length - TELOMERE_BP, PANEL_SPARSE_SPACING, rng)]
    if chrom == "X":
        parts.append(_uniform(*x_non_par(spec.build), spec.x_spacing, rng))
    for g in spec.genes:
        if g.chrom == chrom:
            lo, hi = max(g.start - spec.padding_bp, 1), min(g.end + spec.padding_bp, length)
            parts.append(_uniform(lo, hi, WGS_SPACING, rng))
    pos = np.unique(np.concatenate(parts))
    return pos, np.zeros(pos.size, dtype=bool)


def _spread(segments: tuple[tuple[int, int], ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform positions over ``segments``, each segment in proportion to its length."""
    lengths = np.array([hi - lo + 1 for lo, hi in segments], dtype=np.float64)
    counts = rng.multinomial(n, lengths / lengths.sum())
    parts = [rng.integers(lo, hi + 1, k) for (lo, hi), k in zip(segments, counts, strict=True)]
    return np.concatenate([np.empty(0, dtype=np.int64), *parts]).astype(np.int64)


def _y_positions(spec: BackgroundSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Men's calls over the whole male-specific region; artefacts mostly in the X-transposed region."""
    true = _spread(Y_MSY_SEGMENTS[spec.build], spec.y_calls if "Y" in spec.karyotype else 0, rng)
    in_xtr = int(rng.binomial(spec.y_artefacts, XTR_SHARE))
    artefacts = np.concatenate(
        [
            _spread((Y_XTR[spec.build],), in_xtr, rng),
            _spread(Y_REPEATS[spec.build], spec.y_artefacts - in_xtr, rng),
        ]
    )
    pos = np.concatenate([true, artefacts])
    flag = np.concatenate([np.zeros(true.size, dtype=bool), np.ones(artefacts.size, dtype=bool)])
    pos, first = np.unique(pos, return_index=True)
    return pos, flag[first]


def _outside_holes(pos: np.ndarray, chrom: str, holes: tuple[tuple[str, int, int], ...]) -> np.ndarray:
    keep = np.ones(pos.size, dtype=bool)
    for c, start, end in holes:
        if c == chrom:
            keep &= (pos < start - MIN_DISTANCE) | (pos > end + MIN_DISTANCE)
    return keep


def _clear(pos: np.ndarray, reserved: np.ndarray | None) -> np.ndarray:
    """False at positions within MIN_DISTANCE of a reserved one (so no REF can overlap it either)."""
    if reserved is None or reserved.size == 0 or pos.size == 0:
        return np.ones(pos.size, dtype=bool)
    idx = np.searchsorted(reserved, pos)
    right = reserved[np.minimum(idx, reserved.size - 1)]
    left = reserved[np.maximum(idx - 1, 0)]
    return ~((np.abs(right - pos) < MIN_DISTANCE) | (np.abs(pos - left) < MIN_DISTANCE))


# -- genotypes and FORMAT ------------------------------------------------------------------------


def _region(spec: BackgroundSpec, chrom: str, pos: np.ndarray) -> np.ndarray:
    """0 autosomal-like (autosome or PAR), 1 chrX outside the PARs, 2 chrY."""
    if chrom == "Y":
        return np.full(pos.size, 2, dtype=np.int8)
    region = np.zeros(pos.size, dtype=np.int8)
    if chrom == "X":
        in_par = np.zeros(pos.size, dtype=bool)
        for lo, hi in PARS[spec.build]:
            in_par |= (pos >= lo) & (pos <= hi)
        region[~in_par] = 1
    return region


def _draws(
    spec: BackgroundSpec, chrom: str, pos: np.ndarray, artefact: np.ndarray, rng: np.random.Generator
) -> dict:
    n = pos.size
    region = _region(spec, chrom, pos)
    ref = ref_codes(chrom, pos).astype(np.int16)
    gap = np.append(np.diff(pos), 1_000)
    u = rng.random(n)
    # 0 SNV, 1 multi-allelic SNV, 2 one-base deletion, 3 multi-allelic deletion with a padded REF
    kind = np.zeros(n, dtype=np.int8)
    kind[(region == 0) & (u < 0.015)] = 1
    kind[(u >= 0.015) & (u < 0.045) & (gap > 1)] = 2
    kind[(region == 0) & (u >= 0.045) & (u < 0.052) & (gap > 3)] = 3
    off = rng.integers(1, 4, n)
    gt = _genotypes(spec, region, kind, artefact, rng)
    dp = rng.integers(20, 61, n)
    gq = np.where(rng.random(n) < 0.03, rng.integers(5, 30, n), rng.integers(30, 100, n))
    ad = _allele_depths(gt, dp, rng)
    alt1, alt2 = (ref + off) % 4, (ref + off % 3 + 1) % 4
    nxt, nxt2 = ref_codes(chrom, pos + 1).astype(np.int16), ref_codes(chrom, pos + 2).astype(np.int16)
    alleles = np.select(
        [kind == 1, kind == 2, kind == 3],
        [16 + ref * 16 + alt1 * 4 + alt2, 80 + ref * 4 + nxt, 96 + ref * 16 + nxt * 4 + nxt2],
        ref * 4 + alt1,
    )
    return {
        "pos": pos,
        "alleles": alleles.astype(np.int16),
        "kind": kind,
        "gt": gt,
        "gq": gq,
        "dp": dp,
        "qual": gq * dp // 4 + 10,
        "lowqual": rng.random(n) < 0.02,
        **ad,
        "af": rng.integers(0, AF_POOL_SIZE, n),
    }


def _genotypes(
    spec: BackgroundSpec, region: np.ndarray, kind: np.ndarray, artefact: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Codes of ``_GT``: autosomes 60 % het; chrX with two X 55 % het; with one X hemizygous-looking
    (1 % het artefacts); chrY hemizygous-looking except the heterozygous artefacts."""
    n = region.size
    u = rng.random(n)
    gt = np.where(u < 0.6, 0, 1).astype(np.int8)
    hemi = 2 if spec.caller in HAPLOID_CALLERS else 1
    x, y = region == 1, region == 2
    if spec.x_copies >= 2:
        gt[x] = np.where(u[x] < 0.55, 0, 1)
    else:
        gt[x] = np.where(u[x] < 0.01, 0, hemi)  # rare het artefacts
    gt[y] = np.where(artefact[y], 0, hemi)
    gt[np.isin(kind, MULTI_KINDS)] = 3
    return gt


def _allele_depths(gt: np.ndarray, dp: np.ndarray, rng: np.random.Generator) -> dict:
    het_alt = rng.binomial(dp, 0.5)
    hom_ref = rng.binomial(dp, 0.01)
    multi_ref = rng.binomial(dp, 0.02)
    multi_a1 = rng.binomial(dp - multi_ref, 0.5)
    ad0 = np.select([gt == 0, gt == 3], [dp - het_alt, multi_ref], hom_ref)
    ad1 = np.select([gt == 0, gt == 3], [het_alt, multi_a1], dp - hom_ref)
    return {"ad0": ad0, "ad1": ad1, "ad2": dp - multi_ref - multi_a1}


def _consequences(
    genes: list[tuple[int, PanelGene]],
    padding: int,
    pos: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(gene code: 0 none, else the code given with the gene; consequence code of ``_CONSEQUENCE``)."""
    gene = np.zeros(pos.size, dtype=np.int32)
    inside = np.zeros(pos.size, dtype=bool)
    for code, g in genes:
        lo = np.searchsorted(pos, g.start - padding, side="left")
        hi = np.searchsorted(pos, g.end + padding, side="right")
        free = gene[lo:hi] == 0
        gene[lo:hi][free] = code
        within = (pos[lo:hi] >= g.start) & (pos[lo:hi] <= g.end)
        inside[lo:hi] |= free & within
    u = rng.random(pos.size)
    cons = np.select([gene == 0, ~inside, u < 0.6, u < 0.8], [0, 4, 1, 2], 3).astype(np.int8)
    cons[inside & (kind == 2)] = 1  # a deletion in a coding exon would be a frameshift: keep intronic
    return gene, cons


# -- formatting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AlleleCodes:
    """Texts per allele code: SNV ref*4+alt; multi-allelic 16+ref*16+alt1*4+alt2; deletion 80+ref*4+next;
    padded multi-allelic deletion 96+ref*16+next*4+next2 (``RNM  RM,R``, as callers write it)."""

    ref_alt: dict[int, str]  # "REF\tALT"
    csq1: dict[int, str]  # VEP Allele of ALT 1
    csq2: dict[int, str]  # VEP Allele of ALT 2 (multi-allelic only)


def _allele_codes() -> _AlleleCodes:
    b = "ACGT"
    ref_alt, csq1, csq2 = {}, {}, {}
    for r, x, y in ((r, x, y) for r in range(4) for x in range(4) for y in range(4)):
        ref_alt[r * 4 + x], csq1[r * 4 + x] = f"{b[r]}\t{b[x]}", b[x]
        code = 16 + r * 16 + x * 4 + y
        ref_alt[code], csq1[code], csq2[code] = f"{b[r]}\t{b[x]},{b[y]}", b[x], b[y]
        ref_alt[80 + r * 4 + x], csq1[80 + r * 4 + x] = f"{b[r]}{b[x]}\t{b[r]}", "-"
        code = 96 + r * 16 + x * 4 + y  # VEP trims the shared first base: Alleles "M" and "-"
        ref_alt[code], csq1[code], csq2[code] = f"{b[r]}{b[x]}{b[y]}\t{b[r]}{b[y]},{b[r]}", b[y], "-"
    return _AlleleCodes(ref_alt, csq1, csq2)


ALLELE_CODES = _allele_codes()


def _consequence_tails(tails: dict[int, str]) -> dict[int, str]:
    """gene code * 5 + consequence code -> "Consequence|IMPACT|SYMBOL|...|MANE_PLUS_CLINICAL"."""
    n = len(_CONSEQUENCE)
    return {g * n + c: f"{text}|{tail}" for g, tail in tails.items() for c, text in _CONSEQUENCE.items()}


def _sample_expr(caller: str) -> tuple[str, pl.Expr]:
    """FORMAT keys and the sample column as ``caller`` writes them."""
    gt = pl.col("gt").replace_strict(_GT, return_dtype=pl.String)
    ad = pl.col("ad0").cast(pl.String) + "," + pl.col("ad1").cast(pl.String)
    ad = (
        pl.when(pl.col("kind").is_in(MULTI_KINDS))
        .then(ad + "," + pl.col("ad2").cast(pl.String))
        .otherwise(ad)
    )
    gq, high = pl.col("gq").cast(pl.String), (10 * pl.col("dp") + pl.col("gq")).cast(pl.String)
    likelihoods = (
        pl.when(pl.col("gt") == 0)
        .then(pl.concat_str([gq, pl.lit("0"), high], separator=","))
        .when(pl.col("gt") == 1)
        .then(pl.concat_str([high, gq, pl.lit("0")], separator=","))
        .when(pl.col("gt") == 2)
        .then(pl.concat_str([high, pl.lit("0")], separator=","))
        .otherwise(pl.concat_str([high, high, high, high, pl.lit("0"), gq], separator=","))
    )
    ft = pl.when(pl.col("gq") < 20).then(pl.lit("LowGQ")).otherwise(pl.lit("PASS"))
    values = {"GT": gt, "AD": ad, "DP": pl.col("dp").cast(pl.String), "GQ": gq, "PL": likelihoods, "FT": ft}
    keys = FORMAT_KEYS[caller]
    return ":".join(keys), pl.concat_str([values[k] for k in keys], separator=":")


def _format(
    df: pl.DataFrame,
    contigs: dict[int, str],
    tails: dict[int, str],
    af_pool: tuple[pl.Series, pl.Series],
    caller: str,
) -> pl.DataFrame:
    multi = pl.col("kind").is_in(MULTI_KINDS)
    tail = (pl.col("gene") * len(_CONSEQUENCE) + pl.col("cons")).replace_strict(
        _consequence_tails(tails), return_dtype=pl.String
    )
    first = pl.col("alleles").replace_strict(ALLELE_CODES.csq1, return_dtype=pl.String) + "|" + tail
    second = pl.col("alleles").replace_strict(ALLELE_CODES.csq2, default="", return_dtype=pl.String)
    csq = pl.when(multi).then(first + "," + second + "|" + tail).otherwise(first)
    single, double = (pool.gather(df["af"]) for pool in af_pool)
    df = df.with_columns(single.alias("af_single"), double.alias("af_double"))
    afs = pl.when(multi).then(pl.col("af_double")).otherwise(pl.col("af_single"))
    info = pl.concat_str([pl.lit("CSQ=") + csq, afs], separator=";")
    keys, sample = _sample_expr(caller)
    line = pl.concat_str(
        [
            pl.col("contig").replace_strict(contigs, return_dtype=pl.String),
            pl.col("pos"),
            pl.lit("."),
            pl.col("alleles").replace_strict(ALLELE_CODES.ref_alt, return_dtype=pl.String),
            pl.col("qual"),
            pl.when(pl.col("lowqual")).then(pl.lit("LowQual")).otherwise(pl.lit("PASS")),
            info,
            pl.lit(keys),
            sample,
        ],
        separator="\t",
    )
    return df.select("contig", pl.col("pos").cast(pl.Int64), line.alias("line"))
