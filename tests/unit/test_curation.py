"""Panel diffs, version ordering and outcome comparison (pure: no database, no files)."""

from __future__ import annotations

import json
from dataclasses import replace

from screening import curation, panel_content
from screening.domain import ExcludedVariant, IncludedVariant, Moi, Urgency, Version
from screening.sample_screen import screen_sample
from tests.unit import builders as b

REC1 = "HGNC:2"


def versioned(panel, version: str, **changes):
    p = replace(panel, version=Version.parse(version), **changes)
    return panel_content.sealed(p)


def gene(panel, hgnc_id: str):
    return next(g for g in panel.genes if g.hgnc_id == hgnc_id)


def test_versions_compare_as_integers():
    texts = ["2.9", "2.10", "2.1", "10.0", "1.99"]
    assert [str(v) for v in sorted(Version.parse(t) for t in texts)] == ["1.99", "2.1", "2.9", "2.10", "10.0"]
    assert Version.parse("2.10") > Version.parse("2.9")
    assert Version.parse("2.10") != Version.parse("2.1")


def test_diff_of_identical_content_says_so():
    old = versioned(b.panel(), "1.0")
    d = curation.diff_panels(old, old)
    assert d.identical
    assert "identical content" in curation.diff_table(d)


def test_diff_lists_every_kind_of_change():
    old = versioned(b.panel(include=[("2", 2_000_100, "A", "G", REC1, "lab")]), "1.9")
    rec1 = gene(old, REC1)
    genes = [g for g in old.genes if g.hgnc_id not in ("HGNC:1", REC1)]
    genes += [
        replace(rec1, moi=Moi.MONOALLELIC),  # mode change
        replace(gene(old, "HGNC:3"), start=49_999_000),  # coordinate change (same hgnc and mode)
        replace(rec1, hgnc_id="HGNC:99", symbol="NEW1", chrom="4", start=5_000, end=9_000),  # added
    ]
    genes = [g for g in genes if g.hgnc_id != "HGNC:3" or g.start == 49_999_000]
    new = versioned(
        old,
        "1.10",
        genes=tuple(genes),
        include=(),
        exclude=(ExcludedVariant("2", 2_000_200, "C", "T", "artefact"),),
        settings=replace(
            old.settings,
            min_gq=30,
            lof_af_caps={**old.settings.lof_af_caps, Moi.BIALLELIC: {"default": 0.005}},
        ),
    )
    d = curation.diff_panels(old, new)
    assert [g.hgnc_id for g in d.genes_added] == ["HGNC:99"]
    assert [g.hgnc_id for g in d.genes_removed] == ["HGNC:1"]
    assert [(c.field, c.old, c.new) for c in d.mode_changes] == [("moi", ["BIALLELIC"], ["MONOALLELIC"])]
    assert [(c.field, c.old, c.new) for c in d.gene_changes] == [("start", 50_000_000, 49_999_000)]
    assert d.include_removed == (IncludedVariant("2", 2_000_100, "A", "G", REC1, "lab"),)
    assert d.exclude_added == (ExcludedVariant("2", 2_000_200, "C", "T", "artefact"),)
    assert {(c.field, c.old, c.new) for c in d.settings} == {
        ("min_gq", 20, 30),
        ("lof_af_caps.BIALLELIC.default", 0.01, 0.005),
    }
    table = curation.diff_table(d)
    for title in (
        "genes added (1)",
        "genes removed (1)",
        "modes of inheritance changed (1)",
        "rule settings (2)",
    ):
        assert title in table
    doc = json.loads(curation.diff_json(d))
    assert doc["old"] == "unit@1.9"
    assert doc["new"] == "unit@1.10"
    assert doc["genes_added"][0]["moi"] == "BIALLELIC"
    assert doc["exclude_added"][0]["reason"] == "artefact"


def test_diff_reports_an_urgency_change_as_a_gene_entry_change():
    old = versioned(b.panel(), "1.0")
    genes = tuple(replace(g, urgency=Urgency.IMMEDIATE) if g.hgnc_id == REC1 else g for g in old.genes)
    new = versioned(old, "1.1", genes=genes)
    d = curation.diff_panels(old, new)
    assert not d.identical
    assert [(c.field, c.old, c.new) for c in d.gene_changes] == [("urgency", "routine", "immediate")]
    assert "urgency 'routine' → 'immediate'" in curation.diff_table(d)
    assert json.loads(curation.diff_json(d))["gene_changes"][0]["new"] == "immediate"


def _result(panel, *calls):
    return screen_sample(b.screen_input(b.calls_frame(*calls), panel_=panel))


def test_compare_categories_from_the_pure_core():
    curated = [("2", 2_000_100, "A", "G", REC1, "lab")]
    old = versioned(b.panel(include=curated), "1.0")
    rec1_dominant = tuple(replace(g, moi=Moi.MONOALLELIC) if g.hgnc_id == REC1 else g for g in old.genes)
    new = versioned(old, "1.1", genes=rec1_dominant)
    het = b.call("2", 2_000_100)
    before, after = _result(old, het), _result(new, het)
    newly = curation.compare("B1", "s1", before, after)
    assert newly.category == curation.NEWLY
    assert newly.genes_gained == ("REC1 HGNC:2 MONOALLELIC",)
    back = curation.compare("B1", "s1", after, before)
    assert back.category == curation.NO_LONGER
    assert back.genes_lost == ("REC1 HGNC:2 MONOALLELIC",)
    same = curation.compare("B1", "s2", _result(old), _result(new))
    assert same.category == curation.UNCHANGED
    assert not same.changed
    assert curation.compare("B1", "s3", None, after).category == curation.NOT_COMPARABLE


def test_delta_counts_and_per_gene_counts():
    curated = [("2", 2_000_100, "A", "G", REC1, "lab")]
    old = versioned(b.panel(include=curated), "1.0")
    new = versioned(old, "1.1", exclude=(ExcludedVariant("2", 2_000_100, "A", "G", "mild"),))
    hom = b.call("2", 2_000_100, gt="1/1")
    comparisons = (
        curation.compare("B1", "s1", _result(old, hom), _result(new, hom)),
        curation.compare("B1", "s2", _result(old, hom), _result(new, hom)),
        curation.compare("B1", "s3", _result(old), _result(new)),
    )
    delta = curation.OutcomeDelta("test", old.label, new.label, comparisons)
    assert delta.counts() == {
        "newly_suspected": 0,
        "no_longer_suspected": 2,
        "unchanged": 1,
        "not_comparable": 0,
    }
    assert delta.per_gene() == (curation.GeneImpact("REC1 HGNC:2 BIALLELIC", 0, 2),)
    doc = json.loads(curation.delta_json(delta))
    assert doc["babies"] == 3
    assert len(doc["changed"]) == 2
    assert "no longer suspected 2" in curation.delta_table(delta)
