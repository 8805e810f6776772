"""The engine on real public VCFs from ../shared/data (read in place; skipped when absent)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening import inheritance, vcf, vcf_screen
from screening.cli import main
from screening.domain import (
    GRCH37,
    GRCH38,
    IncludedVariant,
    Karyotype,
    Moi,
    Outcome,
    PanelGene,
    PanelVersion,
    Pattern,
    RuleSettings,
    SampleInput,
    Sex,
    Version,
)
from screening.simulate.vcf_files import write_vcf_bgzip_indexed

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared test data not found at {SHARED}")

FGFR2 = PanelGene(
    "HGNC:3689", "FGFR2", Moi.MONOALLELIC, "Pfeiffer syndrome", False, "10", 123_237_848, 123_357_972
)
AGRN = PanelGene(
    "HGNC:329", "AGRN", Moi.BIALLELIC, "congenital myasthenic syndrome 8", True, "1", 955_503, 991_499
)
CHTF18 = PanelGene("HGNC:18435", "CHTF18", Moi.BIALLELIC, "test entry", True, "16", 780_000, 800_000)


def _panel(build, genes, include=()) -> PanelVersion:
    return PanelVersion(
        panel_id="real-data-test",
        name="real data test",
        version=Version(1, 0),
        genome_build=build,
        settings=RuleSettings(),
        genes=tuple(genes),
        include=tuple(include),
        sha256="f" * 64,
    )


def _indexed(src: Path, tmp_path: Path) -> Path:
    """A bgzipped + indexed copy (the shared files come without an index)."""
    plain = tmp_path / src.name.removesuffix(".gz")
    if src.suffix == ".gz":
        import gzip

        plain.write_bytes(gzip.decompress(src.read_bytes()))
    else:
        shutil.copy(src, plain)
    return write_vcf_bgzip_indexed(plain, tmp_path / (plain.name + ".gz"))


@pytest.fixture(scope="module")
def pfeiffer(tmp_path_factory) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED}")
    return _indexed(
        SHARED / "vcf" / "exomiser_Pfeiffer_spiked_FGFR2.GRCh37.vcf.gz", tmp_path_factory.mktemp("pf")
    )


@needs_shared
def test_exomiser_spiked_fgfr2_is_flagged_and_nothing_else(pfeiffer, tmp_path):
    clinvar_path = _indexed(SHARED / "clinvar" / "clinvar_20191007_excerpt.GRCh37.vcf.gz", tmp_path)
    spiked = IncludedVariant("10", 123_256_215, "T", "G", "HGNC:3689", "Exomiser spiked variant")
    panel = _panel(GRCH37, [FGFR2, AGRN], [spiked])
    clinvar = vcf.read_clinvar(str(clinvar_path), GRCH37, None)
    result = vcf_screen.screen_vcf(panel, SampleInput("manuel", "manuel", Sex.UNKNOWN), pfeiffer, clinvar)
    assert result.outcome is Outcome.CONDITION_SUSPECTED
    (finding,) = result.findings
    assert (finding.symbol, finding.pattern) == ("FGFR2", Pattern.HETEROZYGOUS)
    (variant,) = finding.variants
    assert (variant.chrom, variant.pos, variant.ref, variant.alt, variant.gt) == (
        "10",
        123_256_215,
        "T",
        "G",
        "0/1",
    )
    assert any("loss-of-function route not evaluated" in n for n in result.not_evaluated)
    assert result.provenance.clinvar_release_date == "2019-10-07"


@needs_shared
def test_exomiser_without_the_spiked_variant_on_the_panel_gives_no_finding(pfeiffer):
    panel = _panel(GRCH37, [FGFR2, AGRN])
    result = vcf_screen.screen_vcf(panel, SampleInput("manuel", "manuel", Sex.UNKNOWN), pfeiffer, None)
    assert result.outcome is Outcome.NO_CONDITION_SUSPECTED
    assert result.findings == ()


@needs_shared
@needs_shared
def test_exomiser_exome_has_two_x_and_its_heterozygous_chry_calls_are_artefacts(pfeiffer):
    """The real exome: chrX heterozygous fraction ~0.41 (two X) and 43 chrY calls, every one
    heterozygous (mismapped reads). It is XX, and a recorded girl is screened, not held."""
    panel = _panel(GRCH37, [FGFR2, AGRN])
    result = vcf_screen.screen_vcf(panel, SampleInput("manuel", "manuel", Sex.FEMALE), pfeiffer, None)
    assert result.karyotype is Karyotype.XX
    assert result.outcome is not Outcome.TESTING_NOT_POSSIBLE, result.reasons
    evidence = vcf.read_sex_evidence(
        str(pfeiffer),
        "manuel",
        "GRCh37",
        inheritance.whole_x("GRCh37"),
        inheritance.male_specific_y("GRCh37"),
    )
    assert evidence.y_calls >= 40
    assert evidence.y_hemi == 0
    assert 0.35 < evidence.x_het / evidence.x_calls < 0.5
    held = vcf_screen.screen_vcf(panel, SampleInput("manuel", "manuel", Sex.MALE), pfeiffer, None)
    assert held.outcome is Outcome.TESTING_NOT_POSSIBLE
    assert "two X chromosomes and no Y evidence" in held.reasons[0]


def test_exomiser_against_a_grch38_panel_is_refused_naming_the_build(pfeiffer):
    from screening.errors import VcfError

    panel = _panel(GRCH38, [FGFR2])
    with pytest.raises(VcfError, match="GRCh37"):
        vcf_screen.screen_vcf(panel, SampleInput("manuel", "manuel", Sex.UNKNOWN), pfeiffer, None)


@needs_shared
def test_udn_trio_compound_heterozygote_in_the_daughter_only(tmp_path):
    path = _indexed(SHARED / "vcf" / "udn_trio_comphet_bcsq.GRCh38.vcf", tmp_path)
    include = [
        IncludedVariant("16", 788_413, "C", "CCCCGGCCCG", "HGNC:18435", "test"),
        IncludedVariant("16", 793_183, "G", "A", "HGNC:18435", "test"),
    ]
    panel = _panel(GRCH38, [CHTF18], include)
    daughter = vcf_screen.screen_vcf(panel, SampleInput("d", "UDN810123", Sex.FEMALE), path, None)
    assert daughter.outcome is Outcome.CONDITION_SUSPECTED
    (finding,) = daughter.findings
    assert finding.pattern is Pattern.COMPOUND_HET_PHASE_UNKNOWN  # 788413 has PGT/PID, 793183 has none
    assert [v.pos for v in finding.variants] == [788_413, 793_183]
    father = vcf_screen.screen_vcf(panel, SampleInput("f", "UDN231974", Sex.MALE), path, None)
    assert father.outcome is Outcome.NO_CONDITION_SUSPECTED
    assert father.candidates == ()


@needs_shared
def test_screen_command_prints_the_documented_json(pfeiffer, tmp_path):
    panel_dir = tmp_path / "panel"
    from screening import digest, panels

    spiked = IncludedVariant("10", 123_256_215, "T", "G", "HGNC:3689", "Exomiser spiked variant")
    panels.write_panel(_panel(GRCH37, [FGFR2], [spiked]), panel_dir)
    args = ["screen", "--panel", str(panel_dir), "--vcf", str(pfeiffer), "--format", "json"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["outcome"] == "condition_suspected"
    assert {"outcome", "karyotype", "reasons", "findings", "provenance"} <= set(doc)
    (f,) = doc["findings"]
    assert {"hgnc_id", "symbol", "moi", "pattern", "variants"} <= set(f)
    assert {"chrom", "pos", "ref", "alt", "zygosity", "routes"} <= set(f["variants"][0])
    assert doc["provenance"]["vcf_sha256"] == digest.sha256_file(pfeiffer)
    again = CliRunner().invoke(main, args)
    assert again.output == out.output  # byte-identical


def test_screen_command_names_the_file_for_bad_input(tmp_path):
    missing = tmp_path / "nowhere.vcf.gz"
    panel_dir = Path(__file__).resolve().parents[2] / "gene_panels" / "newborn-actionable"
    out = CliRunner().invoke(
        main, ["screen", "--panel", str(panel_dir), "--vcf", str(missing), "--sample", "x"]
    )
    assert out.exit_code == 2
    assert "nowhere.vcf.gz" in out.output
