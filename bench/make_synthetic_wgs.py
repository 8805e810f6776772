"""Write a synthetic single-sample GRCh38 WGS VCF (bgzip + tabix) and a regions BED for benchmarks.

Usage: python bench/make_synthetic_wgs.py OUT_DIR [N_RECORDS] [N_REGIONS]
Records are spread over chr1-22,X in proportion to length (about 1 per 690 bp at 4.5 M records),
each with INFO AC/AF/AN/DP, a gnomAD AF, a three-transcript VEP CSQ, and FORMAT GT:AD:DP:GQ:PL.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from screening.domain import CONTIG_LENGTHS, SCREENED_CONTIGS

CSQ_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGNC_ID|MANE_SELECT"


def header() -> str:
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID=chr{c},length={n}>" for c, n in CONTIG_LENGTHS["GRCh38"].items()]
    lines += [
        '##FILTER=<ID=LowQual,Description="Low quality">',
        '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        '##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        '##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description="gnomAD AF">',
        f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
        f'Format: {CSQ_FORMAT}">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Likelihoods">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBABY",
    ]
    return "\n".join(lines) + "\n"


def record(rng: random.Random, chrom: str, pos: int) -> str:
    ref = rng.choice("ACGT")
    alt = rng.choice([b for b in "ACGT" if b != ref])
    if rng.random() < 0.1:
        alt = ref + "T"
    hom = rng.random() < 0.35
    gt = "1/1" if hom else "0/1"
    dp = rng.randint(15, 60)
    ad_alt = dp if hom else dp // 2
    af = rng.random() / 10
    csq = ",".join(
        f"{alt if len(alt) == 1 else 'T'}|missense_variant&splice_region_variant|MODERATE|GENE{pos % 97}|"
        f"ENSG{pos:011d}|Transcript|ENST{pos + i:011d}.{i + 1}|protein_coding|HGNC:{pos % 9999}|"
        + ("NM_000001.1" if i == 0 else "")
        for i in range(3)
    )
    info = f"AC={2 if hom else 1};AF={0.5 if not hom else 1.0};AN=2;DP={dp};gnomAD_AF={af:.5f};CSQ={csq}"
    pl = f"{rng.randint(0, 900)},0,{rng.randint(0, 900)}"
    fmt = f"{gt}:{dp - ad_alt},{ad_alt}:{dp}:{rng.randint(20, 99)}:{pl}"
    qual = f"{rng.randint(30, 3000)}.0"
    return f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t{qual}\tPASS\t{info}\tGT:AD:DP:GQ:PL\t{fmt}\n"


def main(out_dir: str, n_records: int = 4_500_000, n_regions: int = 200) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    lengths = {c: CONTIG_LENGTHS["GRCh38"][c] for c in SCREENED_CONTIGS}
    total = sum(lengths.values())
    vcf = out / "wgs.vcf.gz"
    with open(vcf, "wb") as fh:
        bgzip = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=fh)
        assert bgzip.stdin is not None
        bgzip.stdin.write(header().encode())
        for chrom, length in lengths.items():
            n = n_records * length // total
            step = length // (n + 1)
            buf = [record(rng, chrom, 10_000 + i * step + rng.randint(0, step // 2)) for i in range(n)]
            bgzip.stdin.write("".join(buf).encode())
        bgzip.stdin.close()
        bgzip.wait()
    subprocess.run(["tabix", "-f", "-p", "vcf", str(vcf)], check=True)
    with open(out / "regions.bed", "w") as bed:
        for i in range(n_regions):
            chrom = SCREENED_CONTIGS[i % len(SCREENED_CONTIGS)]
            start = 1_000_000 + (i // len(SCREENED_CONTIGS)) * 5_000_000
            bed.write(f"chr{chrom}\t{start - 1}\t{start + 60_000}\n")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
