"""Curator pages over HTTP against a real ``screening serve``, real PostgreSQL and a batch screened by real
workers: role refusals, CSRF, the gene table's search/filter/sort/pages, bad PanelApp uploads as plain
4xx, and import → diff → impact (the same numbers as ``screening panel impact``) → publish (audited, and
the same sha256 as ``screening panel publish`` of the same folder)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from conftest import query_all, query_one, wait_until
from web_support import USERS, build_site, csrf_token, own_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    """This module's site has a database of its own (web_support.own_database)."""
    with own_database(tmp_path_factory.mktemp("curdb")) as url:
        yield url


@pytest.fixture(scope="module")
def site(db_url, panel, sim, tmp_path_factory):
    s = build_site(tmp_path_factory.mktemp("webcur"), db_url, panel, sim, "cur")
    yield s
    s.server.stop()


def _panel_path(site) -> str:
    panel_id, _, version = site.panel_label.rpartition("@")
    return f"/curator/panels/{panel_id}/{version}"


def _exported(site, tmp_path: Path) -> dict:
    """The site's published version as PanelApp-style JSON, written by the CLI."""
    out = tmp_path / "export.json"
    site.pipeline.cli("panel", "export", site.panel_label, "--panelapp", str(out))
    return json.loads(out.read_text())


def _upload(curator: httpx.Client, data: bytes, filename: str = "panel.json", **fields) -> httpx.Response:
    token = csrf_token(curator.get("/curator/panels").text)
    form = {"csrf_token": token, "panel_id": "p", "version": "1.1", "build": "GRCh38", "name": "", **fields}
    return curator.post("/curator/drafts", data=form, files={"file": (filename, data, "application/json")})


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert 'File "' not in text


def test_curator_pages_refuse_other_roles_and_anonymous(site, client, tmp_path):
    curator = client("curator")
    r = _upload(curator, json.dumps(_exported(site, tmp_path)).encode(), panel_id="refusal-test")
    assert r.status_code == 303, r.text
    draft_path = r.headers["location"]
    for role in ("lab", "reviewer"):
        other = client(role)
        token = csrf_token(other.get("/lab/batches" if role == "lab" else "/review").text)
        for path in ("/curator/panels", _panel_path(site), draft_path, draft_path + "/impact"):
            assert other.get(path).status_code == 403, (role, path)
        for path in ("/curator/drafts", draft_path + "/impact", draft_path + "/publish"):
            r = other.post(path, data={"csrf_token": token, "message": "x"})
            assert r.status_code == 403, (role, path)
            assert "not open to the" in r.text
    anonymous = client()
    r = anonymous.get(draft_path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    admin = client("admin")
    assert admin.get(draft_path).status_code == 200
    assert (
        query_all(
            site.pipeline.settings.database_url,
            "SELECT 1 FROM panel_version WHERE panel_id = 'refusal-test'",
        )
        == []
    )


def test_curator_forms_without_the_csrf_token_are_refused(site, client, tmp_path):
    curator = client("curator")
    data = json.dumps(_exported(site, tmp_path)).encode()
    r = curator.post(
        "/curator/drafts",
        data={"panel_id": "csrf-test", "version": "1.1"},
        files={"file": ("p.json", data, "application/json")},
    )
    assert r.status_code == 403
    r = _upload(curator, data, panel_id="csrf-test")
    draft_path = r.headers["location"]
    for path in (draft_path + "/impact", draft_path + "/publish"):
        r = curator.post(path, data={"csrf_token": "forged", "message": "a message"})
        assert r.status_code == 403, path
    assert (
        query_all(
            site.pipeline.settings.database_url, "SELECT 1 FROM panel_version WHERE panel_id = 'csrf-test'"
        )
        == []
    )


def test_bad_uploads_are_a_plain_422_naming_the_file_never_a_server_path(site, client):
    curator = client("curator")
    home = str(site.pipeline.settings.home)
    panels_list = json.dumps({"count": 1, "next": None, "results": [{"id": 1, "version": "1.0"}]})
    cases = [
        (b"{not json", "broken.json", {}, "broken.json:1: not JSON"),
        (b"", "empty.json", {}, "choose the PanelApp API JSON file"),
        (b"\xff\xfe\x00", "binary.json", {}, "binary.json: not UTF-8"),
        (panels_list.encode(), "list.json", {}, "a list of panels"),
        (b'{"id": 1, "genes": []}', "p.json", {"version": "one"}, "version:"),
        (b'{"id": 1, "genes": []}', "p.json", {"build": "hg19"}, "genome build"),
    ]
    drafts_before = len(list((Path(home) / "drafts").glob("*"))) if (Path(home) / "drafts").exists() else 0
    for data, name, fields, expected in cases:
        r = _upload(curator, data, name, **fields)
        assert r.status_code == 422, (name, r.status_code, r.text[:300])
        assert expected in r.text, (name, r.text[-1500:])
        assert home not in r.text
        _no_traceback(r.text)
        assert 'data-testid="import-problems"' in r.text
    drafts_after = len(list((Path(home) / "drafts").glob("*"))) if (Path(home) / "drafts").exists() else 0
    assert drafts_after == drafts_before  # nothing kept from a refused upload
    assert curator.get("/curator/drafts/0123456789abcdef").status_code == 404
    assert curator.get("/curator/drafts/..%2f..%2fetc").status_code == 404


def test_gene_table_searches_filters_sorts_and_pages_without_javascript(site, client, panel):
    curator = client("curator")
    path = _panel_path(site)
    first = curator.get(path).text
    assert f"of {len(panel.genes)} gene entries" in first
    assert len(re.findall(r"<tr data-gene=", first)) == 50  # a page, not 35,000 px
    assert 'data-testid="gene-pages"' in first
    gusb = curator.get(path, params={"q": "gusb"}).text
    assert re.findall(r'<tr data-gene="([^"]+)"', gusb) == ["GUSB"]
    assert "1 of" in curator.get(path, params={"q": "HGNC:4696"}).text
    biallelic = [g for g in panel.genes if g.moi.value == "BIALLELIC" and g.lof_mechanism]
    r = curator.get(path, params={"moi": "BIALLELIC", "lof": "yes"}).text
    assert f"{len(biallelic)} of {len(panel.genes)} gene entries" in r
    urgent = curator.get(path, params={"sort": "urgency"}).text
    first_rows = re.findall(r'<td class="urgency-([a-z]+)">', urgent)
    assert first_rows[0] == "immediate"
    last = curator.get(path, params={"sort": "urgency", "desc": "1"}).text
    assert re.findall(r'<td class="urgency-([a-z]+)">', last)[0] == "routine"
    immediate = sum(g.urgency.value == "immediate" for g in panel.genes)
    assert f"{immediate} of" in curator.get(path, params={"urgency": "immediate"}).text
    symbols_page2 = re.findall(r'<tr data-gene="([^"]+)"', curator.get(path, params={"page": "2"}).text)
    ordered = sorted(panel.genes, key=lambda g: (g.symbol.upper(), g.moi.value))
    assert symbols_page2 == [g.symbol for g in ordered[50:100]]
    assert "<details><summary>source</summary>" in first
    for v in panel.include:
        assert f"{v.chrom}:{v.pos} {v.ref}&gt;{v.alt}" in first  # the lists themselves, not only counts
    for v in panel.exclude:
        assert f"{v.chrom}:{v.pos} {v.ref}&gt;{v.alt}" in first
    nonsense = curator.get(path, params={"sort": "nope", "page": "x", "moi": "<script>"})
    assert nonsense.status_code == 200


def test_import_diff_impact_publish_as_the_cli_would(site, client, tmp_path, db_url):
    """A PanelApp upload (the site's version exported, one flagged baby's gene removed) becomes a draft;
    its diff names the gene; its impact equals ``screening panel impact`` of the same folder; publishing
    needs a message, writes the audit row and gives the sha256 ``screening panel publish`` gives."""
    flagged = [s for s in site.flagged() if len({f["symbol"] for f in site.truth[s]["findings"]}) == 1]
    sid = flagged[0]
    gene = site.truth[sid]["findings"][0]["symbol"]
    doc = _exported(site, tmp_path)
    doc["genes"] = [g for g in doc["genes"] if g["entity_name"] != gene]
    panel_id = site.panel_label.rpartition("@")[0]
    curator = client("curator")
    r = _upload(curator, json.dumps(doc).encode(), "revised.json", panel_id=panel_id, version="7.1")
    assert r.status_code == 303, r.text
    draft_path = r.headers["location"]
    draft_id = draft_path.rsplit("/", 1)[1]
    page = curator.get(draft_path).text
    assert f"Draft {panel_id}@7.1" in page
    assert "revised.json" in page
    folder = Path(site.pipeline.settings.home) / "drafts" / draft_id / "panel"
    validated = site.pipeline.cli("panel", "validate", str(folder)).stdout
    cli_sha = validated.split("sha256 ")[1].strip()
    assert f'<code data-testid="draft-sha256">{cli_sha}</code>' in page

    diff = curator.get("/curator/diff", params={"old": site.panel_label, "new": f"draft:{draft_id}"})
    assert diff.status_code == 200
    assert "Genes removed (1)" in diff.text
    assert f"<td>{gene}</td>" in diff.text

    token = csrf_token(page)
    r = curator.post(draft_path + "/impact", data={"csrf_token": token})
    assert r.status_code == 303
    assert r.headers["location"] == draft_path + "/impact"

    def finished() -> bool:
        doc = curator.get(draft_path + "/impact/progress").json()
        assert doc["state"] != "failed", doc
        return doc["state"] == "finished"

    wait_until(finished, 600, "the impact preview to finish")
    progress = curator.get(draft_path + "/impact/progress").json()
    assert progress["done"] == progress["total"] > 0
    impact = curator.get(draft_path + "/impact").text
    cli = json.loads(site.pipeline.cli("panel", "impact", str(folder), "--format", "json").stdout)
    for category, n in cli["counts"].items():
        assert f'<td data-count="{category}">{n}</td>' in impact, category
    assert cli["counts"]["no_longer_suspected"] >= 1
    row = re.search(rf"<tr><td>[^<]*/{re.escape(sid)}</td><td>([^<]+)</td>", impact)
    assert row is not None
    assert row.group(1) == "no longer suspected"

    r = curator.post(draft_path + "/publish", data={"csrf_token": token, "message": "   "})
    assert r.status_code == 422
    assert "change message" in r.text
    message = f"PanelApp revision without {gene}"
    r = curator.post(draft_path + "/publish", data={"csrf_token": token, "message": message})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/curator/panels/{panel_id}/7.1"
    pv_id, sha, by, stored_message = query_one(
        db_url,
        "SELECT id, sha256, published_by, change_message FROM panel_version "
        "WHERE panel_id = %(p)s AND major = 7 AND minor = 1",
        {"p": panel_id},
    )
    assert sha == cli_sha
    assert (by, stored_message) == (f"web:{USERS['curator']}", message)
    audit = query_all(
        db_url,
        "SELECT actor, action, detail FROM audit_log WHERE entity = 'panel_version' AND entity_id = %(id)s",
        {"id": str(pv_id)},
    )
    assert [(a, act) for a, act, _ in audit] == [(f"web:{USERS['curator']}", "state:published")]
    again = site.pipeline.cli("panel", "publish", str(folder), "-m", "the CLI on the same folder").stdout
    assert f"already published (identical): sha256 {sha}" in again
    shown = curator.get(f"/curator/panels/{panel_id}/7.1").text
    assert message in shown
    assert sha in shown
    assert "published as" in curator.get("/curator/panels").text
    r = curator.post(draft_path + "/publish", data={"csrf_token": token, "message": message})
    assert r.status_code == 303  # identical content again: a no-op, said so
    assert "already published with identical content" in curator.get(r.headers["location"]).text


def test_a_version_already_published_with_other_content_is_refused_plainly(site, client, tmp_path, db_url):
    """Published versions are immutable: a draft reusing the published version number with other content
    cannot be published (a plain 400 saying so), and nothing changes in the database."""
    panel_id, _, version = site.panel_label.rpartition("@")
    curator = client("curator")
    r = _upload(curator, json.dumps(_exported(site, tmp_path)).encode(), panel_id=panel_id, version=version)
    assert r.status_code == 303
    draft_path = r.headers["location"]
    token = csrf_token(curator.get(draft_path).text)
    before = query_all(db_url, "SELECT id, sha256 FROM panel_version WHERE panel_id = %(p)s", {"p": panel_id})
    r = curator.post(draft_path + "/publish", data={"csrf_token": token, "message": "reuse the number"})
    assert r.status_code == 400
    assert "already published" in r.text
    assert "immutable" in r.text
    _no_traceback(r.text)
    after = query_all(db_url, "SELECT id, sha256 FROM panel_version WHERE panel_id = %(p)s", {"p": panel_id})
    assert after == before


def test_an_import_is_audited_and_a_publish_takes_its_clinvar_snapshot_from_shared_storage(
    site, client, tmp_path, db_url
):
    """Every PanelApp import is recorded with its upload's sha256 and audited (``panel_imported``, the
    curator as actor); publishing with a ClinVar VCF inside the data root stores its snapshot (the same
    records ``panel publish --clinvar`` reads); a ClinVar path outside the data root is refused plainly."""
    import hashlib

    panel_id = site.panel_label.rpartition("@")[0]
    data = json.dumps(_exported(site, tmp_path)).encode()
    curator = client("curator")
    r = _upload(curator, data, "with-clinvar.json", panel_id=panel_id, version="8.1")
    assert r.status_code == 303, r.text
    draft_path = r.headers["location"]
    draft_id = draft_path.rsplit("/", 1)[1]
    record = query_one(
        db_url,
        "SELECT id, source_sha256, imported_by, version FROM panel_imports WHERE draft = %(d)s",
        {"d": f"draft:{draft_id}"},
    )
    assert record[1:] == (hashlib.sha256(data).hexdigest(), f"web:{USERS['curator']}", "8.1")
    audit = query_all(
        db_url,
        "SELECT actor FROM audit_log WHERE action = 'panel_imported' AND entity_id = %(id)s",
        {"id": str(record[0])},
    )
    assert audit == [(f"web:{USERS['curator']}",)]

    token = csrf_token(curator.get(draft_path).text)
    outside = {"csrf_token": token, "message": "with ClinVar", "clinvar": "/etc/passwd"}
    r = curator.post(draft_path + "/publish", data=outside)
    assert r.status_code in (400, 422)
    assert "outside the data root" in r.text
    _no_traceback(r.text)
    assert (
        query_one(
            db_url, "SELECT count(*) FROM panel_version WHERE panel_id = %(p)s AND major = 8", {"p": panel_id}
        )[0]
        == 0
    )

    clinvar = str(site.data_root.joinpath("clinvar.vcf.gz").relative_to(site.data_root))
    r = curator.post(draft_path + "/publish", data={**outside, "clinvar": clinvar})
    assert r.status_code == 303, r.text
    assert "ClinVar records" in curator.get(r.headers["location"]).text
    stored = query_one(
        db_url,
        "SELECT c.sha256, (SELECT count(*) FROM clinvar_record v WHERE v.snapshot_id = c.id) "
        "FROM panel_version pv JOIN clinvar_snapshot c ON c.id = pv.clinvar_snapshot_id "
        "WHERE pv.panel_id = %(p)s AND pv.major = 8",
        {"p": panel_id},
    )
    assert stored[1] > 0
