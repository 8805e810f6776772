"""Background calls for a simulated baby, vectorised: numpy draws, polars formats the VCF lines.

Background is common, benign-looking variation: SNVs (some multi-allelic ``A,C`` with ``1/2``), a
few 1-bp deletions, VEP CSQ with a non-LoF term on the overlapping panel gene's transcript (else
``intergenic_variant``) and common gnomAD frequencies. It never comes within 2 bp of a reserved
position (include list, exclusion list, every synthetic ClinVar record, every planted call).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from screening.domain import GRCH37, GRCH38, PARS, PARS_Y, PanelGene
from screening.inheritance import karyotype_windows
from screening.simulate_genome import (
    CONTIG_INDEX,
    CONTIGS,
    contig_length,
    gene_ids,
    ref_codes,
    vcf_contig,
    x_non_par,
)

WGS_SPACING = 700  # one background call per 700 bp (≈ 4.4 M on chr1-22 + X)
PANEL_X_SPACING = 40_000  # panel scale: enough chrX calls outside the PARs for karyotype inference
PANEL_Y_SPACING = 40_000
PANEL_SPARSE_SPACING = 500_000
WGS_Y_SPACING = 7_000
Y_CALLABLE_END = {GRCH38: 26_600_000, GRCH37: 28_800_000}  # male-specific euchromatin, roughly
TELOMERE_BP = 10_000
MIN_DISTANCE = 3  # from any reserved position
AF_POOL_SIZE = 1024  # distinct gnomAD value sets drawn per baby

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


def csq_tail(gene: PanelGene) -> str:
    """CSQ fields after IMPACT: SYMBOL|Gene|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|MANE_PLUS_CLINICAL."""
    ids = gene_ids(gene)
    return f"{ids.symbol}|{ids.ensg}|{ids.feature}|protein_coding|{ids.hgnc_id}|{ids.mane_select}|"


@dataclass(frozen=True)
class BackgroundSpec:
    build: str
    karyotype: str  # "XX" or "XY"
    scale: str  # "panel" or "wgs"
    genes: tuple[PanelGene, ...]
    padding_bp: int
    reserved: dict[str, np.ndarray]  # sorted reserved positions per canonical contig
    style: str  # contig naming


def background_frames(spec: BackgroundSpec, rng: np.random.Generator) -> Iterator[pl.DataFrame]:
    """Frames with columns ``contig`` (index in CONTIGS), ``pos`` and ``line`` (VCF record), in order.

    One frame per contig at WGS scale (bounded memory), a single frame at panel scale (fewer calls).
    """
    af_pool = _af_pool(rng)
    parts, tails = [], {0: INTERGENIC_TAIL}
    for chrom in CONTIGS:
        pos = _clear(_positions(spec, chrom, rng), spec.reserved.get(chrom))
        if pos.size == 0:
            continue
        draws = _draws(spec, chrom, pos, rng)
        genes = [(len(tails) + i, g) for i, g in enumerate(g for g in spec.genes if g.chrom == chrom)]
        tails |= {code: csq_tail(g) for code, g in genes}
        draws["gene"], draws["cons"] = _consequences(genes, spec.padding_bp, pos, draws["kind"], rng)
        draws["contig"] = np.full(pos.size, CONTIG_INDEX[chrom], dtype=np.int8)
        parts.append(pl.DataFrame(draws))
        if spec.scale == "wgs":
            yield _format(pl.concat(parts), _names(spec.style), tails, af_pool)
            parts = []
    if parts:
        yield _format(pl.concat(parts), _names(spec.style), tails, af_pool)


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


def _positions(spec: BackgroundSpec, chrom: str, rng: np.random.Generator) -> np.ndarray:
    if chrom == "MT":
        return np.empty(0, dtype=np.int64)
    if chrom == "Y":
        if spec.karyotype != "XY":
            return np.empty(0, dtype=np.int64)
        spacing = WGS_Y_SPACING if spec.scale == "wgs" else PANEL_Y_SPACING
        whole = _uniform(PARS_Y[spec.build][0][1] + 1, Y_CALLABLE_END[spec.build], spacing, rng)
        return whole if spec.scale == "wgs" else _with_windows(whole, "Y", spec.build, rng)
    length = contig_length(chrom, spec.build)
    if spec.scale == "wgs":
        return _uniform(TELOMERE_BP + 1, length - TELOMERE_BP, WGS_SPACING, rng)
    parts = [_uniform(TELOMERE_BP + 1, length - TELOMERE_BP, PANEL_SPARSE_SPACING, rng)]
    if chrom == "X":
        parts.append(
            _with_windows(_uniform(*x_non_par(spec.build), PANEL_X_SPACING, rng), "X", spec.build, rng)
        )
    for g in spec.genes:
        if g.chrom == chrom:
            lo, hi = max(g.start - spec.padding_bp, 1), min(g.end + spec.padding_bp, length)
            parts.append(_uniform(lo, hi, WGS_SPACING, rng))
    return np.unique(np.concatenate(parts))


def _with_windows(pos: np.ndarray, chrom: str, build: str, rng: np.random.Generator) -> np.ndarray:
    """Add calls at genome density inside the engine's karyotype windows (its fast path at panel scale)."""
    if chrom != "X":  # chrY is read whole
        return pos
    parts = [pos, *(_uniform(start, end, WGS_SPACING, rng) for _, start, end in karyotype_windows(build))]
    return np.unique(np.concatenate(parts))


def _clear(pos: np.ndarray, reserved: np.ndarray | None) -> np.ndarray:
    """Drop positions within MIN_DISTANCE of a reserved one (so no REF can overlap it either)."""
    if reserved is None or reserved.size == 0 or pos.size == 0:
        return pos
    idx = np.searchsorted(reserved, pos)
    right = reserved[np.minimum(idx, reserved.size - 1)]
    left = reserved[np.maximum(idx - 1, 0)]
    near = (np.abs(right - pos) < MIN_DISTANCE) | (np.abs(pos - left) < MIN_DISTANCE)
    return pos[~near]


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


def _draws(spec: BackgroundSpec, chrom: str, pos: np.ndarray, rng: np.random.Generator) -> dict:
    n = pos.size
    region = _region(spec, chrom, pos)
    ref = ref_codes(chrom, pos)
    gap_ok = np.append(np.diff(pos) > 1, True)
    u = rng.random(n)
    kind = np.zeros(n, dtype=np.int8)  # 0 SNV, 1 multi-allelic SNV, 2 one-base deletion
    kind[(region == 0) & (u < 0.015)] = 1
    kind[(u >= 0.015) & (u < 0.045) & gap_ok] = 2
    off = rng.integers(1, 4, n)
    gt = _genotypes(spec.karyotype, region, kind, rng)
    dp = rng.integers(20, 61, n)
    gq = np.where(rng.random(n) < 0.03, rng.integers(5, 30, n), rng.integers(30, 100, n))
    ad = _allele_depths(gt, dp, rng)
    alt1, alt2, nxt = (ref + off) % 4, (ref + off % 3 + 1) % 4, ref_codes(chrom, pos + 1)
    alleles = np.select(
        [kind == 1, kind == 2], [16 + ref * 16 + alt1 * 4 + alt2, 80 + ref * 4 + nxt], ref * 4 + alt1
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


def _genotypes(karyotype: str, region: np.ndarray, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Codes of ``_GT``: autosomes 60 % het; chrX XX 55 % het; XY chrX/chrY haploid-looking."""
    n = region.size
    u = rng.random(n)
    gt = np.where(u < 0.6, 0, 1).astype(np.int8)
    x = region == 1
    if karyotype == "XX":
        gt[x] = np.where(u[x] < 0.55, 0, 1)
    else:
        v = rng.random(n)
        single = x | (region == 2)
        gt[single] = np.where(v[single] < 0.5, 2, 1)
        gt[x & (u < 0.01)] = 0  # rare het artefacts
    gt[kind == 1] = 3
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
    """Texts per allele code: SNV ref*4+alt; multi-allelic 16+ref*16+alt1*4+alt2; deletion 80+ref*4+next."""

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
    return _AlleleCodes(ref_alt, csq1, csq2)


ALLELE_CODES = _allele_codes()


def _consequence_tails(tails: dict[int, str]) -> dict[int, str]:
    """gene code * 5 + consequence code -> "Consequence|IMPACT|SYMBOL|...|MANE_PLUS_CLINICAL"."""
    n = len(_CONSEQUENCE)
    return {g * n + c: f"{text}|{tail}" for g, tail in tails.items() for c, text in _CONSEQUENCE.items()}


def _format(
    df: pl.DataFrame, contigs: dict[int, str], tails: dict[int, str], af_pool: tuple[pl.Series, pl.Series]
) -> pl.DataFrame:
    multi = pl.col("kind") == 1
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
    ad = pl.col("ad0").cast(pl.String) + "," + pl.col("ad1").cast(pl.String)
    ad = pl.when(multi).then(ad + "," + pl.col("ad2").cast(pl.String)).otherwise(ad)
    sample = pl.concat_str(
        [pl.col("gt").replace_strict(_GT, return_dtype=pl.String), pl.col("gq"), pl.col("dp"), ad],
        separator=":",
    )
    line = pl.concat_str(
        [
            pl.col("contig").replace_strict(contigs, return_dtype=pl.String),
            pl.col("pos"),
            pl.lit("."),
            pl.col("alleles").replace_strict(ALLELE_CODES.ref_alt, return_dtype=pl.String),
            pl.col("qual"),
            pl.when(pl.col("lowqual")).then(pl.lit("LowQual")).otherwise(pl.lit("PASS")),
            info,
            pl.lit("GT:GQ:DP:AD"),
            sample,
        ],
        separator="\t",
    )
    return df.select("contig", pl.col("pos").cast(pl.Int64), line.alias("line"))
