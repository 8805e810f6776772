"""Panel curation against a real PostgreSQL: the database refuses changes to published versions,
versions order as integers, export re-publishes to the same sha256, ClinVar import from the real NCBI
excerpt, and impact preview + re-screen of a simulated batch agree with a direct re-run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import make_settings, publish, query_one

from screening import curation, digest, panel_content, panels, vcf_screen
from screening.cli import main
from screening.db import batches, connection, results
from screening.db import curation as db
from screening.db import panels as db_panels
from screening.domain import GRCH37, Moi, PanelGene, PanelVersion, RuleSettings, Version
from screening.errors import StateError

pytestmark = [pytest.mark.integration]
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CLINVAR = SHARED / "clinvar" / "clinvar_20191007_excerpt.GRCh37.vcf.gz"


def small_panel(panel_id: str, version: str = "1.0") -> PanelVersion:
    """AGRN (BeginNGS AR gene) and ISG15 on GRCh37, the genes of the real ClinVar excerpt."""
    genes = (
        PanelGene(
            "HGNC:329", "AGRN", Moi.BIALLELIC, "congenital myasthenic syndrome 8", True, "1", 955503, 991499
        ),
        PanelGene("HGNC:4053", "ISG15", Moi.BIALLELIC, "immunodeficiency 38", True, "1", 948847, 949920),
    )
    p = PanelVersion(panel_id, "Small", Version.parse(version), GRCH37, RuleSettings(), genes)
    return panel_content.sealed(p)


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path / "home", db_url)


def put(settings, panel: PanelVersion, message: str = "", clinvar=None):
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        if message:
            db.set_change_message(conn, message)
        row, _ = db_panels.publish(conn, panel, clinvar, settings.actor)
    return row


def cli(settings, *args: str):
    env = {**settings.as_environment(), "SCREENING_USER": "curator"}
    return CliRunner().invoke(main, ["panel", *args], env=env)


def test_database_refuses_changes_to_a_published_version(settings, db_url):
    row = put(settings, small_panel("immut"), message="first cut")
    ref = {"id": row.id}
    for sql in (
        "UPDATE panel_gene SET start_pos = start_pos + 1 WHERE panel_version_id = %(id)s",
        "DELETE FROM panel_gene WHERE panel_version_id = %(id)s",
        "UPDATE panel_version SET name = 'edited' WHERE id = %(id)s",
        "UPDATE panel_version SET change_message = 'rewritten' WHERE id = %(id)s",
        "DELETE FROM panel_version WHERE id = %(id)s",
        "INSERT INTO panel_gene SELECT panel_version_id, 99, hgnc_id, symbol, moi, condition, lof_mechanism, "
        "chrom, start_pos, end_pos, transcript, active, source FROM panel_gene "
        "WHERE panel_version_id = %(id)s LIMIT 1",
    ):
        with pytest.raises(psycopg.errors.RestrictViolation):
            query_one(db_url, sql, ref)
    stored = query_one(
        db_url, "SELECT name, change_message, published_by FROM panel_version WHERE id = %(id)s", ref
    )
    assert stored == ("Small", "first cut", "pytest")


def test_retirement_is_the_one_narrow_change_and_blocks_new_batches(settings, db_url):
    row = put(settings, small_panel("retire"))
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        db.retire(conn, row.id, "superseded by 1.1")
    with pytest.raises(StateError, match="already retired"), connection.session(settings) as conn:
        db.retire(conn, row.id, "again")
    with pytest.raises(psycopg.errors.RestrictViolation):  # retirement is recorded once
        query_one(
            db_url, "UPDATE panel_version SET retired_reason = 'other' WHERE id = %(id)s", {"id": row.id}
        )
    sample = batches.NewSample("S1", "/x.vcf.gz", "S1", "0" * 64, "female")
    new = batches.NewBatch("after-retirement", row.id, "m.csv", "1" * 64, (sample,))
    with (
        pytest.raises(psycopg.errors.RestrictViolation, match="retired"),
        connection.session(settings) as conn,
    ):
        batches.insert_batch(conn, new, "pytest")
    with connection.session(settings) as conn:
        listed = db.summary(conn, "retire", Version(1, 0))
    assert listed.retired_reason == "superseded by 1.1"
    assert listed.retired_by == "pytest"


def test_versions_order_as_integers(settings):
    for version in ("1.9", "1.10", "1.2", "2.0"):
        put(settings, small_panel("order", version))
    with connection.session(settings) as conn:
        labels = [v.label for v in db.list_versions(conn, "order")]
    assert labels == ["order@1.2", "order@1.9", "order@1.10", "order@2.0"]
    res = cli(settings, "list", "order", "--format", "json")
    assert res.exit_code == 0, res.output
    assert [v["version"] for v in json.loads(res.output)] == ["1.2", "1.9", "1.10", "2.0"]


def test_export_then_publish_gives_the_same_sha256(settings, tmp_path):
    panel = panels.load_panel(Path(__file__).resolve().parents[2] / "gene_panels" / "newborn-actionable")
    panel = dataclasses.replace(panel, panel_id="roundtrip")
    row = put(settings, panel_content.sealed(panel))
    res = cli(settings, "export", row.label, "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    again = panels.load_panel(tmp_path / "out")
    assert again.sha256 == row.sha256
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        republished, created = db_panels.publish(conn, again, None, "pytest")
    assert (republished.id, created) == (row.id, False)
    diff = cli(settings, "diff", row.label, str(tmp_path / "out"))
    assert "identical content" in diff.output


@pytest.mark.skipif(not CLINVAR.is_file(), reason=f"real ClinVar excerpt not found at {CLINVAR}")
def test_clinvar_import_attaches_a_snapshot_as_a_new_version(settings, db_url):
    row = put(settings, small_panel("cvimport"))
    res = cli(settings, "import-clinvar", str(CLINVAR), "--panel", row.label)
    assert res.exit_code == 0, res.output
    assert "released 2019-10-07" in res.output
    stored = query_one(
        db_url,
        "SELECT pv.major, pv.minor, pv.change_message, cs.release_date, cs.sha256, count(cr.*), "
        "count(*) FILTER (WHERE cr.plp_count > 0), count(*) FILTER (WHERE cr.blb_count > 0), "
        "count(*) FILTER (WHERE cr.stars = 0) "
        "FROM panel_version pv JOIN clinvar_snapshot cs ON cs.id = pv.clinvar_snapshot_id "
        "JOIN clinvar_record cr ON cr.snapshot_id = cs.id WHERE pv.panel_id = 'cvimport' "
        "GROUP BY 1, 2, 3, 4, 5",
    )
    major, minor, message, release, sha, records, plp, blb, zero_star = stored
    assert (major, minor, release, sha) == (1, 1, "2019-10-07", digest.sha256_file(CLINVAR))
    assert "ClinVar 2019-10-07" in message
    assert records == 72  # every record of the excerpt lies in AGRN or ISG15
    assert plp >= 5  # the 5 Pathogenic records, plus conflicting ones with a P/LP submission
    assert blb >= 26  # Benign 14 + Likely_benign 9 + Benign/Likely_benign 3 (+ conflicting)
    assert zero_star >= 1
    with pytest.raises(psycopg.errors.RestrictViolation):
        query_one(db_url, "UPDATE clinvar_record SET plp_count = 0 WHERE clinvar_id IS NOT NULL")


# ---------------------------------------------------------------- impact preview and re-screen


def _draft(published: PanelVersion, truth: dict) -> tuple[PanelVersion, set[str], set[str]]:
    """Version 1.1: drop the gene with the most findings; make a carrier's gene MONOALLELIC."""
    counts: dict[str, int] = {}
    for baby in truth["babies"]:
        for f in baby["findings"]:
            counts[f["hgnc_id"]] = counts.get(f["hgnc_id"], 0) + 1
    dropped = max(sorted(counts), key=lambda h: counts[h])
    autosomal = {g.hgnc_id for g in published.genes if g.chrom != "X" and g.moi is Moi.BIALLELIC}
    carrier_genes = {h for baby in truth["babies"] for h in baby["carriers"]} & autosomal - {dropped}
    dominant = sorted(carrier_genes)[0]
    genes = tuple(
        dataclasses.replace(g, moi=Moi.MONOALLELIC) if g.hgnc_id == dominant else g
        for g in published.genes
        if g.hgnc_id != dropped
    )
    include = tuple(v for v in published.include if v.hgnc_id != dropped)
    draft = dataclasses.replace(published, version=Version(1, 1), genes=genes, include=include)
    return panel_content.sealed(draft), {dropped}, {dominant}


@pytest.mark.slow
def test_impact_preview_and_rescreen_match_a_direct_rerun(db_url, panel, sim, tmp_path, pipeline_factory):
    p = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "curation")
    p.start(2)
    batch_id = p.submit(sim.manifest, label, "curation-1")
    p.wait(batch_id)
    with connection.session(p.settings) as conn:
        v1_row = db.require_version(conn, label)
        v1 = db_panels.load_panel_version(conn, v1_row.id)
        clinvar = db_panels.load_clinvar(conn, v1_row.id)
    draft, dropped, dominant = _draft(v1, json.loads(sim.truth.read_text()))
    panels.write_panel(draft, tmp_path / "draft")
    before = query_one(db_url, "SELECT count(*), max(screened_at) FROM screening_run")

    preview = curation.impact_preview(p.settings, draft, batch_id)
    assert query_one(db_url, "SELECT count(*), max(screened_at) FROM screening_run") == before  # read-only
    assert not preview.errors
    assert preview.counts()["no_longer_suspected"] >= 1
    assert preview.counts()["newly_suspected"] >= 1
    gained = {g.gene.split()[1] for g in preview.per_gene() if g.babies_gained}
    lost = {g.gene.split()[1] for g in preview.per_gene() if g.babies_lost}
    assert dominant <= gained
    assert dropped <= lost
    cli_preview = p.cli("panel", "impact", str(tmp_path / "draft"), "--batch", batch_id, "--format", "json")
    assert json.loads(cli_preview.stdout)["counts"] == preview.counts()

    put(p.settings, draft, message="drop one gene, one gene dominant", clinvar=clinvar)
    out = p.cli("panel", "rescreen", batch_id, "--panel", draft.label, "--wait", "240", "--format", "json")
    delta = json.loads(out.stdout)
    assert delta["counts"] == preview.counts()
    assert delta["per_gene"] == [dataclasses.asdict(g) for g in preview.per_gene()]
    rescreened = {c["sample_id"]: c for c in delta["comparisons"]}
    for c in preview.comparisons:
        assert {k: rescreened[c.sample_id][k] for k in ("category", "new_outcome")} == {
            "category": c.category,
            "new_outcome": c.new_outcome,
        }
        assert tuple(rescreened[c.sample_id]["genes_gained"]) == c.genes_gained
        assert tuple(rescreened[c.sample_id]["genes_lost"]) == c.genes_lost

    with connection.session(p.settings) as conn:
        batch = db.find_batch(conn, batch_id)
        new_runs = db.batch_runs(conn, batch.id, [db.require_version(conn, draft.label).id])
        stored = results.load_results(conn, [r.run_id for r in new_runs if r.run_id is not None])
        samples = {s.sample.sample_id: s.sample for s in batches.list_samples(conn, batch.id)}
        old_runs = db.batch_runs(conn, batch.id, [v1_row.id])
    assert len([r for r in old_runs if r.run_id]) == len(preview.comparisons)  # old runs kept
    assert len(stored) == len(preview.comparisons)  # one new run per screened baby
    for r in new_runs:
        if r.run_id is None:
            continue
        sample = samples[r.sample_id]
        direct = vcf_screen.screen_vcf(draft, sample.to_input(), Path(sample.vcf_path), clinvar, None)
        assert _key(direct) == _key(stored[r.run_id]), r.sample_id


def _key(result) -> tuple:
    findings = sorted((f.hgnc_id, str(f.moi), f.pattern.value) for f in result.findings)
    return result.outcome.value, findings
