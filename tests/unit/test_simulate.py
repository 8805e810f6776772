"""The simulator: deterministic, every scenario planted as its truth says, background kept clear."""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest
from click.testing import CliRunner

from screening.domain import (
    PARS,
    ExcludedVariant,
    IncludedVariant,
    Moi,
    PanelGene,
    PanelVersion,
    RuleSettings,
    Version,
)
from screening.errors import ValidationError
from screening.simulate import MANIFEST_COLUMNS, simulate_batch
from screening.simulate.background import FORMAT_KEYS
from screening.simulate.genome import CONTIG_INDEX, Y_MSY_SEGMENTS, Y_XTR, ref_seq
from screening.simulate.plan import normalised
from screening.simulate.scenarios import SCENARIO_NAMES


def _gene(hgnc: str, symbol: str, moi: str, lof: bool, chrom: str, start: int, end: int) -> PanelGene:
    return PanelGene(hgnc, symbol, Moi(moi), f"{symbol}-related disorder", lof, chrom, start, end)


GENES = (
    _gene("HGNC:9588", "PTEN", "MONOALLELIC", True, "10", 87_863_113, 87_971_930),
    _gene("HGNC:3603", "FBN1", "MONOALLELIC", True, "15", 48_408_306, 48_645_709),
    _gene("HGNC:7577", "MYH7", "MONOALLELIC", False, "14", 23_412_740, 23_435_660),
    _gene("HGNC:1884", "CFTR", "BIALLELIC", True, "7", 117_287_120, 117_715_971),
    _gene("HGNC:8582", "PAH", "BIALLELIC", True, "12", 102_836_889, 102_958_410),
    _gene("HGNC:4284", "GJB2", "BIALLELIC", False, "13", 20_187_470, 20_192_938),
    _gene("HGNC:2435", "CSF2RA", "BIALLELIC", False, "X", 1_268_800, 1_310_381),
    _gene("HGNC:3551", "F8", "XLINKED_BIALLELIC", True, "X", 154_835_788, 155_026_940),
    _gene("HGNC:6990", "MECP2", "XLINKED_MONOALLELIC", True, "X", 154_021_573, 154_097_717),
    _gene("HGNC:11117", "SMN1", "BIALLELIC", False, "5", 70_924_941, 70_953_012),
)
PANEL = PanelVersion(
    panel_id="sim-test",
    name="Simulator test panel",
    version=Version(1, 0),
    genome_build="GRCh38",
    settings=RuleSettings(),
    genes=GENES,
    include=(
        IncludedVariant("7", 117_559_590, "ATCT", "A", "HGNC:1884", "test"),
        IncludedVariant("12", 102_843_700, "C", "T", "HGNC:8582", "test"),
    ),
    exclude=(ExcludedVariant("13", 20_189_473, "C", "T", "test: mild"),),
)
N = len(SCENARIO_NAMES) + 2  # every scenario, two twice


@dataclass(frozen=True)
class Record:
    chrom: str  # as written
    pos: int
    ref: str
    alts: tuple[str, ...]
    filter: str
    info: str
    format: dict[str, str]

    def keys(self, canonical: str) -> list[str]:
        """Split and trimmed as a screen names them (``ATCTT  AT,A`` -> ``ATCT>A``, ``ATCTT>A``)."""
        return [str(normalised(canonical, self.pos, self.ref, a)) for a in self.alts]


def read_vcf(path: Path) -> tuple[list[str], list[Record]]:
    header, records = [], []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                header.append(line.rstrip("\n"))
                continue
            f = line.rstrip("\n").split("\t")
            fmt = dict(zip(f[8].split(":"), f[9].split(":"), strict=True)) if len(f) > 9 else {}
            records.append(Record(f[0], int(f[1]), f[3], tuple(f[4].split(",")), f[6], f[7], fmt))
    return header, records


def canonical(chrom: str) -> str:
    c = chrom.removeprefix("chr")
    return "MT" if c == "M" else c


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return simulate_batch(PANEL, tmp_path_factory.mktemp("sim"), N, seed=7)


@pytest.fixture(scope="module")
def truth(batch) -> dict:
    return json.loads(batch.truth.read_text())


@pytest.fixture(scope="module")
def vcfs(batch) -> dict[str, tuple[list[str], list[Record]]]:
    return {b: read_vcf(batch.out_dir / "babies" / f"{b}.vcf.gz") for b in batch.baby_ids}


@pytest.fixture(scope="module")
def clinvar(batch) -> tuple[list[str], list[Record]]:
    return read_vcf(batch.clinvar_vcf)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_inputs_give_byte_identical_files(batch, tmp_path):
    again = simulate_batch(PANEL, tmp_path / "again", N, seed=7)
    first, second = _files(batch.out_dir), _files(again.out_dir)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_another_seed_gives_other_babies(batch, tmp_path):
    other = simulate_batch(PANEL, tmp_path / "other", 2, seed=8)
    name = "babies/NB0002.vcf.gz"
    assert (other.out_dir / name).read_bytes() != (batch.out_dir / name).read_bytes()


def test_every_scenario_is_planted(truth):
    assert truth["panel"] == "sim-test@1.0"
    assert truth["seed"] == 7
    scenarios = [b["scenario"] for b in truth["babies"]]
    assert set(scenarios) == set(SCENARIO_NAMES)
    skipped = [b["scenario"] for b in truth["babies"] if b["notes"].startswith("scenario not planted")]
    assert skipped == []


EXPECTED = {
    "clean": ("no_condition_suspected", None),
    "monoallelic_het_clinvar": ("condition_suspected", "heterozygous"),
    "biallelic_hom": ("condition_suspected", "homozygous"),
    "biallelic_compound_het_unphased": (
        "condition_suspected",
        "possible_compound_heterozygous_phase_unknown",
    ),
    "biallelic_compound_het_trans": ("condition_suspected", "compound_heterozygous"),
    "biallelic_cis_pair": ("no_condition_suspected", None),
    "biallelic_carrier": ("no_condition_suspected", None),  # carrier_variants: one 0/1
    "xlinked_biallelic_hemizygous_xy": ("condition_suspected", "hemizygous"),
    "xlinked_biallelic_carrier_xx": ("no_condition_suspected", None),
    "xlinked_monoallelic_het_xx": ("condition_suspected", "heterozygous"),
    "par_biallelic_carrier_xy": ("no_condition_suspected", None),
    "excluded_variant": ("no_condition_suspected", None),
    "common_lof_and_conflicting_clinvar": ("no_condition_suspected", None),
    "low_gq": ("no_condition_suspected", None),
    "filter_lowqual": ("no_condition_suspected", None),
    "multiallelic_compound_het": ("condition_suspected", "compound_heterozygous"),
    "lof_frameshift_hom": ("condition_suspected", "homozygous"),
    "plain_contig_names": ("condition_suspected", "heterozygous"),
    "sex_discordance": ("testing_not_possible", None),
    "smn1_copy_number_zero": ("condition_suspected", "copy_number_zero"),
    "qc_contamination": ("testing_not_possible", None),
    "low_allele_balance": ("no_condition_suspected", None),
    "sv_deletion_lof_hom": ("condition_suspected", "homozygous"),
    "biallelic_hom_unnormalised": ("condition_suspected", "homozygous"),
    "ft_lowgq": ("no_condition_suspected", None),
    "xx_recorded_male_chry_artefacts": ("testing_not_possible", None),
    "xxy_recorded_male": ("no_condition_suspected", None),
    "xx_many_chry_artefacts": ("no_condition_suspected", None),
    "xy_r1b_sparse_chry": ("no_condition_suspected", None),
}


def test_truth_outcomes_and_patterns(truth):
    assert set(EXPECTED) == set(SCENARIO_NAMES)
    for b in truth["babies"]:
        outcome, pattern = EXPECTED[b["scenario"]]
        assert b["expected_outcome"] == outcome, b["scenario"]
        assert [f["pattern"] for f in b["findings"]] == ([pattern] if pattern else []), b["scenario"]


def _planted(truth_baby: dict) -> list[str]:
    keys = [k for f in truth_baby["findings"] for k in f["variants"]]
    keys += truth_baby["carrier_variants"] + truth_baby["failed_quality"] + truth_baby["excluded"]
    keys += truth_baby["not_qualifying"]
    return keys


def _by_key(records: list[Record]) -> dict[str, Record]:
    return {k: r for r in records for k in r.keys(canonical(r.chrom))}


def test_planted_records_are_written_as_the_truth_says(truth, vcfs):
    for b in truth["babies"]:
        _, records = vcfs[b["sample_id"]]
        written = _by_key(records)
        for key in _planted(b):
            assert key in written, (b["scenario"], key)


def _gts(records: list[Record]) -> list[str]:
    return [r.format["GT"] for r in records]


SCENARIO_CHECKS = {
    "monoallelic_het_clinvar": lambda rs: _gts(rs) == ["0/1"],
    "biallelic_hom": lambda rs: _gts(rs) == ["1/1"] and rs[0].format["AD"].startswith("0,"),
    "biallelic_compound_het_unphased": lambda rs: _gts(rs) == ["0/1", "0/1"],
    "biallelic_compound_het_trans": lambda rs: (
        _gts(rs) == ["0|1", "1|0"] and rs[0].format["PS"] == rs[1].format["PS"]
    ),
    "biallelic_cis_pair": lambda rs: _gts(rs) == ["0|1", "0|1"] and rs[0].format["PS"] == rs[1].format["PS"],
    "xlinked_biallelic_hemizygous_xy": lambda rs: _gts(rs) in (["1"], ["1/1"]),  # by caller
    "biallelic_carrier": lambda rs: _gts(rs) == ["0/1"],
    "xlinked_biallelic_carrier_xx": lambda rs: _gts(rs) == ["0/1"],
    "par_biallelic_carrier_xy": lambda rs: _gts(rs) == ["0/1"] and rs[0].pos <= PARS["GRCh38"][0][1],
    "excluded_variant": lambda rs: _gts(rs) == ["1/1"],
    "low_gq": lambda rs: rs[0].format["GQ"] == "8" and rs[0].filter == "PASS",
    "filter_lowqual": lambda rs: rs[0].filter == "LowQual" and int(rs[0].format["GQ"]) >= 20,
    "low_allele_balance": lambda rs: rs[0].format["AD"] == "18,2",
    "multiallelic_compound_het": lambda rs: (
        rs[0] is rs[1] and len(rs[0].alts) == 2 and _gts(rs) == ["1/2"] * 2
    ),
    "lof_frameshift_hom": lambda rs: (
        len(rs[0].ref) == 2 and len(rs[0].alts[0]) == 1 and "-|frameshift_variant|HIGH" in rs[0].info
    ),
    "common_lof_and_conflicting_clinvar": lambda rs: (
        "stop_gained" in rs[0].info and "gnomAD_AF_afr=0.004" in rs[0].info
    ),
    "sv_deletion_lof_hom": lambda rs: (
        rs[0].alts == ("<DEL>",)
        and _gts(rs) == ["1/1"]
        and rs[0].info.startswith("SVTYPE=DEL;END=")
        and "CSQ=deletion|transcript_ablation|HIGH|" in rs[0].info
    ),
    "biallelic_hom_unnormalised": lambda rs: (
        len(rs) == 1
        and len(rs[0].alts) == 2
        and rs[0].alts[0] == rs[0].alts[1] + rs[0].ref[-1]
        and len(rs[0].ref) >= 3
        and _gts(rs) == ["1/1"]
        and rs[0].format["AD"].count(",") == 2
    ),
    "ft_lowgq": lambda rs: (
        rs[0].format["FT"] == "LowGQ" and rs[0].filter == "PASS" and int(rs[0].format["GQ"]) >= 20
    ),
}


def test_scenario_checks_hold(truth, vcfs):
    for b in truth["babies"]:
        check = SCENARIO_CHECKS.get(b["scenario"])
        if check is None:
            continue
        written = _by_key(vcfs[b["sample_id"]][1])
        assert check([written[k] for k in _planted(b)]), b["scenario"]


def test_vcfs_are_bgzipped_indexed_and_sorted(batch, truth, vcfs):
    for b in truth["babies"]:
        path = batch.out_dir / "babies" / f"{b['sample_id']}.vcf.gz"
        raw = path.read_bytes()
        assert raw[:4] == b"\x1f\x8b\x08\x04"  # BGZF block header
        assert raw[12:14] == b"BC"
        assert raw.endswith(bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000"))
        assert path.with_name(path.name + ".tbi").is_file()
        header, records = vcfs[b["sample_id"]]
        order = [(CONTIG_INDEX[canonical(r.chrom)], r.pos) for r in records]
        assert order == sorted(order)
        assert header[-1].split("\t")[-1] == b["vcf_sample"]
        key = _planted(b)[0] if _planted(b) else None
        if key:  # the index answers a region query for the planted record
            chrom, pos = key.split(":")[0], int(key.split(":")[1])
            name = chrom if b["chrom_style"] == "plain" else f"chr{chrom}"
            with pysam.TabixFile(str(path)) as tbx:
                assert any(line.split("\t")[1] == str(pos) for line in tbx.fetch(name, pos - 1, pos))


def test_header_declares_what_records_use(vcfs, truth):
    header, records = vcfs[truth["babies"][0]["sample_id"]]
    text = "\n".join(header)
    assert header[0] == "##fileformat=VCFv4.2"
    assert "##reference=GRCh38" in header
    assert "##contig=<ID=chr1,length=248956422,assembly=GRCh38>" in header
    assert "##contig=<ID=chrM,length=16569,assembly=GRCh38>" in header
    assert (
        "Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|BIOTYPE|HGNC_ID|MANE_SELECT|MANE_PLUS_CLINICAL"
        in text
    )
    for tag in ("GT", "GQ", "DP", "AD", "PS"):
        assert f"##FORMAT=<ID={tag}," in text
    for suffix in ("", "_afr", "_amr", "_asj", "_eas", "_fin", "_nfe", "_sas"):
        assert f"##INFO=<ID=gnomAD_AF{suffix},Number=A,Type=Float," in text
    assert {r.filter for r in records} == {"PASS", "LowQual"}


def test_plain_contig_baby_uses_plain_names_throughout(truth, vcfs):
    (baby,) = [b for b in truth["babies"] if b["scenario"] == "plain_contig_names"]
    header, records = vcfs[baby["sample_id"]]
    assert "##contig=<ID=1,length=248956422,assembly=GRCh38>" in header
    assert "##contig=<ID=MT,length=16569,assembly=GRCh38>" in header
    assert not any(r.chrom.startswith("chr") for r in records)


def test_background_realism(vcfs, truth):
    baby = truth["babies"][0]
    _, records = vcfs[baby["sample_id"]]
    autosomal = [r for r in records if canonical(r.chrom) not in ("X", "Y")]
    het = sum(r.format["GT"] == "0/1" for r in autosomal) / len(autosomal)
    assert 0.5 < het < 0.7
    assert any(r.format["GT"] == "1/2" and len(r.alts) == 2 for r in autosomal)
    assert any(len(r.ref) == 2 and r.info.startswith("CSQ=-|") for r in autosomal)
    for r in autosomal:
        ad = [int(x) for x in r.format["AD"].split(",")]
        assert sum(ad) == int(r.format["DP"])
        assert len(ad) == len(r.alts) + 1
        if r.format["GT"] == "0/1":
            assert min(ad) > 0
    lof_terms = ("stop_gained", "frameshift_variant", "splice_", "start_lost", "stop_lost")
    planted = set(_planted(baby))
    for r in records:
        if not set(r.keys(canonical(r.chrom))) & planted:
            assert not any(t in r.info for t in lof_terms)


def test_pseudo_reference_is_consistent(truth, vcfs, clinvar):
    """Every SNV REF in every file equals the pseudo reference (listed variants keep their own REF)."""
    listed = {(v.chrom, v.pos) for v in (*PANEL.include, *PANEL.exclude)}
    for _, records in [*vcfs.values(), clinvar]:
        for r in records:
            chrom = canonical(r.chrom)
            if (chrom, r.pos) not in listed:
                assert r.ref == ref_seq(chrom, r.pos, len(r.ref))


def _reserved(clinvar_records: list[Record]) -> set[tuple[str, int]]:
    spots = {(canonical(r.chrom), r.pos + i) for r in clinvar_records for i in range(len(r.ref))}
    for v in (*PANEL.include, *PANEL.exclude):
        spots |= {(v.chrom, v.pos + i) for i in range(len(v.ref))}
    return spots


def test_background_never_touches_listed_or_clinvar_positions(truth, vcfs, clinvar):
    reserved = _reserved(clinvar[1])
    for b in truth["babies"]:
        planted = set(_planted(b))
        for r in vcfs[b["sample_id"]][1]:
            chrom = canonical(r.chrom)
            if set(r.keys(chrom)) & planted:
                continue
            overlap = {(chrom, r.pos + i) for i in range(len(r.ref))} & reserved
            assert not overlap, (b["sample_id"], r.chrom, r.pos)


HET = ("0/1", "0|1", "1|0")


def test_sex_chromosomes_carry_the_karyotype(truth, vcfs):
    """Population-like sex chromosomes: chrX heterozygosity by X count, chrY by haplogroup, het chrY
    artefacts in every kind of genome, hemizygous calls haploid or diploid by caller."""
    par1, par2 = PARS["GRCh38"]
    (msy, _), (xtr_lo, xtr_hi) = Y_MSY_SEGMENTS["GRCh38"], Y_XTR["GRCh38"]
    for b in truth["babies"]:
        records = vcfs[b["sample_id"]][1]
        x = [r for r in records if canonical(r.chrom) == "X" and par1[1] < r.pos < par2[0]]
        y = [r for r in records if canonical(r.chrom) == "Y"]
        y_het = [r for r in y if r.format["GT"] in HET]
        y_hemi = [r for r in y if r.format["GT"] in ("1", "1/1")]
        het = sum(r.format["GT"] in HET for r in x) / len(x)
        assert len(x) >= 1_000, b["sample_id"]
        assert len(y_het) == b["chry_het_artefacts"], b["sample_id"]
        assert 0 <= len(y_het) <= 100
        if y_het:  # mostly in the X-transposed region
            assert sum(xtr_lo <= r.pos <= xtr_hi for r in y_het) / len(y_het) >= 0.5, b["sample_id"]
        if "Y" not in b["karyotype"]:
            assert not y_hemi, b["sample_id"]
        else:
            assert 150 <= len(y_hemi) <= 3_000, b["sample_id"]
            assert len(y_hemi) >= 0.98 * b["chry_calls"]
            positions = sorted(r.pos for r in y_hemi)
            assert positions[0] < msy[0] + 3_000_000
            assert positions[-1] > msy[1] - 3_000_000
            style = "1" if b["caller"] == "dragen" else "1/1"
            assert {r.format["GT"] for r in y_hemi} == {style}, b["sample_id"]
        if b["karyotype"].count("X") == 2:
            assert het >= 0.4, b["sample_id"]
        else:
            assert het <= 0.03, b["sample_id"]
            hemi_x = {r.format["GT"] for r in x} - set(HET)
            assert hemi_x == ({"1"} if b["caller"] == "dragen" else {"1/1"}), b["sample_id"]


def test_batch_has_every_caller_style_and_girls_with_chry_artefacts(truth):
    callers = {(b["caller"], "Y" in b["karyotype"]) for b in truth["babies"]}
    assert {c for c, _ in callers} == set(FORMAT_KEYS)
    assert {("dragen", True), ("gatk", True), ("dragen", False)} <= callers
    girls = [b["chry_het_artefacts"] for b in truth["babies"] if "Y" not in b["karyotype"]]
    assert max(girls) >= 50
    haplogroups = {b["chry_haplogroup"] for b in truth["babies"] if "Y" in b["karyotype"]}
    assert "R1b" in haplogroups
    assert len(haplogroups) >= 3


def test_format_follows_the_caller_and_number_g(truth, vcfs):
    for b in truth["babies"]:
        header, records = vcfs[b["sample_id"]]
        keys = FORMAT_KEYS[b["caller"]]
        assert ("##FORMAT=<ID=FT," in "\n".join(header)) == ("FT" in keys)
        for r in records:
            assert tuple(r.format)[: len(keys)] == keys, (b["sample_id"], r.pos)
            ploidy = len(r.format["GT"].replace("|", "/").split("/"))
            n_alleles = len(r.alts) + 1
            expected = n_alleles if ploidy == 1 else n_alleles * (n_alleles + 1) // 2
            assert len(r.format["PL"].split(",")) == expected, (b["sample_id"], r.pos)
            if "FT" in keys:
                assert r.format["FT"] == ("LowGQ" if int(r.format["GQ"]) < 20 else "PASS") or (
                    b["scenario"] == "ft_lowgq"
                )


def test_multiallelic_indels_are_written_unnormalised(truth, vcfs):
    _, records = vcfs[truth["babies"][0]["sample_id"]]
    padded = [r for r in records if len(r.alts) == 2 and len(r.ref) == 3 and r.alts[1] == r.ref[0]]
    assert padded
    for r in padded:
        assert r.alts[0] == r.ref[0] + r.ref[2]  # shares REF's last base: ALT 1 needs trimming
        assert r.format["GT"] == "1/2"


def test_simulator_does_not_place_calls_by_the_engines_windows():
    for path in (Path(__file__).resolve().parents[2] / "screening" / "simulate").glob("*.py"):
        source = path.read_text()
        assert "karyotype_windows" not in source
        assert "screening.inheritance" not in source


def test_clinvar_snapshot_layout_and_planted_records(batch, truth, clinvar):
    header, records = clinvar
    assert header[:4] == [
        "##fileformat=VCFv4.1",
        "##fileDate=2025-02-23",
        "##source=ClinVar",
        "##reference=GRCh38",
    ]
    text = "\n".join(header)
    for tag in ("CLNSIG", "CLNSIGCONF", "CLNREVSTAT", "GENEINFO", "ALLELEID", "CLNVC"):
        assert f"##INFO=<ID={tag}," in text
    assert all(not r.chrom.startswith("chr") for r in records)
    order = [(CONTIG_INDEX[r.chrom], r.pos) for r in records]
    assert order == sorted(order)
    info = {k: dict(f.split("=", 1) for f in r.info.split(";")) for r in records for k in r.keys(r.chrom)}
    plp = {"Pathogenic", "Likely_pathogenic", "Pathogenic/Likely_pathogenic"}
    for b in truth["babies"]:
        if b["scenario"] in ("monoallelic_het_clinvar", "low_gq", "filter_lowqual", "low_allele_balance"):
            key = (b["findings"][0]["variants"] if b["findings"] else b["failed_quality"])[0]
            assert info[key]["CLNSIG"] in plp
            assert info[key]["GENEINFO"].split(":")[0] in {g.symbol for g in GENES}
        if b["scenario"] == "excluded_variant":
            assert info[b["excluded"][0]]["CLNSIG"] == "Pathogenic"
        if b["scenario"] == "common_lof_and_conflicting_clinvar":
            lof, conflicting = b["not_qualifying"]
            assert lof not in info
            assert info[conflicting]["CLNSIGCONF"] == "Pathogenic(1)|Benign(2)"
    kinds = {i["CLNSIG"] for i in info.values()}
    assert {
        "Benign",
        "Likely_benign",
        "Uncertain_significance",
        "Conflicting_classifications_of_pathogenicity",
    } <= kinds
    assert len({r.info.split(";")[0] for r in records}) == len(records)  # ALLELEID unique


def test_planted_clinvar_variants_are_not_shared_between_babies(truth):
    """So a cohort allele frequency of the batch stays below the ClinVar route's 0.05 cap."""
    seen: dict[str, str] = {}
    for b in truth["babies"]:
        if b["scenario"] in ("biallelic_hom", "excluded_variant", "biallelic_hom_unnormalised"):
            continue  # listed variants, reused on purpose
        for key in _planted(b):
            assert key not in seen, (key, seen.get(key), b["sample_id"])
            seen[key] = b["sample_id"]


def test_manifest(batch, truth):
    with batch.manifest.open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == MANIFEST_COLUMNS
        rows = {r["sample_id"]: r for r in reader}
    babies = {b["sample_id"]: b for b in truth["babies"]}
    assert list(rows) == list(batch.baby_ids)
    for sid, row in rows.items():
        b = babies[sid]
        assert (batch.manifest.parent / row["vcf"]).is_file()
        assert row["vcf_sample"] == b["vcf_sample"]
        assert row["sex"] == b["recorded_sex"]
        assert 97 <= float(row["pct_autosomal_15x"]) <= 99
        assert 90 <= float(row["q30_gb"]) <= 120
        if b["scenario"] == "qc_contamination":
            assert row["contamination_pct"] == "3.2"
        else:
            assert 0.1 <= float(row["contamination_pct"]) <= 0.8
        expected_smn1 = {"smn1_copy_number_zero": "0", "clean": ""}.get(b["scenario"], "2")
        assert row["smn1_copies"] == expected_smn1
        expected_sex = {"XX": "female", "XY": "male", "XXY": "male"}[b["karyotype"]]
        if b["scenario"] == "xx_recorded_male_chry_artefacts":
            expected_sex = "male"
        elif b["scenario"] == "sex_discordance":
            expected_sex = "female"
            assert b["karyotype"] == "XY"
        elif b["scenario"] == "biallelic_carrier":
            expected_sex = "unknown"
        assert row["sex"] == expected_sex


def test_panel_without_x_linked_genes_notes_the_skipped_scenarios(tmp_path):
    autosomal = tuple(g for g in GENES if g.chrom != "X")
    panel = PanelVersion("small", "Small", Version(1, 0), "GRCh38", RuleSettings(), autosomal)
    result = simulate_batch(panel, tmp_path, len(SCENARIO_NAMES), seed=3)
    babies = json.loads(result.truth.read_text())["babies"]
    skipped = {b["scenario"] for b in babies if b["notes"].startswith("scenario not planted")}
    assert skipped == {
        "xlinked_biallelic_hemizygous_xy",
        "xlinked_biallelic_carrier_xx",
        "xlinked_monoallelic_het_xx",
        "par_biallelic_carrier_xy",
        "excluded_variant",
    }
    assert all(b["expected_outcome"] == "no_condition_suspected" for b in babies if b["scenario"] in skipped)
    hom = next(b for b in babies if b["scenario"] == "biallelic_hom")
    assert "ClinVar" in hom["notes"]  # no include list: falls back to a ClinVar variant


def test_invalid_arguments_are_reported_together(tmp_path):
    with pytest.raises(ValidationError) as err:
        simulate_batch(PANEL, tmp_path, 0, seed=-1, scale="genome")  # type: ignore[arg-type]
    assert {p.where for p in err.value.problems} == {"n_babies", "seed", "scale"}


def test_cli_writes_a_batch_and_summarises(tmp_path, monkeypatch):
    from screening.cli import main
    from screening.cli import simulate as cli_simulate

    monkeypatch.setattr(cli_simulate, "_load_panel", lambda folder: PANEL)
    (tmp_path / "panel").mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["simulate", "--panel", str(tmp_path / "panel"), "--out", str(out), "-n", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "3 babies (panel scale, seed 1)" in result.output
    assert "monoallelic_het_clinvar" in result.output
    assert (out / "manifest.csv").is_file()
    assert (out / "babies" / "NB0003.vcf.gz.tbi").is_file()
