"""Genome-like test VCFs in the shapes real callers write (GATK, DRAGEN, DeepVariant), for the tiny
GRCh38 panel (tests/data/panels/tiny-grch38): background calls at genome density in every panel
region, chrX outside the PARs at a population-like heterozygosity, chrY calls over the whole
male-specific region as men of a given haplogroup carry them (hom-alt or haploid), heterozygous chrY
artefacts as female genomes show, and planted records written as the test says.

Written here, not by the simulator, so that the engine is tested against shapes it was not built with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from screening import panels
from screening.domain import CONTIG_LENGTHS, GRCH38, PARS, PARS_Y
from screening.simulate.vcf_files import write_vcf_bgzip_indexed

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "panels" / "tiny-grch38"
CSQ_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|MANE_PLUS_CLINICAL"
CONTIGS = [str(i) for i in range(1, 23)] + ["X", "Y", "MT"]
BASES = "ACGT"


def header(sample: str = "BABY", y_contig: bool = True) -> str:
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">',
        '##FORMAT=<ID=FT,Number=1,Type=String,Description="Sample filter">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position">',
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
        '##INFO=<ID=SVLEN,Number=.,Type=Integer,Description="Difference in length">',
        f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
        f'Format: {CSQ_FORMAT}">',
        '##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description="gnomAD allele frequency">',
        '##ALT=<ID=DEL,Description="Deletion">',
    ]
    for c in CONTIGS:
        if c == "Y" and not y_contig:
            continue
        name = "chrM" if c == "MT" else f"chr{c}"
        lines.append(f"##contig=<ID={name},length={CONTIG_LENGTHS[GRCH38][c]},assembly=GRCh38>")
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]))
    return "\n".join(lines) + "\n"


def snv(chrom: str, pos: int, gt: str, rng: random.Random, info: str = ".") -> tuple[str, int, str]:
    ref = rng.choice(BASES)
    alt = rng.choice([b for b in BASES if b != ref])
    dp = rng.randint(25, 45)
    alt_reads = dp if gt in ("1/1", "1") else dp // 2
    ad = f"{dp - alt_reads},{alt_reads}"
    pl = "0,30" if gt == "1" else "900,60,0" if gt == "1/1" else "300,0,300"
    sample = f"{gt}:{ad}:{dp}:60:{pl}:PASS"
    line = f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t{info}\tGT:AD:DP:GQ:PL:FT\t{sample}"
    return (chrom, pos, line)


@dataclass
class Genome:
    """A baby's genome-like VCF: ``xx`` two X or one; ``y_hemi``/``y_het`` chrY calls; ``density``
    records per kb in the panel regions (1 for a genome, ~0.02 for an exome)."""

    xx: bool = True
    y_hemi: int = 0
    y_het: int = 0
    haploid_male_x: bool = False  # DRAGEN writes GT 1 on male chrX; GATK writes 1/1
    x_calls: int = 600
    density: float = 1.0
    y_contig: bool = True
    seed: int = 1
    records: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, line: str) -> Genome:
        """A record written exactly as given ('chr7\\t117559590\\t…'); sorted in with the rest."""
        chrom, pos = line.split("\t", 2)[:2]
        self.records.append((chrom.removeprefix("chr"), int(pos), line))
        return self

    def lines(self) -> list[tuple[str, int, str]]:
        rng = random.Random(self.seed)
        planted = {(c, p) for c, p, _ in self.records}
        out = list(self.records)
        panel = panels.load_panel(TINY)
        x_lo, x_hi = PARS[GRCH38][0][1] + 1, PARS[GRCH38][1][0] - 1
        male_x = "1" if self.haploid_male_x else "1/1"
        for chrom, start, end in panels.region_list(panel):
            n = max(1, int((end - start) / 1000 * self.density))
            hemizygous = chrom == "X" and not self.xx and x_lo <= start <= x_hi
            for pos in sorted(rng.sample(range(start, end), n)):
                if all((chrom, pos + d) not in planted for d in range(-10, 11)):
                    gt = male_x if hemizygous else rng.choice(["0/1", "0/1", "1/1"])
                    out.append(snv(chrom, pos, gt, rng))
        for pos in sorted(rng.sample(range(x_lo, x_hi), self.x_calls)):
            gt = rng.choice(["0/1", "0/1", "1/1"]) if self.xx else male_x
            out.append(snv("X", pos, gt, rng))
        for chrom in CONTIGS[:23]:  # a sparse genome-wide background, as a genome has (and more)
            for pos in range(500_000, CONTIG_LENGTHS[GRCH38][chrom] - 100_000, 1_000_000):
                if all((chrom, pos + d) not in planted for d in range(-10, 11)):
                    gt = male_x if chrom == "X" and not self.xx else "0/1"
                    out.append(snv(chrom, pos, gt, rng))
        y_lo, y_hi = PARS_Y[GRCH38][0][1] + 1, 26_600_000
        positions = sorted(rng.sample(range(y_lo, y_hi), self.y_hemi + self.y_het))
        kinds = ["hemi"] * self.y_hemi + ["het"] * self.y_het
        rng.shuffle(kinds)
        for pos, kind in zip(positions, kinds, strict=True):
            gt = "0/1" if kind == "het" else rng.choice(["1/1", "1"])
            out.append(snv("Y", pos, gt, rng))
        return sorted(out, key=lambda r: (CONTIGS.index(r[0]), r[1]))

    def write(self, path: Path, keep=lambda chrom, pos: True) -> Path:
        body = "".join(line + "\n" for chrom, pos, line in self.lines() if keep(chrom, pos))
        return write_vcf_bgzip_indexed(header(y_contig=self.y_contig) + body, path)


_F508DEL_SAMPLE = "1/1:0,30,0:30:60:900,60,0,900,60,900:PASS"
F508DEL_PADDED = f"chr7\t117559590\t.\tATCTT\tAT,A\t50\tPASS\t.\tGT:AD:DP:GQ:PL:FT\t{_F508DEL_SAMPLE}"
