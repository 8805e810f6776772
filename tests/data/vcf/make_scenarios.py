"""Regenerate the tiny scenario VCFs of this folder (bgzip + tabix): python make_scenarios.py

Each file is named after the behaviour it exercises; all are GRCh38 with full primary contigs.
"""

from __future__ import annotations

from pathlib import Path

from screening.domain import CONTIG_LENGTHS
from screening.vcf import write_vcf_bgzip_indexed

HERE = Path(__file__).resolve().parent

FORMATS = [
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
    '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
]
INFOS = [
    '##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description="gnomAD allele frequency">',
    '##INFO=<ID=gnomAD_AF_afr,Number=A,Type=Float,Description="gnomAD AFR allele frequency">',
]
CSQ = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    "Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|"
    'MANE_PLUS_CLINICAL">'
)


def header(prefix: str, extra: list[str], samples: tuple[str, ...] = ("BABY",)) -> str:
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=LowQual,Description="Low quality">']
    lines += [
        f"##contig=<ID={prefix}{'M' if c == 'MT' and prefix else c},length={n}>"
        for c, n in CONTIG_LENGTHS["GRCh38"].items()
    ]
    lines += FORMATS + INFOS + extra
    lines.append(
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples])
    )
    return "\n".join(lines) + "\n"


def body(prefix: str, rows: list[str]) -> str:
    return "".join(prefix + r.replace(" ", "\t") + "\n" for r in rows)


MULTIALLELIC = [
    "1 1000 . A C,G 50 PASS gnomAD_AF=0.001,0.2;gnomAD_AF_afr=0.0004,0.3 GT:AD:DP:GQ 1/2:2,10,9:21:60",
    "1 1100 . T A,C 50 PASS gnomAD_AF=0.01,0.02 GT:AD:DP:GQ 0/2:10,1,9:20:50",
    "1 1200 . G T 50 LowQual . GT:AD:DP:GQ 1/1:0,22:22:70",
    "1 1300 . C T 50 PASS . GT:AD:DP:GQ 0/0:30,0:30:99",
    "1 1400 . C T 50 PASS . GT:AD:DP:GQ ./.:.:.:.",
    "1 1500 . C T,<NON_REF> 50 PASS . GT:AD:DP:GQ 1/2:5,5,5:15:30",  # gVCF-style extra ALT
]
PHASED = [
    "1 2000 . A G 50 PASS . GT:AD:DP:GQ:PS 0|1:10,10:20:60:2000",
    "1 2100 . C T 50 PASS . GT:AD:DP:GQ:PS 1|0:10,10:20:60:2000",
    "1 2200 . G A 50 PASS . GT:AD:DP:GQ:PS 1|1:0,20:20:60:2000",
    "1 2300 . T C 50 PASS . GT:AD:DP:GQ:PS 0/1:10,10:20:60:.",
    "X 3000000 . A G 50 PASS . GT:AD:DP:GQ 1:0,20:20:60",
]
CSQ_ROWS = [
    "2 5000 . ATT A,AT 50 PASS "
    "CSQ=-|frameshift_variant|HIGH|GENE1|ENSG1|Transcript|ENST00000000001.4|protein_coding|HGNC:1|NM_1.2|,"
    "-|frameshift_variant&splice_region_variant|HIGH|GENE1|ENSG1|Transcript|ENST00000000002.1|"
    "protein_coding|HGNC:1||NM_2.1,"
    "T|inframe_deletion|MODERATE|GENE1|ENSG1|Transcript|ENST00000000001.4|protein_coding|HGNC:1|NM_1.2| "
    "GT:AD:DP:GQ 1/2:1,9,10:20:40",
    "2 6000 . C T 50 PASS "
    "CSQ=T|stop_gained|HIGH|GENE1|ENSG1|Transcript|ENST00000000001.4|protein_coding|1|NM_1.2| "
    "GT:AD:DP:GQ 0/1:10,10:20:40",
    "2 7000 . G A 50 PASS . GT:AD:DP:GQ 0/1:10,10:20:40",
]
SPANNING = [
    "3 1000 . " + "A" * 60 + " A 50 PASS . GT:AD:DP:GQ 0/1:10,10:20:60",
    "3 1040 . C T 50 PASS . GT:AD:DP:GQ 0/1:10,10:20:60",
    "3 1100 . G A 50 PASS . GT:AD:DP:GQ 0/1:10,10:20:60",
]
SEX_XY = [
    "X 100000 . A G 50 PASS . GT 1/1",  # PAR1: skipped
    "X 3000000 . A G 50 PASS . GT 1",
    "X 3001000 . C T 50 PASS . GT 1/1",
    "X 3002000 . C T 50 PASS . GT 0/1",
    "X 3003000 . C T 50 PASS . GT 0/0",
    "X 3004000 . C T 50 PASS . GT ./.",
    "Y 3000000 . A G 50 PASS . GT 1",
    "Y 3001000 . A G 50 PASS . GT 1",
]


def main() -> None:
    files = {
        "multiallelic_split_gt_1_2": ("chr", [], MULTIALLELIC),
        "phased_ps_trans_cis_and_haploid_x": ("chr", [], PHASED),
        "naming_chr_prefix": ("chr", [], MULTIALLELIC + PHASED),
        "naming_plain": ("", [], MULTIALLELIC + PHASED),
        "csq_vep_minimal_indel_alleles": ("chr", [CSQ], CSQ_ROWS),
        "deletion_spanning_two_regions": ("chr", [], SPANNING),
        "sex_xy_hemizygous_x_and_y_calls": ("chr", [], SEX_XY),
    }
    for name, (prefix, extra, rows) in files.items():
        write_vcf_bgzip_indexed(header(prefix, extra) + body(prefix, rows), HERE / f"{name}.GRCh38.vcf.gz")
    write_vcf_bgzip_indexed(header("chr", []), HERE / "empty_header_only.GRCh38.vcf.gz")


if __name__ == "__main__":
    main()
