"""A pretend genome for the simulator: contig order and names, REF bases, gene identifiers.

There is no reference sequence, so a REF base is a fixed hash of (contig, position): every file the
simulator writes (babies' VCFs, the ClinVar VCF) agrees on the base at a position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screening.domain import CONTIG_LENGTHS, GRCH37, GRCH38, PARS, PARS_Y, PanelGene

CONTIGS: tuple[str, ...] = (*[str(i) for i in range(1, 23)], "X", "Y", "MT")
CONTIG_INDEX: dict[str, int] = {c: i for i, c in enumerate(CONTIGS)}
BASES = "ACGT"
CHR_STYLE = "chr"
PLAIN_STYLE = "plain"

_MIX_A_INT = 0x9E3779B97F4A7C15
_MIX_B_INT = 0xBF58476D1CE4E5B9
_MIX_A = np.uint64(_MIX_A_INT)
_MIX_B = np.uint64(_MIX_B_INT)


def vcf_contig(chrom: str, style: str) -> str:
    """Canonical ``1``/``X``/``MT`` as written in a VCF of the given naming style."""
    if style == PLAIN_STYLE:
        return chrom
    return "chrM" if chrom == "MT" else f"chr{chrom}"


def contig_length(chrom: str, build: str) -> int:
    return CONTIG_LENGTHS[build][chrom]


def ref_codes(chrom: str, pos: np.ndarray) -> np.ndarray:
    """Base codes (0..3 for A, C, G, T) of the pretend reference at ``pos`` on ``chrom``."""
    salt = np.uint64(((CONTIG_INDEX[chrom] + 1) * _MIX_B_INT) % 2**64)  # Python ints: no overflow warning
    x = np.asarray(pos).astype(np.uint64) * _MIX_A + salt
    x ^= x >> np.uint64(31)
    x *= _MIX_B
    x ^= x >> np.uint64(29)
    return (x & np.uint64(3)).astype(np.int8)


def ref_seq(chrom: str, pos: int, length: int = 1) -> str:
    """The pretend reference sequence of ``length`` bases starting at ``pos``."""
    codes = ref_codes(chrom, np.arange(pos, pos + length, dtype=np.int64))
    return "".join(BASES[int(c)] for c in codes)


def other_base(base: str, shift: int) -> str:
    """A base different from ``base`` (``shift`` 1..3 picks which)."""
    return BASES[(BASES.index(base) + shift) % 4]


def in_x_par(chrom: str, pos: int, build: str) -> bool:
    return chrom == "X" and any(s <= pos <= e for s, e in PARS[build])


def x_non_par(build: str) -> tuple[int, int]:
    """chrX between PAR1 and PAR2 (1-based inclusive)."""
    return PARS[build][0][1] + 1, PARS[build][1][0] - 1


# chrY between the PARs that holds sequence (the Yq12 heterochromatin is mostly gaps), roughly.
Y_MSY_SEGMENTS: dict[str, tuple[tuple[int, int], ...]] = {
    GRCH38: ((PARS_Y[GRCH38][0][1] + 1, 26_600_000), (56_673_215, PARS_Y[GRCH38][1][0] - 1)),
    GRCH37: ((PARS_Y[GRCH37][0][1] + 1, 28_800_000), (58_819_362, PARS_Y[GRCH37][1][0] - 1)),
}
# Where female genomes show (mismapped, heterozygous) chrY calls: the X-transposed region first,
# then ampliconic / pericentromeric repeats. Rough coordinates; only the shape matters here.
Y_XTR: dict[str, tuple[int, int]] = {GRCH38: (2_917_959, 6_102_616), GRCH37: (2_786_000, 5_970_000)}
Y_REPEATS: dict[str, tuple[tuple[int, int], ...]] = {
    GRCH38: ((10_250_000, 10_650_000), (20_050_000, 26_600_000)),
    GRCH37: ((10_100_000, 10_500_000), (22_200_000, 28_800_000)),
}


@dataclass(frozen=True)
class GeneIds:
    """Identifiers written in VEP CSQ and ClinVar GENEINFO for a panel gene (synthetic but stable)."""

    symbol: str
    hgnc_id: str
    ensg: str
    feature: str  # transcript with version, as VEP writes it
    mane_select: str  # RefSeq NM_ id, as VEP's MANE_SELECT field
    entrez: int


def gene_ids(gene: PanelGene) -> GeneIds:
    number = int(gene.hgnc_id.split(":", 1)[1])
    transcript = gene.transcript or f"ENST00000{number:06d}"
    feature = transcript if "." in transcript else f"{transcript}.{number % 9 + 1}"
    return GeneIds(
        symbol=gene.symbol,
        hgnc_id=gene.hgnc_id,
        ensg=f"ENSG00000{number:06d}",
        feature=feature,
        mane_select=f"NM_{number:06d}.{number % 5 + 1}",
        entrez=100_000 + number,
    )
