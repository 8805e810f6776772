"""screening.vcf on tiny scenario files (tests/data/vcf) and on the real public files in ../shared/data."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from screening import digest, vcf, vcf_parse
from screening.errors import ClinVarError, VcfError
from screening.simulate.vcf_files import write_vcf_bgzip_indexed

DATA = Path(__file__).resolve().parents[1] / "data" / "vcf"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"real test data not present at {SHARED}")
AF = {"all": "gnomAD_AF", "afr": "gnomAD_AF_afr", "nfe": "gnomAD_AF_nfe"}
GRCH38_ALL = [(c, 1, 250_000_000) for c in [*map(str, range(1, 23)), "X", "Y"]]


def scenario(name: str) -> Path:
    return DATA / f"{name}.GRCh38.vcf.gz"


def read(path: Path, sample: str = "BABY", regions=None, af=AF, build: str = "GRCh38"):
    facts = vcf.inspect_vcf(path, sample, build, af)
    return vcf.read_calls(path, sample, regions or GRCH38_ALL, facts, af)


def plain_copy(path: Path, tmp_path: Path) -> Path:
    """A scenario's text, to build broken variants from."""
    out = tmp_path / "plain.vcf"
    out.write_bytes(gzip.decompress(path.read_bytes()))
    return out


# ---------------------------------------------------------------- calls frame


def test_multiallelic_split_recodes_gt_per_allele_and_drops_homref_nocall_symbolic():
    calls, annotations = read(scenario("multiallelic_split_gt_1_2"))
    assert calls.columns[: len(vcf_parse.CALLS_SCHEMA)] == list(vcf_parse.CALLS_SCHEMA)
    assert dict(calls.schema) == vcf_parse.CALLS_SCHEMA | {f"af_{p}": pl.Float64() for p in AF}
    got = calls.select(
        "row", "pos", "alt", "gt", "alt_copies", "ad_ref", "ad_alt", "ad_total", "filter"
    ).rows()
    assert got == [
        (0, 1000, "C", "1/2", 1, 2, 10, 21, "PASS"),
        (1, 1000, "G", "1/2", 1, 2, 9, 21, "PASS"),
        (2, 1100, "C", "0/2", 1, 10, 9, 20, "PASS"),
        (3, 1200, "T", "1/1", 2, 0, 22, 22, "LowQual"),
        (4, 1500, "T", "1/2", 1, 5, 5, 15, "PASS"),  # <NON_REF> dropped, T kept
    ]
    assert calls.select("af_all", "af_afr", "af_nfe").rows()[:3] == [
        (0.001, 0.0004, None),
        (0.2, 0.3, None),
        (0.02, None, None),
    ]
    assert calls["chrom"].unique().to_list() == ["1"]
    assert annotations.height == 0
    assert annotations.schema == pl.Schema(vcf.ann.ANNOTATION_SCHEMA)


def test_phase_from_pipe_gt_and_ps_and_haploid_x():
    calls, _ = read(scenario("phased_ps_trans_cis_and_haploid_x"))
    got = calls.select("pos", "gt", "phased", "phase_set", "phase_hap", "ploidy", "alt_copies").rows()
    assert got == [
        (2000, "0|1", True, "2000", 1, 2, 1),
        (2100, "1|0", True, "2000", 0, 2, 1),
        (2200, "1|1", True, "2000", None, 2, 2),  # hom alt: both haplotypes carry it
        (2300, "0/1", False, None, None, 2, 1),
        (3_000_000, "1", False, None, None, 1, 1),
    ]
    assert calls.filter(pl.col("pos") == 3_000_000)["chrom"].item() == "X"


def test_chr_prefixed_and_plain_naming_give_identical_frames():
    with_chr = read(scenario("naming_chr_prefix"))
    plain = read(scenario("naming_plain"))
    assert with_chr[0].equals(plain[0])
    assert with_chr[1].equals(plain[1])
    assert vcf.inspect_vcf(scenario("naming_plain"), None, "GRCh38", AF).chrom_style == "plain"
    assert vcf.inspect_vcf(scenario("naming_chr_prefix"), None, "GRCh38", AF).chrom_style == "chr"


def test_only_requested_regions_are_read_and_a_spanning_deletion_is_returned_once():
    path = scenario("deletion_spanning_two_regions")
    calls, _ = read(path, regions=[("3", 1030, 1050), ("3", 1055, 1200)])
    assert calls.select("pos", "end").rows() == [(1000, 1059), (1040, 1040), (1100, 1100)]
    calls, _ = read(path, regions=[("3", 1090, 1200)])
    assert calls["pos"].to_list() == [1100]
    calls, _ = read(path, regions=[("7", 1, 1000)])  # contig declared but without records
    assert calls.height == 0


def test_csq_alleles_matched_with_vep_minimal_representation():
    calls, annotations = read(scenario("csq_vep_minimal_indel_alleles"))
    rows = dict(calls.select(pl.concat_str("pos", "ref", "alt", separator=":"), "row").rows())
    # ATT>A,AT split and trimmed as bcftools norm -m- does: ATT>A and AT>A (VEP's Allele '-' and 'T')
    deletion, shorter = rows["5000:ATT:A"], rows["5000:AT:A"]
    by_row = annotations.group_by("row").agg(pl.col("consequence").sort()).sort("row")
    assert dict(by_row.rows()) == {
        deletion: ["frameshift_variant", "frameshift_variant", "splice_region_variant"],
        shorter: ["inframe_deletion"],
        rows["6000:C:T"]: ["stop_gained"],
    }
    stop = annotations.filter(pl.col("row") == rows["6000:C:T"]).row(0, named=True)
    assert stop == {
        "row": rows["6000:C:T"],
        "symbol": "GENE1",
        "hgnc_id": "HGNC:1",  # VEP's bare number normalised
        "transcript": "ENST00000000001",
        "consequence": "stop_gained",
        "mane_select": True,
        "mane_clinical": False,
        "entry": stop["entry"],
        "hgvsc": None,  # the scenario's CSQ format has no HGVSc / HGVSp
        "hgvsp": None,
    }
    assert vcf.inspect_vcf(scenario("csq_vep_minimal_indel_alleles"), None, "GRCh38", AF).annotation == "CSQ"


def test_sex_evidence_counts_outside_pars():
    path = scenario("sex_xy_hemizygous_x_and_y_calls")
    evidence = vcf.read_sex_evidence(
        path, "BABY", "GRCh38", [(10_001, 5_000_000)], [("Y", 2_781_480, 5_000_000)]
    )
    assert (evidence.x_calls, evidence.x_het, evidence.y_calls) == (3, 1, 2)
    assert (evidence.x_windows, evidence.y_windows, evidence.has_y_contig) == (1, 1, True)


def test_list_samples_and_sha256():
    path = scenario("naming_plain")
    assert vcf.list_samples(path) == ["BABY"]
    facts = vcf.inspect_vcf(path, None, "GRCh38", AF)
    assert facts.sha256 == digest.sha256_file(path)
    assert {"GT", "GQ", "DP", "AD", "PS"} <= facts.format_fields
    assert facts.annotation is None


# ---------------------------------------------------------------- bad input: one VcfError naming the file


def expect_error(path: Path, match: str, sample: str | None = "BABY", build: str = "GRCh38") -> VcfError:
    with pytest.raises(VcfError, match=match) as info:
        vcf.inspect_vcf(path, sample, build, AF)
    assert info.value.path == os.fspath(path)
    assert str(path) in str(info.value)
    return info.value


def test_missing_file(tmp_path):
    expect_error(tmp_path / "absent.vcf.gz", "not found")


def test_truncated_bgzip(tmp_path):
    data = scenario("naming_plain").read_bytes()
    broken = tmp_path / "truncated.vcf.gz"
    broken.write_bytes(data[: len(data) - 40])
    shutil.copy(str(scenario("naming_plain")) + ".tbi", str(broken) + ".tbi")
    expect_error(broken, "truncated")


def test_plain_gzip_is_not_bgzf(tmp_path):
    broken = tmp_path / "plain_gzip.vcf.gz"
    broken.write_bytes(gzip.compress(gzip.decompress(scenario("naming_plain").read_bytes())))
    expect_error(broken, "plain gzip, not BGZF")


def test_uncompressed(tmp_path):
    expect_error(plain_copy(scenario("naming_plain"), tmp_path), "not compressed")


def test_missing_index(tmp_path):
    copy = tmp_path / "no_index.vcf.gz"
    shutil.copy(scenario("naming_plain"), copy)
    expect_error(copy, r"no index \(.tbi or .csi\)")


def test_stale_index(tmp_path):
    copy = tmp_path / "stale.vcf.gz"
    shutil.copy(scenario("naming_plain"), copy)
    shutil.copy(str(scenario("naming_plain")) + ".tbi", str(copy) + ".tbi")
    os.utime(str(copy) + ".tbi", (1_000_000, 1_000_000))
    expect_error(copy, "older than the VCF")


def test_csi_index_accepted(tmp_path):
    out = write_vcf_bgzip_indexed(
        plain_copy(scenario("naming_plain"), tmp_path), tmp_path / "c.vcf.gz", csi=True
    )
    assert Path(str(out) + ".csi").exists()
    calls, _ = read(out)
    assert calls.height == 10


def test_sample_absent_and_multi_sample_without_name(tmp_path):
    error = expect_error(scenario("naming_plain"), "not in the VCF", sample="SOMEONE_ELSE")
    assert "1 sample columns" in str(error)
    text = plain_copy(scenario("naming_plain"), tmp_path).read_text()
    text = text.replace("FORMAT\tBABY", "FORMAT\tA1\tA2").replace("\n", "\n", 1)
    lines = [ln if ln.startswith("#") else ln + "\t" + ln.split("\t")[-1] for ln in text.splitlines()]
    two = write_vcf_bgzip_indexed("\n".join(lines) + "\n", tmp_path / "two.vcf.gz")
    error = expect_error(two, "2 sample columns; name the one", sample=None)
    assert "A1" not in str(error)


def test_wrong_build():
    expect_error(scenario("naming_plain"), "they match GRCh38", build="GRCh37")


def test_contigs_absent_from_header(tmp_path):
    text = plain_copy(scenario("naming_plain"), tmp_path).read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith(("##contig=<ID=X,", "X\t"))]
    text = "\n".join(lines) + "\n"
    expect_error(write_vcf_bgzip_indexed(text, tmp_path / "nox.vcf.gz"), "no ##contig line for chromosome")


def test_empty_vcf_header_only():
    expect_error(scenario("empty_header_only"), "no records")


def test_malformed_header(tmp_path):
    text = plain_copy(scenario("naming_plain"), tmp_path).read_text()
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#CHROM")) + "\n"
    expect_error(write_vcf_bgzip_indexed(text, tmp_path / "bad_header.vcf.gz"), "cannot read the VCF header")


@pytest.mark.parametrize(
    ("bad_line", "match"),
    [
        ("1\t1210\t.\tA", "1:1210: the record has fewer columns"),
        (
            "1\t1210\t.\tA\tT\t50\tPASS\t.\tGT:AD\t0/1:x,3",
            "line 39, record 1:1210: FORMAT AD is not Integer as declared",
        ),
        ("1\t1210\t.\tA\tT\t50\tPASS\t.\tGT\t0/7", "1:1210: GT names an ALT allele the record does not have"),
    ],
)
def test_malformed_record_mid_file(tmp_path, bad_line, match):
    lines = plain_copy(scenario("naming_plain"), tmp_path).read_text().splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("1\t1300\t"))
    path = write_vcf_bgzip_indexed(
        "\n".join([*lines[:at], bad_line, *lines[at:]]) + "\n", tmp_path / "m.vcf.gz"
    )
    facts = vcf.inspect_vcf(path, "BABY", "GRCh38", AF)
    with pytest.raises(VcfError, match=match) as info:
        vcf.read_calls(path, "BABY", [("1", 1, 10_000)], facts, AF)
    assert info.value.path == os.fspath(path)


def test_corrupt_block_mid_file_is_an_error_not_silence(tmp_path):
    rows = [f"1\t{100 + i}\t.\tA\tG\t50\tPASS\t.\tGT\t0/1" for i in range(40_000)]
    text = gzip.decompress(scenario("naming_plain").read_bytes()).decode().split("#CHROM")[0]
    header = text + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBABY\n"
    path = write_vcf_bgzip_indexed(header + "\n".join(rows) + "\n", tmp_path / "big.vcf.gz")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    os.utime(str(path) + ".tbi")
    facts = vcf.inspect_vcf(path, "BABY", "GRCh38", AF)
    with pytest.raises(VcfError):
        vcf.read_calls(path, "BABY", [("1", 1, 100_000)], facts, AF)


# ---------------------------------------------------------------- real public files


def bgzip_shared(name: str, tmp_path: Path) -> Path:
    return write_vcf_bgzip_indexed(SHARED / "vcf" / name, tmp_path / (name + ".gz"))


@needs_shared
def test_real_vep_csq(tmp_path):
    path = bgzip_shared("ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf", tmp_path)
    calls, annotations = read(path, "101976-101976", [("1", 1, 249_250_621)], {"all": "AF"}, "GRCh37")
    row = calls.filter((pl.col("pos") == 13656) & (pl.col("ref") == "CAG") & (pl.col("alt") == "C"))
    assert row.select("gt", "gq", "dp", "ad_ref", "ad_alt", "af_all").row(0) == ("0/1", 99, 43, 28, 15, 0.443)
    mine = annotations.filter(pl.col("row") == row["row"].item())
    assert mine.height == 16  # 9 transcripts; "a&b&c" consequences split into terms
    assert ("DDX11L1", "ENST00000456328", "feature_truncation") in mine.select(
        "symbol", "transcript", "consequence"
    ).rows()
    assert mine["hgnc_id"].null_count() == mine.height
    assert not mine["mane_select"].any()


@needs_shared
def test_real_invalid_gt_allele_is_an_error(tmp_path):
    path = bgzip_shared("ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf", tmp_path)
    facts = vcf.inspect_vcf(path, "Totally_New_Sample", "GRCh37", {})
    with pytest.raises(VcfError, match="1:10172: GT names an ALT allele"):
        vcf.read_calls(path, "Totally_New_Sample", [("1", 1, 20_000)], facts, {})


@needs_shared
def test_real_snpeff_ann(tmp_path):
    text = (SHARED / "vcf" / "ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf").read_text()
    text = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith("##INFO=<ID=CSQ,"))
    path = write_vcf_bgzip_indexed(text, tmp_path / "ann_only.vcf.gz")
    facts = vcf.inspect_vcf(path, "101976-101976", "GRCh37", {})
    assert facts.annotation == "ANN"
    calls, annotations = vcf.read_calls(path, "101976-101976", [("1", 13_000, 14_000)], facts, {})
    row = calls.filter(pl.col("pos") == 13656)["row"].item()
    mine = annotations.filter(pl.col("row") == row)
    assert mine.filter(pl.col("transcript") == "ENST00000518655")["consequence"].to_list() == [
        "splice_donor_variant",
        "splice_region_variant",
        "intron_variant",
    ]
    assert set(mine["symbol"]) == {"DDX11L1", "WASH7P"}


@needs_shared
def test_real_snpeff_ann_hgvs_of_the_allele(tmp_path):
    """SnpEff's HGVS.c / HGVS.p of a known real record, per transcript entry of the carried allele."""
    text = (SHARED / "vcf" / "ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf").read_text()
    text = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith("##INFO=<ID=CSQ,"))
    path = write_vcf_bgzip_indexed(text, tmp_path / "ann_only.vcf.gz")
    facts = vcf.inspect_vcf(path, "101976-101976", "GRCh37", {})
    calls, annotations = vcf.read_calls(path, "101976-101976", [("1", 13_000, 14_000)], facts, {})
    row = calls.filter((pl.col("pos") == 13656) & (pl.col("alt") == "C"))["row"].item()
    mine = annotations.filter(pl.col("row") == row)
    hgvs = dict(mine.select("transcript", "hgvsc").unique().rows())
    assert hgvs["ENST00000518655"] == "n.734+2_734+3delAG"
    assert hgvs["ENST00000456328"] == "n.905_906delAG"
    assert hgvs["ENST00000438504"] == "n.*1783_*1783delCT"  # WASH7P, downstream
    assert mine["hgvsp"].null_count() == mine.height  # a non-coding transcript: no protein change
    # one entry per transcript: its terms share the entry number
    per_entry = mine.filter(pl.col("transcript") == "ENST00000518655")["entry"].unique()
    assert per_entry.len() == 1


@needs_shared
def test_real_vep_csq_without_hgvs_fields_is_not_annotated(tmp_path):
    path = bgzip_shared("ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf", tmp_path)
    facts = vcf.inspect_vcf(path, "101976-101976", "GRCh37", {})
    assert facts.annotation == "CSQ"  # preferred; its Format has no HGVSc / HGVSp
    _, annotations = vcf.read_calls(path, "101976-101976", [("1", 13_000, 14_000)], facts, {})
    assert annotations.height
    assert annotations["hgvsc"].null_count() == annotations.height


@needs_shared
def test_real_bcsq_and_gatk_pgt_pid_phase(tmp_path):
    path = bgzip_shared("udn_trio_comphet_bcsq.GRCh38.vcf", tmp_path)
    calls, annotations = read(
        path,
        "UDN810123",
        [("6", 63_000_000, 64_000_000), ("16", 700_000, 800_000)],
        {"popmax": "gnomad_popmax_af"},
    )
    got = calls.select("chrom", "pos", "gt", "phased", "phase_set", "phase_hap", "af_popmax").rows()
    assert got == [
        ("6", 63280472, "0/1", True, "63280472_G_A", 1, 6.54707e-05),
        ("16", 788413, "0/1", False, None, None, 0.00231284),
        ("16", 793183, "0/1", False, None, None, 0.00330795),
    ]
    by_pos = dict(calls.select("pos", "row").rows())
    insertion = annotations.filter(pl.col("row") == by_pos[788413])
    assert insertion.select("symbol", "transcript", "consequence").rows() == [
        ("CHTF18", "ENST00000631357", "inframe_insertion")  # the "@788407" back-reference is skipped
    ]
    missense = annotations.filter(pl.col("row") == by_pos[793183])
    assert sorted(missense["consequence"].to_list()) == ["3_prime_UTR_variant"] + ["missense_variant"] * 4


@needs_shared
def test_real_exomiser_fgfr2_spiked_variant(tmp_path):
    path = tmp_path / "pfeiffer.vcf.gz"
    shutil.copy(SHARED / "vcf" / "exomiser_Pfeiffer_spiked_FGFR2.GRCh37.vcf.gz", path)
    import pysam

    pysam.tabix_index(str(path), preset="vcf", force=True)
    calls, _ = read(path, "manuel", [("10", 123_237_844, 123_357_972)], {}, "GRCh37")
    spiked = calls.filter((pl.col("pos") == 123256215) & (pl.col("alt") == "G"))
    assert spiked.select("chrom", "ref", "gt", "alt_copies").row(0) == ("10", "T", "0/1", 1)
    assert calls["pos"].is_between(123_237_844 - 1000, 123_357_972).all()


@needs_shared
def test_real_clinvar_counts_and_stars():
    path = SHARED / "clinvar" / "clinvar_20191007_excerpt.GRCh37.vcf.gz"
    snapshot = vcf.read_clinvar(path, "GRCh37")
    assert snapshot.release_date == "2019-10-07"
    assert snapshot.sha256 == digest.sha256_file(path)
    assert snapshot.source == path.name
    records = snapshot.records
    assert records.height == 72
    assert dict(records.schema) == vcf.CLINVAR_SCHEMA

    def at(pos: int, alt: str) -> tuple:
        return (
            records.filter((pl.col("pos") == pos) & (pl.col("alt") == alt))
            .select("clinvar_id", "clnsig", "plp_count", "blb_count", "stars", "gene")
            .row(0)
        )

    assert at(949523, "T") == ("183381", "Pathogenic", 1, 0, 0, "ISG15")
    assert at(955563, "C") == ("387476", "Benign/Likely_benign", 0, 1, 2, "AGRN")
    assert at(955619, "C") == ("210112", "Conflicting_interpretations_of_pathogenicity", 0, 3, 1, "AGRN")
    assert at(976059, "T")[2:5] == (0, 1, 1)
    assert at(949422, "A")[2:5] == (0, 1, 1)
    assert records.filter(pl.col("plp_count") >= 1).height == 5
    agrn_only = vcf.read_clinvar(path, "GRCh37", [("1", 955_000, 992_000)]).records
    assert set(agrn_only["gene"]) == {"AGRN"}
    assert agrn_only.height < records.height


@needs_shared
def test_real_clinvar_wrong_build_and_indexed_regions(tmp_path):
    path = SHARED / "clinvar" / "clinvar_20191007_excerpt.GRCh37.vcf.gz"
    with pytest.raises(ClinVarError, match="##reference=GRCh37 is GRCh37"):
        vcf.read_clinvar(path, "GRCh38")
    copy = tmp_path / "clinvar.vcf.gz"
    shutil.copy(path, copy)
    import pysam

    pysam.tabix_index(str(copy), preset="vcf", force=True)
    sequential = vcf.read_clinvar(path, "GRCh37", [("1", 955_000, 992_000)]).records
    indexed = vcf.read_clinvar(copy, "GRCh37", [("1", 955_000, 992_000)]).records
    assert indexed.equals(sequential)


def test_of_interest_keeps_listed_sites_on_their_own_contig_and_every_record_that_may_move():
    """The pre-filter before the parse: a plain SNV is kept only at a listed (contig, pos) or when it
    shows a listed term; indels, unparsable POS and a term are kept; a POS beyond any chromosome
    (2**32 + the listed position) is not taken for the listed site."""
    lines = {
        "listed": "chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1",
        "other contig": "chr2\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1",
        "unlisted": "chr1\t101\t.\tA\tG\t.\tPASS\t.\tGT\t0/1",
        "beyond 2**32": f"chr1\t{(1 << 32) + 100}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1",
        "indel": "chr1\t102\t.\tAT\tA\t.\tPASS\t.\tGT\t0/1",
        "bad pos": "chr1\tx\t.\tA\tG\t.\tPASS\t.\tGT\t0/1",
        "term": "chr2\t103\t.\tC\tT\t.\tPASS\tCSQ=T|stop_gained|HIGH\tGT\t0/1",
    }
    chrom = {name: line.split("\t")[0].removeprefix("chr") for name, line in lines.items()}
    text = pl.DataFrame({"chrom": list(chrom.values()), "line": list(lines.values())})
    sites = vcf_parse.SiteFilter(pl.DataFrame({"chrom": ["1", "3"], "pos": [100, 5]}), ("stop_gained",))
    kept = vcf_parse.of_interest(text, sites)
    names = {line: name for name, line in lines.items()}
    got = {names[line]: listed for line, listed in kept.select("line", "listed").iter_rows()}
    assert got == {"listed": True, "indel": False, "bad pos": False, "term": True}
