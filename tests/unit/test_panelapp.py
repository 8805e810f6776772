"""PanelApp import from the real API responses in ../shared/data/panelapp (skipped when absent)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening import panelapp, panels
from screening.domain import GRCH37, GRCH38, Moi, Version
from screening.errors import PanelError

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PANELAPP = SHARED / "panelapp"
needs_shared = pytest.mark.skipif(
    not PANELAPP.is_dir(), reason=f"real PanelApp responses not found at {PANELAPP}"
)
pytestmark = needs_shared


def draft(*names: str, build: str = GRCH38) -> panelapp.ImportResult:
    docs = panelapp.load_responses([PANELAPP / n for n in names])
    return panelapp.build_draft(docs, panelapp.DraftOptions("draft", Version(1, 0), build))


def scout_panel(panel_id: int) -> dict:
    for line in (PANELAPP / "scout_panelapp_panels_522_1141_399.jsonl").read_text().splitlines():
        doc = json.loads(line)
        if doc["id"] == panel_id:
            return doc
    raise KeyError(panel_id)


def lines_for(result: panelapp.ImportResult, entity: str) -> list[panelapp.ReportLine]:
    return [line for line in result.report.lines if line.entity == entity]


def test_both_modes_string_gives_two_entries_with_grch38_and_grch37_coordinates():
    grch38 = draft("uk_panel_1207.json")
    assert [(g.symbol, g.moi, g.chrom, g.start, g.end, g.active) for g in grch38.panel.genes] == [
        ("HMBS", Moi.MONOALLELIC, "11", 119084866, 119093549, True),
        ("HMBS", Moi.BIALLELIC, "11", 119084866, 119093549, True),
    ]
    grch37 = draft("uk_panel_1207.json", build=GRCH37)
    assert {(g.chrom, g.start, g.end) for g in grch37.panel.genes} == {("11", 118955576, 118964259)}


def test_provenance_keeps_source_panel_id_and_version():
    result = draft("uk_panel_1207.json")
    gene = result.panel.genes[0]
    assert gene.hgnc_id == "HGNC:4982"
    assert "PanelApp panel 1207" in gene.source
    assert "v2.1" in gene.source
    assert "ENSG00000256269" in gene.source
    assert "panel 1207" in result.panel.description
    assert "v2.1" in result.panel.description


def test_version_strings_are_kept_verbatim_not_parsed_as_floats():
    doc = scout_panel(1141)
    doc["version"] = "2.10"
    result = panelapp.build_draft([doc], panelapp.DraftOptions("d", Version(1, 0), GRCH38))
    assert result.report.sources[0].version == "2.10"
    assert "v2.10" in result.panel.genes[0].source


def test_green_active_amber_red_inactive_unscreenable_reported():
    result = draft("scout_panelapp_panels_522_1141_399.jsonl")
    by_status = {s: result.report.count(s) for s in ("active", "inactive", "not_screened")}
    assert by_status == {"active": 74, "inactive": 21, "not_screened": 5}
    not_screened = {line.entity: line for line in result.report.not_screened()}
    assert set(not_screened) == {"TERF2IP", "MT-CO1", "MT-CO2", "CYP2C8", "PHKG1"}
    assert "MITOCHONDRIAL" in not_screened["MT-CO1"].panelapp_moi
    assert not_screened["TERF2IP"].confidence == "2"  # Amber with an empty mode: listed, not dropped
    genes = {(g.symbol, g.moi): g for g in result.panel.genes}
    # a gene Green in one panel and Amber in another is active, with both sources kept
    assert all(g.active == ("confidence 3" in g.source) for g in genes.values())
    assert any(" | " in g.source for g in genes.values())


def test_confidence_zero_string_is_inactive():
    result = panelapp.build_draft([scout_panel(399)], panelapp.DraftOptions("d", Version(1, 0), GRCH38))
    zero = [line for line in result.report.lines if line.confidence == "0"]
    assert len(zero) == 1
    assert zero[0].status == "inactive"
    assert "No list (confidence 0)" in zero[0].reason


def test_x_linked_modes_map_to_screening_modes():
    result = panelapp.build_draft([scout_panel(1141)], panelapp.DraftOptions("d", Version(1, 0), GRCH38))
    x_modes = {g.moi for g in result.panel.genes if g.chrom == "X"}
    assert x_modes == {Moi.XLINKED_BIALLELIC, Moi.XLINKED_MONOALLELIC}


def test_strs_and_regions_are_listed_not_dropped():
    result = draft("uk_panel_285.json")
    assert len(result.panel.genes) == 5
    kinds = sorted(line.reason.split()[0] for line in result.report.not_screened())
    assert kinds == ["region"] * 3 + ["str"] * 3


def test_written_draft_validates_and_reloads_with_the_same_sha256(tmp_path):
    result = draft("scout_panelapp_panels_522_1141_399.jsonl")
    assert panelapp.write_draft(result, tmp_path / "d") == []
    assert panels.load_panel(tmp_path / "d").sha256 == result.panel.sha256
    report = (tmp_path / "d" / panelapp.REPORT_NAME).read_text().splitlines()
    assert report[0].split("\t") == list(panelapp.REPORT_COLUMNS)
    assert len(report) == 1 + 100


def test_super_panel_genes_keep_their_component_panel():
    components = [
        json.loads((PANELAPP / n).read_text()) for n in ("uk_panel_1207.json", "au_panel_3149.json")
    ]
    super_panel = {**copy.deepcopy(components[1]), "id": 9999, "name": "Super", "version": "1.3"}
    super_panel["child_panel_ids"] = [1207, 3149]
    super_panel["genes"] = [
        {**gene, "panel": {k: c[k] for k in ("id", "name", "version")}}
        for c in components
        for gene in c["genes"]
    ]
    super_panel["genes"].append(copy.deepcopy(super_panel["genes"][-1]))  # listed by two components
    result = panelapp.build_draft([super_panel], panelapp.DraftOptions("s", Version(1, 0), GRCH38))
    sources = {g.symbol: g.source for g in result.panel.genes}
    assert "panel 1207" in sources["HMBS"]
    assert "panel 3149" in sources["PDE6C"]
    assert len(result.panel.genes) == 2 + 5


def test_gene_list_page_merges_entries_from_several_panels():
    result = draft("au_genes_pkd1.json")
    assert {g.moi for g in result.panel.genes} == {Moi.MONOALLELIC, Moi.BIALLELIC}
    assert all(g.source.count("PanelApp panel") == 3 for g in result.panel.genes)
    assert len(result.report.sources) == 3


def test_paginated_list_with_more_pages_is_refused():
    page = json.loads((PANELAPP / "au_genes_pkd1.json").read_text())
    page["next"] = "https://panelapp-aus.org/api/v1/genes/PKD1/?page=2"
    with pytest.raises(PanelError, match="give every page"):
        panelapp.read_entries([page])


def test_panel_list_page_is_refused_naming_versions_verbatim():
    with pytest.raises(PanelError, match=r"1141 v2\.10"):
        draft("uk_panels_page1.json")


def test_quirks_strings_json_strings_build_spelling_missing_coordinates():
    doc = copy.deepcopy(json.loads((PANELAPP / "au_panel_3149.json").read_text()))
    genes = doc["genes"]
    genes[0]["confidence_level"] = 3  # an int instead of "3"
    genes[1]["gene_data"]["ensembl_genes"] = json.dumps(genes[1]["gene_data"]["ensembl_genes"])
    genes[2]["gene_data"]["ensembl_genes"] = {"GRCh38": genes[2]["gene_data"]["ensembl_genes"]["GRch38"]}
    genes[3]["gene_data"]["ensembl_genes"] = {}
    genes[4]["mode_of_pathogenicity"] = (
        "Loss-of-function variants (as defined in pop up message) DO NOT cause this phenotype"
    )
    genes[4]["penetrance"] = "Incomplete"
    result = panelapp.build_draft([doc], panelapp.DraftOptions("q", Version(1, 0), GRCH38))
    symbols = {g.symbol: g for g in result.panel.genes}
    assert set(symbols) == {"ATF6", "CNGA3", "CNGB3", "PDE6C"}
    assert lines_for(result, "GNAT2")[0].reason == "no GRCh38 coordinates in gene_data"
    assert symbols["PDE6C"].lof_mechanism is False
    assert symbols["ATF6"].lof_mechanism is True
    assert "penetrance Incomplete" in lines_for(result, "PDE6C")[0].reason


def test_cli_import_writes_folder_and_report(tmp_path):
    from screening.cli import main

    out = tmp_path / "gene_panels" / "rhabdo"
    res = CliRunner().invoke(
        main,
        [
            "panel",
            "import-panelapp",
            str(PANELAPP / "uk_panel_1207.json"),
            "--out",
            str(out),
            "--version",
            "2.10",
        ],
    )
    assert res.exit_code == 0, res.output
    loaded = panels.load_panel(out)
    assert loaded.label == "rhabdo@2.10"
    assert (out / panelapp.REPORT_NAME).is_file()
