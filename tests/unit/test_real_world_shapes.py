"""The engine on VCF shapes real callers and real populations produce (issue: fail closed).

Each test writes a genome-like VCF (tests/unit/genome_shapes.py) and screens it with the engine, as
``screening screen`` and the workers do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening import alleles, panels, report, vcf, vcf_screen
from screening.domain import Karyotype, Outcome, SampleInput, Sex
from screening.errors import VcfError
from screening.simulate.vcf_files import write_vcf_bgzip_indexed
from tests.unit.genome_shapes import CONTIGS, F508DEL_PADDED, TINY, Genome

PANEL = panels.load_panel(TINY)


def screen(path: Path, sex: Sex = Sex.UNKNOWN, reference: vcf.Reference | None = None):
    return vcf_screen.screen_vcf(PANEL, SampleInput("B1", "BABY", sex), path, None, reference=reference)


# ---------------------------------------------------------------- karyotype


@pytest.mark.parametrize(
    ("genome", "recorded", "karyotype", "held"),
    [
        (Genome(xx=False, y_hemi=150, y_het=5), Sex.MALE, Karyotype.XY, False),  # R1b boy: sparse chrY
        (Genome(xx=False, y_hemi=150, haploid_male_x=True), Sex.MALE, Karyotype.XY, False),  # DRAGEN
        (Genome(xx=False, y_hemi=3000, y_het=60), Sex.MALE, Karyotype.XY, False),  # distant haplogroup
        (Genome(xx=False, y_hemi=4), Sex.MALE, Karyotype.X, False),  # Y not evidenced, not excluded
        (Genome(xx=True, y_het=100), Sex.FEMALE, Karyotype.XX, False),  # het chrY artefacts of a girl
        (Genome(xx=True, y_het=0, y_contig=False), Sex.FEMALE, Karyotype.XX, False),
        (Genome(xx=False, y_hemi=150), Sex.FEMALE, Karyotype.XY, True),  # a real sample swap
        (Genome(xx=False, y_hemi=4), Sex.FEMALE, Karyotype.X, True),  # one X in a girl: 45,X or swap
        (Genome(xx=True), Sex.MALE, Karyotype.XX, True),  # two X, no Y in a boy
        (Genome(xx=True, y_hemi=400), Sex.MALE, Karyotype.XXY, False),  # 47,XXY: compatible
        (Genome(xx=True, x_calls=120, density=0.05, y_het=40), Sex.FEMALE, Karyotype.XX, False),  # exome
    ],
)
def test_karyotype_on_population_like_sex_chromosomes(tmp_path, genome, recorded, karyotype, held):
    result = screen(genome.write(tmp_path / "b.vcf.gz"), recorded)
    assert result.karyotype is karyotype, result.not_evaluated
    assert (result.outcome is Outcome.TESTING_NOT_POSSIBLE) is held, result.reasons
    if held:
        assert "possible sample swap" in result.reasons[0]
        assert "chrX heterozygous fraction" in result.reasons[0]  # what was seen is stated


def test_exome_reads_the_whole_of_chrx_when_the_windows_hold_too_few_calls(tmp_path):
    result = screen(Genome(xx=True, x_calls=120, density=0.05).write(tmp_path / "e.vcf.gz"), Sex.FEMALE)
    assert result.karyotype is Karyotype.XX
    assert result.provenance.karyotype == "XX"


# ---------------------------------------------------------------- representation


def test_homozygous_f508del_in_a_padded_multiallelic_record_is_found(tmp_path):
    result = screen(Genome().add(F508DEL_PADDED).write(tmp_path / "f.vcf.gz"), Sex.FEMALE)
    assert result.outcome is Outcome.CONDITION_SUSPECTED, result.not_evaluated
    (finding,) = result.findings
    assert finding.symbol == "CFTR"
    (v,) = finding.variants
    assert (v.pos, v.ref, v.alt, v.zygosity.value) == (117559590, "ATCT", "A", "hom")


def test_lower_case_bases_match_the_curated_list(tmp_path):
    line = "chr7\t117559590\t.\tatct\ta\t50\tPASS\t.\tGT:AD:DP:GQ\t1/1:0,30:30:60"
    result = screen(Genome().add(line).write(tmp_path / "l.vcf.gz"), Sex.FEMALE)
    assert [f.symbol for f in result.findings] == ["CFTR"]


def test_gvcf_non_ref_and_spanning_deletion_alleles_are_handled(tmp_path):
    lines = [
        "chr7\t117559590\t.\tATCT\tA,<NON_REF>\t50\tPASS\t.\tGT:AD:DP:GQ\t1/1:0,30,0:30:60",
        "chr11\t5227002\t.\tT\tA,*\t50\tPASS\t.\tGT:AD:DP:GQ\t1/2:0,15,15:30:60",
    ]
    genome = Genome()
    for line in lines:
        genome.add(line)
    result = screen(genome.write(tmp_path / "g.vcf.gz"), Sex.FEMALE)
    assert [f.symbol for f in result.findings] == ["CFTR"]  # HbS het + '*' is a carrier, not a finding
    assert any(c.symbol == "HBB" and c.zygosity.value == "het" for c in result.candidates)


def test_left_alignment_with_a_reference(tmp_path):
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\nGGGCATCTTTGGTG\n")
    reference = vcf.Reference(fasta)
    assert reference.fetch("1", 4, 6) == "CAT"
    fetch = lambda start, end: reference.fetch("1", start, end)  # noqa: E731
    # a T deleted from the TTT run, written right-shifted: left-aligned to the run's anchor C
    assert alleles.normalise(9, "TTG", "TG", fetch) == (7, "CT", "C")
    assert alleles.normalise(9, "TTG", "TG") == (9, "TT", "T")  # trimmed only, without a reference


def test_without_a_reference_left_alignment_is_said_to_be_assumed(tmp_path):
    result = screen(Genome().write(tmp_path / "n.vcf.gz"), Sex.FEMALE)
    assert any("left-alignment not checked" in n for n in result.not_evaluated)


# ---------------------------------------------------------------- sample filters, SVs


def test_sample_level_filter_fails_call_quality(tmp_path):
    line = "chr7\t117559590\t.\tATCT\tA\t50\tPASS\t.\tGT:AD:DP:GQ:FT\t1/1:0,30:30:60:LowGQ"
    result = screen(Genome().add(line).write(tmp_path / "ft.vcf.gz"), Sex.FEMALE)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    (c,) = [c for c in result.candidates if c.symbol == "CFTR"]
    assert c.role.value == "failed_quality"
    assert "FT LowGQ" in c.quality_failures


def test_whole_gene_deletion_qualifies_through_the_lof_route_with_its_span(tmp_path):
    csq = "deletion|transcript_ablation|HIGH|CFTR|ENSG00000001626|ENST00000003084|protein_coding|HGNC:1884||"
    line = (
        f"chr7\t117400000\t.\tN\t<DEL>\t60\tPASS\tSVTYPE=DEL;END=117800000;SVLEN=-400000;CSQ={csq}"
        "\tGT:GQ:FT\t1/1:45:PASS"
    )
    panel = _with_transcript(PANEL, "HGNC:1884", "ENST00000003084")  # CFTR: lof_mechanism
    path = Genome(seed=3).add(line).write(tmp_path / "sv.vcf.gz")
    result = vcf_screen.screen_vcf(panel, SampleInput("B1", "BABY", Sex.FEMALE), path, None)
    assert result.outcome is Outcome.CONDITION_SUSPECTED, (result.reasons, result.not_evaluated)
    (finding,) = result.findings
    (v,) = finding.variants
    assert (v.alt, v.pos, v.sv_end, v.consequence) == ("<DEL>", 117400000, 117800000, "transcript_ablation")
    document = report.result_to_dict(result)
    assert document["findings"][0]["variants"][0]["sv_length"] == 400000


def _with_transcript(panel, hgnc_id, transcript):
    from dataclasses import replace

    genes = tuple(replace(g, transcript=transcript) if g.hgnc_id == hgnc_id else g for g in panel.genes)
    return replace(panel, genes=genes)


# ---------------------------------------------------------------- damaged input


FIELDS = "GT:AD:DP:GQ"
SITE = "chr7\t117559590\t.\tATCT\tA\t50"
DAMAGED = {
    "AD with the wrong number of values": f"{SITE}\tPASS\t.\t{FIELDS}\t1/1:0,30,2:30:60",
    "negative DP": f"{SITE}\tPASS\t.\t{FIELDS}\t1/1:0,30:-30:60",
    "non-integer GQ": f"{SITE}\tPASS\t.\t{FIELDS}\t1/1:0,30:30:6x",
    "empty GT": f"{SITE}\tPASS\t.\t{FIELDS}\t:0,30:30:60",
    "a line without the sample column": "chr7\t117559590\t.\tATCT\tA\t50\tPASS\t.\tGT",
    "an undeclared FILTER": f"{SITE}\tLowDepth\t.\t{FIELDS}\t1/1:0,30:30:60",
    "a lower-case FILTER": f"{SITE}\tpass\t.\t{FIELDS}\t1/1:0,30:30:60",
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_finding_record_is_an_error_naming_file_line_and_record(tmp_path, damage):
    path = Genome().add(DAMAGED[damage]).write(tmp_path / "d.vcf.gz")
    with pytest.raises(VcfError) as info:
        screen(path, Sex.FEMALE)
    message = str(info.value)
    assert str(path) in message
    assert "record chr7:117559590" in message
    assert "line " in message


def test_a_missing_format_value_is_named_in_not_evaluated(tmp_path):
    line = "chr7\t117559590\t.\tATCT\tA\t50\tPASS\t.\tGT:AD:DP\t1/1:0,30:30"
    result = screen(Genome().add(line).write(tmp_path / "m.vcf.gz"), Sex.FEMALE)
    assert any("CFTR 7:117559590 ATCT>A: FORMAT GQ missing" in n for n in result.not_evaluated)


def test_no_call_at_a_listed_site_is_named(tmp_path):
    line = "chr7\t117559590\t.\tATCT\tA\t50\tPASS\t.\tGT:AD:DP:GQ\t./.:.:.:."
    result = screen(Genome().add(line).write(tmp_path / "nc.vcf.gz"), Sex.FEMALE)
    assert any("no genotype call" in n and "7:117559590" in n for n in result.not_evaluated)


def test_truncated_genome_is_testing_not_possible_naming_the_contigs(tmp_path):
    genome = Genome().add(F508DEL_PADDED)
    order = {c: i for i, c in enumerate(CONTIGS)}
    # cut at a record boundary inside CFTR, then re-compressed and re-indexed: a valid file
    keep = lambda c, p: order[c] < order["7"] or (c == "7" and p < 117_500_000)  # noqa: E731
    result = screen(genome.write(tmp_path / "t.vcf.gz", keep=keep), Sex.FEMALE)
    assert result.outcome is Outcome.TESTING_NOT_POSSIBLE
    (reason,) = result.reasons
    assert reason.startswith("VCF incomplete:")
    assert "chromosome 10" in reason
    assert "chromosome X" in reason


def test_whole_genome_cut_inside_a_contig_is_caught_by_its_empty_tail(tmp_path):
    keep = lambda c, p: not (c == "X" and p > 30_000_000)  # noqa: E731
    result = screen(Genome(xx=True).write(tmp_path / "x.vcf.gz", keep=keep), Sex.FEMALE)
    assert result.outcome is Outcome.TESTING_NOT_POSSIBLE
    assert "records on chromosome X stop before" in result.reasons[0]


def test_exome_like_density_passes_the_completeness_gate(tmp_path):
    result = screen(Genome(density=0.05, x_calls=120).write(tmp_path / "ex.vcf.gz"), Sex.FEMALE)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED, result.reasons


SEQUENCE = "GGGCATCTTTGGTGTTTACAGCAGCAGTTACGATCTTAAAAG"  # chr1:1-42 of a small reference
NORM_CASES = [  # (pos, REF, ALTs) as callers may write them
    (5, "ATCTT", "AT,A"),  # a padded multi-allelic record
    (8, "TTT", "TT"),  # a T deleted from the TTT run, written right-shifted
    (13, "TGT", "T"),  # a TG deleted, not left-aligned
    (22, "CAGCAG", "CAG,CAGCAGCAG"),  # a repeat contraction and expansion, right-shifted
    (32, "GATC", "GGTC"),  # an MNP-padded SNV
    (38, "AAAAG", "AAAG"),
]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_split_trimmed_and_left_aligned_alleles_agree_with_bcftools_norm(tmp_path):
    fasta = tmp_path / "ref.fa"
    fasta.write_text(f">chr1\n{SEQUENCE}\n")
    text = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=42>\n"
    text += '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
    text += "".join(f"chr1\t{p}\t.\t{r}\t{a}\t50\tPASS\t.\tGT\t0/1\n" for p, r, a in NORM_CASES)
    path = write_vcf_bgzip_indexed(text, tmp_path / "n.vcf.gz")
    reference = vcf.Reference(fasta)
    fetch = lambda start, end: reference.fetch("1", start, end)  # noqa: E731
    # bcftools trims the shared padding only when it normalises against a reference (-f)
    out = subprocess.run(
        ["bcftools", "norm", "-m-", "-f", str(fasta), str(path)], capture_output=True, text=True, check=True
    ).stdout
    theirs = [tuple(ln.split("\t")[1:5]) for ln in out.splitlines() if not ln.startswith("#")]
    mine = [
        (str(p2), ".", r2, a2)
        for p, r, alts in NORM_CASES
        for a in alts.split(",")
        for p2, r2, a2 in [alleles.normalise(p, r, a, fetch)]
    ]
    assert sorted(theirs) == sorted(mine)


def test_screen_json_of_a_padded_record_names_the_trimmed_alleles(tmp_path):
    path = Genome().add(F508DEL_PADDED).write(tmp_path / "j.vcf.gz")
    cmd = [str(Path(sys.executable).parent / "screening"), "screen", "--panel", str(TINY), "--vcf", str(path)]
    proc = subprocess.run([*cmd, "--sex", "female", "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    variant = json.loads(proc.stdout)["findings"][0]["variants"][0]
    assert (variant["ref"], variant["alt"]) == ("ATCT", "A")


def test_the_same_allele_called_twice_with_different_genotypes_is_an_error(tmp_path):
    second = F508DEL_PADDED.replace("1/1:0,30,0", "0/1:15,15,0")
    path = Genome().add(F508DEL_PADDED).add(second).write(tmp_path / "dup.vcf.gz")
    with pytest.raises(VcfError, match="conflicting duplicate"):
        screen(path, Sex.FEMALE)


def test_no_records_inside_a_homozygous_whole_gene_deletion_is_not_an_incomplete_file(tmp_path):
    csq = "deletion|transcript_ablation|HIGH|CFTR|ENSG00000001626|ENST00000003084|protein_coding|HGNC:1884||"
    line = (
        f"chr7\t117400000\t.\tN\t<DEL>\t60\tPASS\tSVTYPE=DEL;END=117800000;SVLEN=-400000;CSQ={csq}"
        "\tGT:GQ:FT\t1/1:45:PASS"
    )
    inside = lambda c, p: c == "7" and 117_400_000 < p <= 117_800_000  # noqa: E731
    path = Genome(seed=4).add(line).write(tmp_path / "del.vcf.gz", keep=lambda c, p: not inside(c, p))
    panel = _with_transcript(PANEL, "HGNC:1884", "ENST00000003084")
    result = vcf_screen.screen_vcf(panel, SampleInput("B1", "BABY", Sex.FEMALE), path, None)
    assert result.outcome is Outcome.CONDITION_SUSPECTED, result.reasons
    assert [f.symbol for f in result.findings] == ["CFTR"]


def test_a_genome_cut_after_the_last_panel_gene_of_its_last_chromosome_is_incomplete(tmp_path):
    """The cut leaves every panel region of chrX whole (its genes lie before the cut) but the rest
    of chrX, and chrY, gone: only the tail of the chromosome shows it."""
    genome = Genome(xx=True)
    path = genome.write(tmp_path / "cut.vcf.gz", keep=lambda c, p: c not in ("X", "Y") or p < 72_000_000)
    result = screen(path, Sex.FEMALE)
    assert result.outcome is Outcome.TESTING_NOT_POSSIBLE
    assert "no records in the last fifth of chromosome X" in result.reasons[0]
