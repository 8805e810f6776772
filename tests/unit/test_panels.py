"""Panel folders: starter panel, validation problems with file:line, sha256, PanelApp MOI, regions."""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest

from screening import panel_content, panel_toml
from screening.domain import LATE_SETTINGS, Moi, PanelGene, RuleSettings, Urgency, Version
from screening.errors import PanelError
from screening.panel_content import canonical_content, panel_sha256
from screening.panels import (
    load_panel,
    map_panelapp_moi,
    region_list,
    validate_panel,
    write_panel,
)

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "gene_panels" / "newborn-actionable"
TEST_PANELS = REPO / "tests" / "data" / "panels"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

TOML = """id = "t"
name = "Test"
version = "1.0"
genome_build = "GRCh38"
"""
GENES_HEADER = "hgnc_id\tsymbol\tmoi\tcondition\tlof_mechanism\tchrom\tstart\tend\n"
CFTR = "HGNC:1884\tCFTR\tBIALLELIC\tCystic fibrosis\ttrue\tchr7\t117465784\t117715971\n"
HBB = "HGNC:4827\tHBB\tBIALLELIC\tSickle cell disease\tfalse\t11\t5225464\t5229395\n"
INCLUDE_HEADER = "chrom\tpos\tref\talt\thgnc_id\tsource\n"
F508DEL = "chr7\t117559590\tATCT\tA\tHGNC:1884\trs113993960\n"
EXCLUDE_HEADER = "chrom\tpos\tref\talt\treason\n"


def make_panel(
    root: Path, toml: str = TOML, genes: str = CFTR + HBB, include: str = F508DEL, exclude: str = ""
):
    folder = root / "panel"
    folder.mkdir()
    (folder / "panel.toml").write_text(toml)
    (folder / "genes.tsv").write_text(GENES_HEADER + genes)
    (folder / "include.tsv").write_text(INCLUDE_HEADER + include)
    (folder / "exclude.tsv").write_text(EXCLUDE_HEADER + exclude)
    return folder


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in validate_panel(folder)]


# ---------------------------------------------------------------- real panels


def test_starter_panel_loads_with_enough_active_genes():
    panel = load_panel(STARTER)
    assert panel.panel_id == "newborn-actionable"
    assert panel.genome_build == "GRCh38"
    assert panel.version == Version(1, 0)
    assert len(panel.active_genes) >= 150
    assert panel.settings == RuleSettings()
    by_id = {g.hgnc_id: g for g in panel.genes}
    assert by_id["HGNC:2435"].moi is Moi.BIALLELIC
    assert by_id["HGNC:2435"].chrom == "X"
    assert by_id["HGNC:11117"].symbol == "SMN1"
    assert by_id["HGNC:11117"].moi is Moi.BIALLELIC
    assert by_id["HGNC:4827"].lof_mechanism is False  # HBB
    assert all(g.source for g in panel.genes)
    assert len(panel.include) >= 2
    assert len(panel.exclude) >= 1


def test_starter_genes_tsv_is_in_canonical_form(tmp_path):
    write_panel(load_panel(STARTER), tmp_path)
    assert (tmp_path / "genes.tsv").read_bytes() == (STARTER / "genes.tsv").read_bytes()


@pytest.mark.parametrize("name", ["tiny-grch38", "fgfr2-grch37", "tiny-grch37"])
def test_test_panels_load(name):
    panel = load_panel(TEST_PANELS / name)
    assert panel.panel_id == name


def test_fgfr2_panel_has_the_spiked_variant():
    panel = load_panel(TEST_PANELS / "fgfr2-grch37")
    assert panel.genome_build == "GRCh37"
    (gene,) = panel.genes
    assert (gene.hgnc_id, gene.moi) == ("HGNC:3689", Moi.MONOALLELIC)
    (variant,) = panel.include
    assert (variant.chrom, variant.pos, variant.ref, variant.alt) == ("10", 123256215, "T", "G")


# ---------------------------------------------------------------- one problem per folder

BROKEN = {
    "unknown moi": (
        {"genes": CFTR.replace("BIALLELIC", "RECESSIVE")},
        "genes.tsv:2: unknown mode of inheritance 'RECESSIVE'",
    ),
    "mitochondrial moi": (
        {"genes": CFTR.replace("BIALLELIC", "MITOCHONDRIAL")},
        "genes.tsv:2: mode of inheritance 'MITOCHONDRIAL' cannot be screened",
    ),
    "unknown moi text": (
        {"genes": CFTR.replace("BIALLELIC", "Unknown")},
        "genes.tsv:2: mode of inheritance 'Unknown' cannot be screened",
    ),
    "empty moi": (
        {"genes": CFTR.replace("BIALLELIC", "")},
        "genes.tsv:2: mode of inheritance '' cannot be screened",
    ),
    "duplicate gene and moi": (
        {"genes": CFTR + HBB + CFTR},
        "genes.tsv:4: HGNC:1884 BIALLELIC is already listed at",
    ),
    "bad hgnc id": (
        {"genes": CFTR.replace("HGNC:1884", "1884")},
        "genes.tsv:2: hgnc_id '1884' is not of the form HGNC:",
    ),
    "start after end": (
        {"genes": CFTR + HBB.replace("5225464\t5229395", "5229395\t5225464")},
        "genes.tsv:3: start 5229395 is after end 5225464",
    ),
    "unknown contig": (
        {"genes": CFTR + HBB.replace("\t11\t", "\tchr99\t")},
        "genes.tsv:3: chromosome 'chr99' is not a contig of GRCh38",
    ),
    "beyond contig": (
        {"genes": CFTR + HBB.replace("5229395", "999999999")},
        "genes.tsv:3: end 999999999 is beyond the end of chromosome 11",
    ),
    "lof not boolean": (
        {"genes": CFTR + HBB.replace("\tfalse\t", "\tno\t")},
        "genes.tsv:3: lof_mechanism must be true or false",
    ),
    "x-linked mode on an autosome": (
        {"genes": CFTR + HBB.replace("BIALLELIC", "XLINKED_BIALLELIC")},
        "genes.tsv:3: XLINKED_BIALLELIC is an X-linked mode but HBB lies in chromosome 11",
    ),
    "autosomal mode outside the PARs": (
        {"genes": CFTR + "HGNC:8512\tOTC\tMONOALLELIC\tOTC deficiency\ttrue\tX\t38352545\t38421450\n"},
        "genes.tsv:3: OTC is on chrX outside the PARs",
    ),
    "wrong field count": (
        {"genes": CFTR + "HGNC:4827\tHBB\n"},
        "genes.tsv:3: 2 field(s) but the header has 8",
    ),
    "bad version": (
        {"toml": TOML.replace('"1.0"', '"1.0.1"')},
        "panel.toml:3: version '1.0.1' is not MAJOR.MINOR",
    ),
    "float version": (
        {"toml": TOML.replace('"1.0"', "1.10")},
        'panel.toml:3: version must be a quoted string, e.g. version = "1.10"',
    ),
    "float version with a comment": (
        {"toml": TOML.replace('"1.0"', "1.10  # the tenth minor version")},
        'panel.toml:3: version must be a quoted string, e.g. version = "1.10": TOML reads 1.10 as the number',
    ),
    "unknown build": ({"toml": TOML.replace("GRCh38", "hg19")}, "panel.toml:4: unknown genome_build 'hg19'"),
    "missing id": ({"toml": TOML.replace('id = "t"\n', "")}, "panel.toml: 'id' is missing"),
    "unknown top key": ({"toml": TOML + 'owner = "me"\n'}, "panel.toml:5: unknown key 'owner'"),
    "not toml": ({"toml": TOML + "version = \n"}, "panel.toml:5: not valid TOML"),
    "unknown setting": (
        {"toml": TOML + "[settings]\nmin_qual = 30\n"},
        "panel.toml:6: unknown setting 'min_qual'",
    ),
    "setting of wrong type": (
        {"toml": TOML + '[settings]\nmin_gq = "20"\n'},
        "panel.toml:6: min_gq must be a whole number, not '20'",
    ),
    "float for an int setting": (
        {"toml": TOML + "[settings]\npadding_bp = 2000.5\n"},
        "panel.toml:6: padding_bp must be a whole number",
    ),
    "setting out of range": (
        {"toml": TOML + "[settings]\nhet_ab_max = 1.5\n"},
        "panel.toml:6: het_ab_max = 1.5 is outside 0..1",
    ),
    "stars out of range": (
        {"toml": TOML + "[settings]\nclinvar_min_stars = 5\n"},
        "panel.toml:6: clinvar_min_stars = 5 is outside 0..4",
    ),
    "inconsistent allele balance": (
        {"toml": TOML + "[settings]\nhet_ab_min = 0.7\nhet_ab_max = 0.6\n"},
        "panel.toml:6: het_ab_min 0.7 is above het_ab_max 0.6",
    ),
    "incomplete af caps": (
        {"toml": TOML + "[settings.lof_af_caps.BIALLELIC]\ndefault = 0.01\n"},
        "panel.toml:5: lof_af_caps must have one table for each of",
    ),
    "af cap for an unknown population": (
        {"toml": TOML + '[settings.population_af_fields]\nall = "AF"\n'},
        "lof_af_caps.MONOALLELIC: population(s) afr, asj, eas, sas not in population_af_fields",
    ),
    "include gene not in panel": (
        {"include": F508DEL.replace("HGNC:1884", "HGNC:4057")},
        "include.tsv:2: HGNC:4057 is not a gene of this panel",
    ),
    "include outside gene": (
        {"include": F508DEL.replace("117559590", "100000000")},
        "include.tsv:2: variant 7:100000000 ATCT>A lies outside CFTR",
    ),
    "bad allele": (
        {"include": F508DEL.replace("ATCT", "ATXT")},
        "include.tsv:2: ref 'ATXT' must be upper-case A, C, G, T or N only",
    ),
    "not normalised": (
        {"include": F508DEL.replace("ATCT\tA", "ATCT\tAT")},
        "include.tsv:2: ATCT>AT is not normalised",
    ),
    "duplicate include": (
        {"include": F508DEL + F508DEL.replace("chr7", "7")},
        "include.tsv:3: variant 7:117559590 ATCT>A is already listed at",
    ),
    "included and excluded": (
        {"exclude": "7\t117559590\tATCT\tA\tartefact\n"},
        "exclude.tsv:2: variant 7:117559590 ATCT>A is both excluded and included",
    ),
    "exclude without reason": ({"exclude": "3\t15645186\tG\tC\t\n"}, "exclude.tsv:2: reason is empty"),
    "variant beyond contig": (
        {"exclude": "3\t298295559\tG\tC\tx\n"},
        "exclude.tsv:2: variant end 298295559 is beyond the end of chromosome 3",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_problem_is_reported_with_file_and_line(tmp_path, case):
    files, expected = BROKEN[case]
    found = problems_of(make_panel(tmp_path, **files))
    assert any(expected in p for p in found), found
    with pytest.raises(PanelError) as info:
        load_panel(tmp_path / "panel")
    assert expected in str(info.value)


def test_missing_column_and_missing_file(tmp_path):
    folder = make_panel(tmp_path)
    (folder / "genes.tsv").write_text("hgnc_id symbol moi\n" + CFTR)
    (folder / "exclude.tsv").unlink()
    found = problems_of(folder)
    assert any(
        "genes.tsv:1: missing column(s): hgnc_id symbol moi condition" in p and "tabs" in p for p in found
    )
    assert any(
        p.endswith("exclude.tsv: file is missing (an empty list is a file with only the header)")
        for p in found
    )


def test_unknown_column_is_refused(tmp_path):
    folder = make_panel(tmp_path)
    (folder / "genes.tsv").write_text(
        GENES_HEADER.replace("\n", "\tcolour\n") + CFTR.replace("\n", "\tred\n")
    )
    assert any("genes.tsv:1: unknown column(s): colour" in p for p in problems_of(folder))


def test_optional_gene_columns(tmp_path):
    folder = make_panel(tmp_path)
    header = GENES_HEADER.replace("\n", "\ttranscript\tactive\tsource\n")
    rows = CFTR.replace("\n", "\tENST00000003084\ttrue\tcurated\n") + HBB.replace("\n", "\t\tfalse\t\n")
    (folder / "genes.tsv").write_text(header + rows)
    panel = load_panel(folder)
    assert [g.symbol for g in panel.active_genes] == ["CFTR"]
    assert panel.genes[0].transcript == "ENST00000003084"
    assert panel.genes[1].transcript is None
    (folder / "genes.tsv").write_text(header + CFTR.replace("\n", "\tNM-1\tmaybe\t\n"))
    found = problems_of(folder)
    assert any("transcript 'NM-1' is not" in p for p in found)
    assert any("active must be true or false" in p for p in found)


def test_several_problems_are_reported_at_once(tmp_path):
    folder = make_panel(
        tmp_path,
        toml=TOML.replace('"1.0"', "1.10") + "[settings]\nmin_gq = -1\n",
        genes=CFTR.replace("BIALLELIC", "MITOCHONDRIAL") + HBB.replace("5225464", "9999999"),
        include=F508DEL.replace("ATCT", "atct"),
        exclude="chr3\t15645186\tG\tG\tsame\n",
    )
    with pytest.raises(PanelError) as info:
        load_panel(folder)
    wheres = [p.where for p in info.value.problems]
    assert f"{folder}/panel.toml:3" in wheres  # float version
    assert f"{folder}/panel.toml:6" in wheres  # min_gq
    assert f"{folder}/genes.tsv:2" in wheres  # MITOCHONDRIAL
    assert f"{folder}/genes.tsv:3" in wheres  # start > end
    assert f"{folder}/include.tsv:2" in wheres  # lower-case ref
    assert f"{folder}/exclude.tsv:2" in wheres  # ref == alt
    assert len(info.value.problems) >= 6


def test_an_invalid_gene_row_is_not_reported_again_for_its_include_rows(tmp_path):
    found = problems_of(make_panel(tmp_path, genes=CFTR.replace("true", "yes") + HBB))
    assert len(found) == 1
    assert "genes.tsv:2: lof_mechanism must be true or false" in found[0]


def test_chromosome_y_and_mt_are_not_screened(tmp_path):
    found = problems_of(make_panel(tmp_path, genes=CFTR + HBB.replace("\t11\t", "\tchrY\t")))
    assert any("genes.tsv:3: chromosome 'chrY' is not screened" in p for p in found)


def test_missing_folder(tmp_path):
    assert problems_of(tmp_path / "absent") == [f"{tmp_path / 'absent'}: panel folder does not exist"]


def test_chr_prefix_and_plain_names_give_the_same_panel(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = load_panel(
        make_panel(tmp_path / "a", genes=CFTR.replace("chr7", "7"), include=F508DEL.replace("chr7", "7"))
    )
    prefixed = load_panel(make_panel(tmp_path / "b", genes=CFTR, include=F508DEL))
    assert plain.sha256 == prefixed.sha256
    assert plain.genes[0].chrom == "7"
    assert plain.include[0].chrom == "7"


# ---------------------------------------------------------------- versions


def test_version_ordering_is_integer():
    assert Version.parse("2.10") > Version.parse("2.9")
    assert Version.parse("2.10") != Version.parse("2.1")
    assert sorted(["2.9", "2.10", "1.0", "10.0"], key=Version.parse) == ["1.0", "2.9", "2.10", "10.0"]


def test_toml_float_version_is_refused_with_an_explanation(tmp_path):
    found = problems_of(make_panel(tmp_path, toml=TOML.replace('"1.0"', "2.10")))
    (message,) = [p for p in found if "version" in p]
    assert 'version = "2.10"' in message
    assert "the number 2.1" in message


# ---------------------------------------------------------------- urgency


def test_starter_panel_gives_every_gene_an_urgency_with_immediate_ones_first_in_line():
    panel = load_panel(STARTER)
    header, *lines = (STARTER / "genes.tsv").read_text().splitlines()
    column = header.split("\t").index("urgency")
    values = [line.split("\t")[column] for line in lines]
    assert len(values) == len(panel.genes) == 234
    assert set(values) <= {"immediate", "high", "routine"}  # written out for every gene, never left empty
    by_symbol = {g.symbol: g.urgency for g in panel.genes}
    for symbol in ["OTC", "CPS1", "BCKDHA", "MMUT", "PCCA", "IVD", "GALT", "IL2RG", "CYP21A2", "ACADM"]:
        assert by_symbol[symbol] is Urgency.IMMEDIATE, symbol
    for symbol in ["PAH", "BTD", "GAA", "TSHR"]:
        assert by_symbol[symbol] is Urgency.HIGH, symbol
    assert by_symbol["SMN1"] is Urgency.IMMEDIATE
    assert "urgency:" in next(g.source for g in panel.genes if g.symbol == "SMN1")  # the judgement's reason
    counts = {u: sum(g.urgency is u for g in panel.genes) for u in Urgency}
    assert counts[Urgency.IMMEDIATE] >= 40
    assert counts[Urgency.ROUTINE] >= 1


def test_urgency_ranks_immediate_first():
    assert [u.rank for u in (Urgency.IMMEDIATE, Urgency.HIGH, Urgency.ROUTINE)] == [0, 1, 2]
    assert sorted(Urgency, key=lambda u: u.rank)[0] is Urgency.IMMEDIATE
    assert PanelGene("HGNC:1", "A", Moi.BIALLELIC, "c", True, "1", 1, 2).urgency is Urgency.ROUTINE


def _with_urgency(genes: str, values: tuple[str, ...]) -> str:
    return "".join(line + "\t" + value + "\n" for line, value in zip(genes.splitlines(), values, strict=True))


def test_urgency_column_is_parsed_and_absent_or_empty_means_routine(tmp_path):
    folder = make_panel(tmp_path)
    (folder / "genes.tsv").write_text(
        GENES_HEADER.replace("\n", "\turgency\n") + _with_urgency(CFTR + HBB, ("high", ""))
    )
    panel = load_panel(folder)
    assert {g.symbol: g.urgency for g in panel.genes} == {"CFTR": Urgency.HIGH, "HBB": Urgency.ROUTINE}
    (tmp_path / "b").mkdir()
    without = load_panel(make_panel(tmp_path / "b"))
    assert all(g.urgency is Urgency.ROUTINE for g in without.genes)


def test_unknown_urgency_is_refused_with_file_and_line(tmp_path):
    folder = make_panel(tmp_path)
    (folder / "genes.tsv").write_text(
        GENES_HEADER.replace("\n", "\turgency\n") + _with_urgency(CFTR + HBB, ("routine", "urgent"))
    )
    found = problems_of(folder)
    assert len(found) == 1
    assert f"{folder}/genes.tsv:3: urgency 'urgent' is not one of immediate, high, routine" in found[0]
    with pytest.raises(PanelError):
        load_panel(folder)
    (folder / "genes.tsv").write_text(
        GENES_HEADER.replace("\n", "\turgency\n") + _with_urgency(CFTR + HBB, ("Immediate", "high"))
    )
    assert any("genes.tsv:2: urgency 'Immediate'" in p for p in problems_of(folder))


def test_urgency_is_in_the_sha256_and_round_trips(tmp_path):
    base = load_panel(make_panel(tmp_path))
    routine = replace(base, genes=tuple(replace(g, urgency=Urgency.ROUTINE) for g in base.genes))
    assert panel_sha256(routine) == base.sha256  # routine is the default: not a change
    # routine is left out of the canonical content: versions published before urgency keep their sha256
    assert "urgency" not in json.loads(canonical_content(base))["genes"][0]
    urgent = replace(base, genes=tuple(replace(g, urgency=Urgency.IMMEDIATE) for g in base.genes), sha256="")
    high = replace(base, genes=tuple(replace(g, urgency=Urgency.HIGH) for g in base.genes), sha256="")
    assert len({base.sha256, panel_sha256(urgent), panel_sha256(high)}) == 3
    urgent = panel_content.sealed(urgent)
    write_panel(urgent, tmp_path / "copy")
    again = load_panel(tmp_path / "copy")
    assert again == urgent
    assert "urgency" in (tmp_path / "copy" / "genes.tsv").read_text().splitlines()[0].split("\t")


def test_version_2_10_loads_as_2_10(tmp_path):
    panel = load_panel(make_panel(tmp_path, toml=TOML.replace('"1.0"', '"2.10"')))
    assert panel.version == Version(2, 10)
    assert str(panel.version) == "2.10"


# ---------------------------------------------------------------- sha256 and writing


def test_sha256_is_stable_across_load_write_load(tmp_path):
    panel = load_panel(STARTER)
    assert panel.sha256 == panel_sha256(panel)
    assert len(panel.sha256) == 64
    write_panel(panel, tmp_path / "copy")
    again = load_panel(tmp_path / "copy")
    assert again.sha256 == panel.sha256
    assert again == panel


def test_sha256_ignores_row_order_and_comments_but_not_content(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    one = load_panel(make_panel(tmp_path / "a", genes=CFTR + HBB))
    two = load_panel(make_panel(tmp_path / "b", toml="# comment\n" + TOML, genes=HBB + "# note\n" + CFTR))
    three = load_panel(make_panel(tmp_path / "c", genes=CFTR + HBB.replace("Sickle cell disease", "SCD")))
    assert one.sha256 == two.sha256
    assert one.sha256 != three.sha256


def test_settings_change_the_sha256_and_integers_equal_floats(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    base = load_panel(make_panel(tmp_path / "a"))
    same = load_panel(make_panel(tmp_path / "b", toml=TOML + "[settings]\nmin_q30_gb = 85\n"))
    other = load_panel(make_panel(tmp_path / "c", toml=TOML + "[settings]\nmin_gq = 30\n"))
    assert same.sha256 == base.sha256
    assert other.sha256 != base.sha256
    assert other.settings.min_gq == 30


def test_canonical_content_is_sorted_json():
    panel = load_panel(TEST_PANELS / "tiny-grch38")
    document = json.loads(canonical_content(panel))
    assert document["version"] == "1.0"
    assert document["settings"] == RuleSettings().canonical_dict()
    shuffled = replace(panel, genes=tuple(reversed(panel.genes)), sha256="")
    assert canonical_content(shuffled) == canonical_content(panel)


def test_late_settings_keep_earlier_sha256_at_their_default_and_count_when_set():
    """Settings added after versions were published leave the sha256 of those versions unchanged
    at their default, and change it when a curator sets them."""
    panel = load_panel(TEST_PANELS / "tiny-grch38")
    document = json.loads(canonical_content(panel))
    assert not LATE_SETTINGS & set(document["settings"])
    changed = replace(panel, settings=replace(panel.settings, karyotype_min_y_hemi_fraction=0.6))
    assert json.loads(canonical_content(changed))["settings"]["karyotype_min_y_hemi_fraction"] == 0.6
    assert canonical_content(changed) != canonical_content(panel)


def test_written_settings_roundtrip_including_stars(tmp_path):
    panel = load_panel(TEST_PANELS / "tiny-grch38")
    changed = replace(panel, settings=replace(panel.settings, clinvar_min_stars=2, padding_bp=500))
    write_panel(changed, tmp_path)
    again = load_panel(tmp_path)
    assert again.settings.clinvar_min_stars == 2
    assert again.settings.padding_bp == 500
    assert again.sha256 == panel_sha256(changed)


def test_write_refuses_text_that_would_break_the_files(tmp_path):
    panel = load_panel(TEST_PANELS / "tiny-grch38")
    bad = replace(panel, genes=(replace(panel.genes[0], condition="a\tb"), *panel.genes[1:]))
    with pytest.raises(PanelError, match="has a tab"):
        write_panel(bad, tmp_path)


def test_every_rule_setting_has_a_parser():
    names = {f.name for f in fields(RuleSettings)}
    assert names == set(panel_toml.NUMBERS) | set(panel_toml.STRUCTURED)


# ---------------------------------------------------------------- PanelApp modes of inheritance

PANELAPP_MOI = {
    "MONOALLELIC, autosomal or pseudoautosomal, imprinted status unknown": (Moi.MONOALLELIC,),
    "MONOALLELIC, autosomal or pseudoautosomal, NOT imprinted": (Moi.MONOALLELIC,),
    "BIALLELIC, autosomal or pseudoautosomal": (Moi.BIALLELIC,),
    "BOTH monoallelic and biallelic, autosomal or pseudoautosomal": (Moi.MONOALLELIC, Moi.BIALLELIC),
    "BOTH monoallelic and biallelic (but BIALLELIC mutations cause a more SEVERE disease form), "
    "autosomal or pseudoautosomal": (Moi.MONOALLELIC, Moi.BIALLELIC),
    "X-LINKED: hemizygous mutation in males, biallelic mutations in females": (Moi.XLINKED_BIALLELIC,),
    "X-LINKED: hemizygous mutation in males, monoallelic mutations in females may cause disease "
    "(may be less severe, later onset than males)": (Moi.XLINKED_MONOALLELIC,),
}
UNSCREENABLE = (
    "MITOCHONDRIAL",
    "Unknown",
    "Other",
    "Other - please provide details in the comments",
    "",
    None,
    "MONOALLELIC, autosomal or pseudoautosomal, maternally imprinted (paternal allele expressed)",
    "autosomal dominant",
)


@pytest.mark.parametrize("text", sorted(PANELAPP_MOI))
def test_panelapp_moi_maps(text):
    assert map_panelapp_moi(text) == PANELAPP_MOI[text]


@pytest.mark.parametrize("text", UNSCREENABLE)
def test_panelapp_moi_not_screenable_raises(text):
    with pytest.raises(PanelError, match="cannot be screened") as info:
        map_panelapp_moi(text, where="panel 1141 gene X")
    assert info.value.problems[0].where == "panel 1141 gene X"


def _panelapp_moi_strings() -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "mode_of_inheritance":
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted((SHARED / "panelapp").glob("*.json*")):
        text = path.read_text(encoding="utf-8")
        documents = text.splitlines() if path.suffix == ".jsonl" else [text]
        for document in filter(str.strip, documents):
            walk(json.loads(document))
    return found


@pytest.mark.skipif(not (SHARED / "panelapp").is_dir(), reason=f"shared test data absent: {SHARED}/panelapp")
def test_every_moi_string_in_the_real_panelapp_files_is_handled():
    strings = _panelapp_moi_strings()
    assert len(strings) >= 9
    for text in strings:
        if text in ("MITOCHONDRIAL", "Unknown", ""):
            with pytest.raises(PanelError):
                map_panelapp_moi(text)
        else:
            assert map_panelapp_moi(text) == PANELAPP_MOI[text]


# ---------------------------------------------------------------- regions


def _gene(hgnc: str, chrom: str, start: int, end: int, active: bool = True) -> PanelGene:
    return PanelGene(hgnc, hgnc.replace(":", ""), Moi.BIALLELIC, "c", True, chrom, start, end, active=active)


def test_region_list_pads_merges_and_sorts():
    panel = load_panel(TEST_PANELS / "tiny-grch38")
    genes = (
        _gene("HGNC:1", "2", 10_000, 20_000),
        _gene("HGNC:2", "2", 23_000, 30_000),  # padded regions overlap: merged
        _gene("HGNC:3", "2", 34_001, 40_000),  # touches the merged region (32000 + 1 = 32001): merged
        _gene("HGNC:4", "2", 50_000, 60_000),
        _gene("HGNC:5", "10", 500, 1_000),  # padding clipped at 1
        _gene("HGNC:6", "X", 100_000, 200_000),
        _gene("HGNC:7", "1", 5_000, 6_000, active=False),  # inactive: not screened
        _gene("HGNC:8", "2", 12_000, 13_000),  # inside another gene
    )
    regions = region_list(replace(panel, genes=genes))
    assert regions == [
        ("2", 8_000, 42_000),
        ("2", 48_000, 62_000),
        ("10", 1, 3_000),
        ("X", 98_000, 202_000),
    ]


def test_region_list_of_the_starter_panel_is_sorted_and_disjoint():
    panel = load_panel(STARTER)
    regions = region_list(panel)
    order = {c: i for i, c in enumerate([*map(str, range(1, 23)), "X"])}
    assert regions == sorted(regions, key=lambda r: (order[r[0]], r[1]))
    for (c1, _, e1), (c2, s2, _) in itertools.pairwise(regions):
        assert c1 != c2 or s2 > e1 + 1
    assert len(regions) <= len(panel.active_genes)


def test_copy_of_starter_panel_with_one_broken_row_names_that_row(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(STARTER, copy)
    lines = (copy / "genes.tsv").read_text().splitlines()
    lines[10] = lines[10].replace("BIALLELIC", "Other", 1)
    (copy / "genes.tsv").write_text("\n".join(lines) + "\n")
    found = problems_of(copy)
    assert len(found) == 1
    assert "genes.tsv:11: mode of inheritance 'Other' cannot be screened" in found[0]
