"""Readable evidence and the lab's submission over HTTP, on a real public annotated VCF: a batch
uploaded in the lab's page with no SCREENING_DATA_ROOT (so the documented default data root,
$SCREENING_HOME/data), screened by real workers, and the variant's SnpEff HGVS, consequence and
transcript on the reviewer's case page; the workers' heartbeat on the batch list and submit pages."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import Pipeline, make_settings, query_one, wait_until
from web_support import PASSWORD, Server, add_user, csrf_token

from screening import panel_content
from screening.db import connection
from screening.db import panels as db_panels
from screening.domain import GRCH37, IncludedVariant, Moi, PanelGene, PanelVersion, RuleSettings, Version
from screening.simulate.vcf_files import write_vcf_bgzip_indexed

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
UCGD = SHARED / "vcf" / "ucgd_6sample_vep_csq_snpeff_ann.GRCh37.vcf"
# DDX11L1 as a test gene entry (GRCh37), with the real 1:13656 CAG>C deletion on the curated list
DDX11L1 = PanelGene("HGNC:37102", "DDX11L1", Moi.MONOALLELIC, "test entry", False, "1", 11_869, 14_409)
DELETION = IncludedVariant("1", 13_656, "CAG", "C", "HGNC:37102", "evidence test")


def _panel() -> PanelVersion:
    # a 6.5 kb panel on a 115-record excerpt of chr1: not a genome (the completeness tail check is for
    # genome-like VCFs), so its density threshold is set above it
    version = PanelVersion(
        panel_id="evidence-test",
        name="evidence test",
        version=Version(1, 0),
        genome_build=GRCH37,
        settings=RuleSettings(completeness_genome_density=1e9),
        genes=(DDX11L1,),
        include=(DELETION,),
    )
    return panel_content.sealed(version)


@pytest.fixture(scope="module")
def lab_site(db_url, tmp_path_factory):
    if not UCGD.is_file():
        pytest.skip(f"shared test data not found at {SHARED}")
    home = tmp_path_factory.mktemp("evidence")
    settings = make_settings(home, db_url)
    assert settings.data_root is None  # the default data root is under test
    run = home / "data" / "run-1"
    run.mkdir(parents=True)
    # SnpEff's ANN of the real records (the file's VEP CSQ, preferred when present, has no HGVS fields)
    text = "".join(
        ln for ln in UCGD.read_text().splitlines(keepends=True) if not ln.startswith("##INFO=<ID=CSQ,")
    )
    write_vcf_bgzip_indexed(text, run / "ucgd.vcf.gz")
    outside = home / "outside"
    outside.mkdir()
    write_vcf_bgzip_indexed(text, outside / "ucgd.vcf.gz")
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, _panel(), None, settings.actor)
    pipeline = Pipeline(settings, home / "logs")
    for name, role in (("evlab", "lab"), ("evrev", "reviewer")):
        add_user(pipeline, name, role)
    env = {**pipeline.env, "SCREENING_SECRET_KEY": "evidence-secret", "SCREENING_WEB_HTTPS": "off"}
    env.pop("SCREENING_DATA_ROOT", None)
    server = Server(env, home / "serve.log")
    clients: list[httpx.Client] = []

    def client(username: str) -> httpx.Client:
        c = httpx.Client(base_url=server.url, follow_redirects=False, timeout=120)
        clients.append(c)
        page = c.get("/login")
        form = {"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text), "next": "/"}
        assert c.post("/login", data=form).status_code == 303
        return c

    yield {"pipeline": pipeline, "server": server, "client": client, "label": row.label, "home": home}
    for c in clients:
        c.close()
    pipeline.stop()
    server.stop()


MANIFEST = "sample_id,vcf,sex,vcf_sample\nUCGD-101976,ucgd.vcf.gz,unknown,101976-101976\n"


def test_upload_resolves_against_the_default_data_root_and_refuses_paths_outside(lab_site, db_url):
    lab = lab_site["client"]("evlab")
    home = str(lab_site["home"])
    page = lab.get("/lab/batches/new")
    files = {"manifest": ("run.csv", MANIFEST.encode(), "text/csv")}
    form = {"panel": lab_site["label"], "csrf_token": csrf_token(page.text), "batch_id": "ev-out"}
    for folder in (f"{home}/outside", "../outside", "/etc"):  # absolute or relative, outside: refused
        r = lab.post("/lab/batches/new", data={**form, "folder": folder}, files=files)
        assert r.status_code == 422, folder
        assert "outside the data root" in r.text, folder
        assert f"{home}/data" not in r.text  # never the server's data root
    # a manifest whose VCF path climbs out of the data root: refused, naming the lab's path only
    climbing = MANIFEST.replace("ucgd.vcf.gz", "../../outside/ucgd.vcf.gz")
    r = lab.post(
        "/lab/batches/new",
        data={**form, "folder": "run-1"},
        files={"manifest": ("run.csv", climbing.encode(), "text/csv")},
    )
    assert r.status_code == 422
    assert "resolves outside the data root" in r.text
    assert f"{home}/data" not in r.text
    (lab_site["home"] / "outside" / "run.csv").write_text(MANIFEST)
    api = httpx.Client(base_url=lab_site["server"].url, timeout=120)
    try:  # the JSON API resolves a manifest path the same way
        for given in (f"{home}/outside/run.csv", "../outside/run.csv"):
            r = api.post(
                "/api/v1/batches",
                data={"panel": lab_site["label"], "manifest_path": given, "batch_id": "ev-out"},
                auth=("evlab", PASSWORD),
            )
            assert r.status_code == 422, given
            assert "outside the data root" in r.text, given
            assert f"{home}/data" not in r.text
    finally:
        api.close()
    assert query_one(db_url, "SELECT count(*) FROM batch WHERE lab_batch_id = 'ev-out'")[0] == 0
    ok = lab.post("/lab/batches/new", data={**form, "folder": "run-1", "batch_id": "ev-1"}, files=files)
    assert ok.status_code == 303, ok.text
    assert ok.headers["location"] == "/lab/batches/ev-1"


def test_the_case_page_shows_hgvs_consequence_and_transcript_from_the_vcf(lab_site, db_url):
    pipeline: Pipeline = lab_site["pipeline"]
    if query_one(db_url, "SELECT count(*) FROM batch WHERE lab_batch_id = 'ev-1'")[0] == 0:
        pytest.fail("the upload test submits batch ev-1 first")
    pipeline.start(1)
    status = pipeline.wait("ev-1")
    ((sample, result),) = status.samples
    assert sample.sample.state == "screened", sample.sample.reason
    (finding,) = result.findings
    (v,) = finding.variants
    # SnpEff's entries of the allele for DDX11L1: the splice donor one is the most severe
    assert (v.consequence, v.transcript, v.hgvsc, v.hgvsp) == (
        "splice_donor_variant&splice_region_variant&intron_variant",
        "ENST00000518655",
        "n.734+2_734+3delAG",
        None,
    )
    stored = query_one(
        db_url,
        "SELECT c.hgvsc, c.hgvsp, c.transcript FROM candidate c JOIN screening_run r ON r.id = c.run_id "
        "JOIN sample s ON s.id = r.sample_id WHERE s.sample_id = 'UCGD-101976'",
    )
    assert tuple(stored) == ("n.734+2_734+3delAG", None, "ENST00000518655")
    run_id = query_one(
        db_url,
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "WHERE s.sample_id = 'UCGD-101976'",
    )[0]
    page = lab_site["client"]("evrev").get(f"/review/cases/{run_id}")
    assert page.status_code == 200
    cell = re.search(r'data-testid="hgvs">(.*?)</td>', page.text, re.S).group(1)
    assert "n.734+2_734+3delAG" in cell
    assert "p. not annotated" in cell  # absent: said, never a blank
    assert re.search(r'data-testid="transcript">ENST00000518655<', page.text)
    assert "splice_donor_variant&amp;splice_region_variant&amp;intron_variant" in page.text


def test_batch_list_and_submit_pages_show_the_workers_heartbeat(lab_site, db_url):
    pipeline: Pipeline = lab_site["pipeline"]
    lab = lab_site["client"]("evlab")
    if not pipeline.workers:
        pipeline.start(1)

    def heartbeat(path: str) -> str:
        html = lab.get(path).text
        return re.search(r'data-testid="worker-heartbeat">(.*?)</p>', html, re.S).group(1)

    wait_until(lambda: "last heartbeat" in heartbeat("/lab/batches"), 120, "a worker's heartbeat")
    assert "last heartbeat" in heartbeat("/lab/batches/new")
    pipeline.stop()
    with psycopg.connect(db_url, autocommit=True) as conn:  # the workers are gone: their last beat ages
        conn.execute("UPDATE worker_heartbeat SET last_seen_at = now() - interval '10 minutes'")
    for path in ("/lab/batches", "/lab/batches/new"):
        text = heartbeat(path)
        assert text.startswith("No worker has been seen for 10m"), text
        assert "heartbeat timeout 30s" in text
