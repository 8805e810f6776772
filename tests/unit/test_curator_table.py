"""The curator's gene table (pure): search, filters, sort, pages and the query strings its links carry."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

from screening import panels
from screening.web.pages_curator import GeneQuery, select_genes

STARTER_PANEL = Path(__file__).resolve().parents[2] / "gene_panels" / "newborn-actionable"


@cache
def _panel():
    return panels.load_panel(STARTER_PANEL)


def test_default_is_the_first_page_in_symbol_order():
    genes = _panel().genes
    page = select_genes(genes, GeneQuery.parse({}))
    ordered = sorted(genes, key=lambda g: (g.symbol.upper(), g.moi.value))
    assert page.rows == tuple(ordered[:50])
    assert (page.matching, page.total, page.page) == (len(genes), len(genes), 1)
    assert page.pages == -(-len(genes) // 50)


def test_search_matches_symbol_hgnc_condition_transcript_and_source_case_blind():
    genes = _panel().genes
    gusb = next(g for g in genes if g.symbol == "GUSB")
    for needle in ("gusb", gusb.hgnc_id.lower(), gusb.condition[:12].upper()):
        found = select_genes(genes, GeneQuery.parse({"q": needle})).rows
        assert gusb in found, needle
        assert all(
            needle.lower()
            in " ".join([g.symbol, g.hgnc_id, g.condition, g.transcript or "", g.source]).lower()
            for g in found
        )
    assert select_genes(genes, GeneQuery.parse({"q": "no such gene anywhere"})).matching == 0


def test_filters_combine_and_unknown_values_are_ignored():
    genes = _panel().genes
    query = GeneQuery.parse({"moi": "BIALLELIC", "lof": "no", "active": "yes", "urgency": "immediate"})
    expected = [
        g
        for g in genes
        if g.moi.value == "BIALLELIC" and not g.lof_mechanism and g.active and g.urgency.value == "immediate"
    ]
    assert select_genes(genes, query, per_page=1000).rows == tuple(
        sorted(expected, key=lambda g: (g.symbol.upper(), g.moi.value))
    )
    junk = GeneQuery.parse({"moi": "<script>", "sort": "drop table", "page": "-3", "active": "maybe"})
    assert junk == GeneQuery()  # every unknown value falls back to the default


def test_sort_by_urgency_both_ways_and_pages_clamp():
    genes = _panel().genes
    up = select_genes(genes, GeneQuery.parse({"sort": "urgency"}), per_page=1000).rows
    assert [g.urgency.rank for g in up] == sorted(g.urgency.rank for g in genes)
    down = select_genes(genes, GeneQuery.parse({"sort": "urgency", "desc": "1"}), per_page=1000).rows
    assert down[0].urgency.value == "routine"
    last = select_genes(genes, GeneQuery.parse({"page": "9999"}))
    assert last.page == last.pages
    assert 0 < len(last.rows) <= 50


def test_links_keep_the_query_and_reset_the_page():
    query = GeneQuery.parse({"q": "gus b", "moi": "BIALLELIC", "sort": "condition", "page": "3"})
    assert dict(parse_qsl(query.url()[1:])) == {"q": "gus b", "moi": "BIALLELIC", "sort": "condition"}
    assert dict(parse_qsl(query.url(page=2)[1:]))["page"] == "2"
    flipped = dict(parse_qsl(query.sort_url("condition")[1:]))
    assert (flipped["sort"], flipped["desc"]) == ("condition", "1")
    other = dict(parse_qsl(query.sort_url("urgency")[1:]))
    assert other["sort"] == "urgency"
    assert "desc" not in other
    assert GeneQuery.parse(dict(parse_qsl(query.url(page=3)[1:]))) == query
