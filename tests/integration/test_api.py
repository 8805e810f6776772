"""Contract tests of the JSON API (/api/v1) against a real ``screening serve``, real PostgreSQL and a batch
screened by real worker processes: every endpoint called with HTTP Basic and with a machine token for
each role, and every response body validated against the published OpenAPI schema (the response
documented for that path, method and status code); token revocation, wrong role 403, unknown ids 404,
bad input 422, never a traceback nor a server path; audit rows for what the pages audit."""

from __future__ import annotations

import dataclasses
import json
import re

import httpx
import jsonschema
import psycopg
import pytest
from conftest import query_all, query_one
from web_support import PASSWORD, USERS, build_site, csrf_token, identity_strings, own_database, signed_in

from screening import panel_content

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROLES = ("lab", "reviewer", "curator", "admin")
LAB, CASE, LETTER, CURATOR = ("lab", "admin"), ("reviewer", "admin"), ("reviewer",), ("curator", "admin")


def _run_id(db_url: str, batch_id: str, sample_id: str) -> int:
    sql = (
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s"
    )
    return query_one(db_url, sql, {"b": batch_id, "s": sample_id})[0]


def _publish_next_version(site, db_url: str) -> str:
    """A second published version of the site's panel without its first gene (a real diff)."""
    from screening.db import connection
    from screening.db import curation as db_curation
    from screening.db import panels as db_panels
    from screening.domain import Version

    settings = site.pipeline.settings
    with connection.session(settings) as conn, connection.transaction(conn, "pytest"):
        row = db_curation.require_version(conn, site.panel_label)
        current = db_panels.load_panel_version(conn, row.id)
        nxt = Version(current.version.major, current.version.minor + 1)
        changed = dataclasses.replace(current, version=nxt, genes=current.genes[1:], sha256=None)
        changed = panel_content.sealed(changed)
        db_curation.set_change_message(conn, "API test: first gene dropped")
        published, _ = db_panels.publish(conn, changed, None, "pytest")
    return str(published.version)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    """This module's site has a database of its own (web_support.own_database)."""
    with own_database(tmp_path_factory.mktemp("apidb")) as url:
        yield url


@pytest.fixture(scope="module")
def site(db_url, panel, sim, tmp_path_factory):
    s = build_site(tmp_path_factory.mktemp("api"), db_url, panel, sim, "api")
    # one letter issued through the reviewer's confirmation page, as a reviewer would
    clear = s.clear()[0]
    run_id = _run_id(db_url, s.batch_id, clear)
    with httpx.Client(base_url=s.url, timeout=120) as reviewer:
        signed_in(reviewer, "reviewer")
        page = reviewer.get(f"/review/cases/{run_id}/letters/no_condition_suspected_parents").text
        sha = re.search(r'name="confirm_sha256" value="([0-9a-f]{64})"', page).group(1)
        data = {
            "kind": "no_condition_suspected_parents",
            "confirm_sha256": sha,
            "csrf_token": csrf_token(page),
        }
        assert reviewer.post(f"/review/cases/{run_id}/letters", data=data).status_code == 303
    s.extra["letter_sample"] = clear
    s.extra["letter_id"] = query_one(db_url, "SELECT max(id) FROM issued_letters")[0]
    s.extra["new_version"] = _publish_next_version(s, db_url)
    yield s
    s.server.stop()


@pytest.fixture(scope="module")
def spec(site) -> dict:
    r = httpx.get(site.url + "/api/v1/openapi.json", timeout=60)
    assert r.status_code == 200
    return r.json()


@pytest.fixture(scope="module")
def tokens(site) -> dict[str, str]:
    """One machine token per role, created with ``screening token create`` (printed once)."""
    made = {}
    for role in ROLES:
        out = site.pipeline.cli("token", "create", f"sys-{role}", "--role", role)
        made[role] = out.stdout.strip()
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", made[role]), out.stdout
        assert "shown only now" in out.stderr
    return made


class Api:
    """Calls the API and checks every answer against the published schema."""

    def __init__(self, site, spec: dict, tokens: dict[str, str]):
        self.site, self.spec, self.tokens = site, spec, tokens
        self.http = httpx.Client(base_url=site.url, timeout=120)
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in spec["paths"]]

    def close(self) -> None:
        self.http.close()

    def _auth(self, who: str | None, via: str) -> dict:
        if who is None:
            return {}
        if via == "token":
            return {"headers": {"Authorization": f"Bearer {self.tokens.get(who, who)}"}}
        return {"auth": (USERS.get(who, who), PASSWORD)}

    def call(
        self, method: str, path: str, who: str | None = None, via: str = "basic", **kw
    ) -> httpx.Response:
        r = self.http.request(method, path, **self._auth(who, via), **kw)
        self.check(method, path, r)
        return r

    def check(self, method: str, path: str, r: httpx.Response) -> None:
        """The status code is documented for this operation and the body is valid against its schema."""
        bare = path.split("?")[0]
        templates = [t for rx, t in self.paths if rx.match(bare)]
        assert templates, f"{bare} is not in the published schema"
        operation = self.spec["paths"][templates[0]][method.lower()]
        documented = operation["responses"]
        assert str(r.status_code) in documented, (method, path, r.status_code, r.text[:300])
        content = documented[str(r.status_code)].get("content", {})
        kind = r.headers.get("content-type", "").split(";")[0]
        assert kind in content, (method, path, kind, list(content))
        if kind == "application/json":
            schema = {**content[kind]["schema"], "components": self.spec["components"]}
            jsonschema.Draft202012Validator(schema).validate(r.json())
        else:
            assert r.content.startswith(b"%PDF"), r.content[:20]
        if r.status_code >= 400:
            assert "Traceback" not in r.text
            assert str(self.site.data_root) not in r.text
            assert str(self.site.pipeline.settings.home) not in r.text


@pytest.fixture
def api(site, spec, tokens):
    a = Api(site, spec, tokens)
    yield a
    a.close()


def _endpoints(site) -> list[tuple[str, str, tuple[str, ...], dict]]:
    b, flagged = site.batch_id, site.flagged()[0]
    panel_id, version = site.panel_label.split("@")
    new = site.extra["new_version"]
    return [
        ("GET", "/api/v1/batches", LAB, {}),
        ("GET", "/api/v1/batches?state=finalised&limit=1&offset=0", LAB, {}),
        ("GET", f"/api/v1/batches/{b}", LAB, {}),
        ("POST", f"/api/v1/batches/{b}/requeue", LAB, {"json": {}}),
        ("GET", f"/api/v1/batches/{b}/samples/{flagged}", LAB, {}),
        ("POST", f"/api/v1/batches/{b}/samples/{flagged}/requeue", LAB, {}),
        ("GET", f"/api/v1/batches/{b}/samples/{flagged}/findings", CASE, {}),
        ("GET", f"/api/v1/batches/{b}/letters", CASE, {}),
        ("GET", f"/api/v1/batches/{b}/samples/{site.extra['letter_sample']}/letters", CASE, {}),
        ("GET", f"/api/v1/letters/{site.extra['letter_id']}.pdf", LETTER, {}),
        ("GET", "/api/v1/panels", CURATOR, {}),
        ("GET", f"/api/v1/panels/{panel_id}/versions/{version}", CURATOR, {}),
        ("GET", f"/api/v1/panels/{panel_id}/diff?old={version}&new={new}", CURATOR, {}),
    ]


def test_the_schema_is_published_with_an_error_model_and_docs_offline(site, spec):
    assert spec["openapi"].startswith("3.")
    assert {"HTTPBasic", "HTTPBearer"} <= set(spec["components"]["securitySchemes"])
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail"}
    assert error["additionalProperties"] is False
    endpoints = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert len(endpoints) == 13, sorted(endpoints)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for code in ("401", "403", "422"):
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)
            ok = op["responses"].get("200") or op["responses"]["201"]
            assert ok.get("content"), (method, path)  # a response model for every endpoint
    docs = httpx.get(site.url + "/api/docs", timeout=60).text
    assert 'data-openapi-url="/api/v1/openapi.json"' in docs
    assert not re.search(r'(src|href)="(https?:)?//', docs)


def test_every_endpoint_for_every_role_with_basic_auth_and_with_a_token(site, api):
    """Each endpoint answers the roles whose pages show the same thing and refuses the others (403);
    both ways of signing in agree; every body is valid against the schema."""
    for method, path, allowed, kw in _endpoints(site):
        for role in ROLES:
            bodies = []
            for via in ("basic", "token"):
                r = api.call(method, path, role, via, **kw)
                expected = 409 if path.endswith("/requeue") and "/samples/" in path else 200  # screened
                if role in allowed:
                    assert r.status_code == expected, (method, path, role, via, r.text[:300])
                    bodies.append(
                        r.content if r.headers["content-type"].startswith("application/pdf") else r.json()
                    )
                else:
                    assert r.status_code == 403, (method, path, role, via, r.status_code)
                    assert r.json()["detail"] == f"this is not open to the {role} role"
            if bodies and method == "GET":
                assert bodies[0] == bodies[1], (path, role)  # Basic and token: the same document


def test_documents_are_the_clis_and_the_lab_never_sees_findings(site, api):
    b = site.batch_id
    cli = json.loads(site.pipeline.cli("batch", "status", b, "--format", "json").stdout)
    assert api.call("GET", f"/api/v1/batches/{b}", "admin").json() == cli
    lab = api.call("GET", f"/api/v1/batches/{b}", "lab", "token").json()
    assert [s["sample_id"] for s in lab["samples"]] == [s["sample_id"] for s in cli["samples"]]
    assert [s["outcome"] for s in lab["samples"]] == [s["outcome"] for s in cli["samples"]]
    text = json.dumps(lab)
    assert "HGNC:" not in text
    assert '"findings"' not in text
    assert '"karyotype"' not in text
    flagged = site.flagged()[0]
    sample = api.call("GET", f"/api/v1/batches/{b}/samples/{flagged}", "lab").json()
    assert sample["outcome"] == "condition_suspected"
    assert "findings" not in sample
    assert sample["reasons"] == []
    full = next(s for s in cli["samples"] if s["sample_id"] == flagged)
    assert api.call("GET", f"/api/v1/batches/{b}/samples/{flagged}", "admin").json() == full
    # findings: the screening screen object of the stored run (report.result_to_dict)
    findings = api.call("GET", f"/api/v1/batches/{b}/samples/{flagged}/findings", "reviewer", "token").json()
    assert findings == {k: full[k] for k in findings}
    assert findings["findings"]
    assert {f["hgnc_id"] for f in findings["findings"]} == set(full["flagged_genes"])
    assert set(findings) == {
        "sample_id", "outcome", "karyotype", "reasons", "not_evaluated", "findings",
        "unreported_candidates", "provenance",
    }  # fmt: skip
    # panels: the CLI's JSON
    panel_id, version = site.panel_label.split("@")
    shown = json.loads(
        site.pipeline.cli("panel", "show", site.panel_label, "--genes", "--format", "json").stdout
    )
    assert api.call("GET", f"/api/v1/panels/{panel_id}/versions/{version}", "curator").json() == shown
    listed = json.loads(site.pipeline.cli("panel", "list", panel_id, "--format", "json").stdout)
    assert api.call("GET", f"/api/v1/panels?panel_id={panel_id}", "curator", "token").json() == listed
    new = site.extra["new_version"]
    diff = api.call("GET", f"/api/v1/panels/{panel_id}/diff?old={version}&new={new}", "admin").json()
    cli_diff = site.pipeline.cli("panel", "diff", site.panel_label, f"{panel_id}@{new}", "--format", "json")
    assert diff == json.loads(cli_diff.stdout)
    assert diff["identical"] is False
    assert len(diff["genes_removed"]) == 1
    # letters: records without content, the PDF with its sha256
    letters = api.call("GET", f"/api/v1/batches/{b}/letters", "reviewer").json()["letters"]
    assert [entry["id"] for entry in letters] == [site.extra["letter_id"]]
    pdf = api.call("GET", letters[0]["pdf_url"], "reviewer", "token")
    import hashlib

    assert (
        hashlib.sha256(pdf.content).hexdigest() == letters[0]["pdf_sha256"] == pdf.headers["X-Letter-SHA256"]
    )
    for value in identity_strings(site):  # identities never in any JSON document
        assert value not in json.dumps([lab, findings, letters])


def test_batch_list_pages_and_filters(site, api):
    first = api.call("GET", "/api/v1/batches?limit=1", "lab").json()
    assert first["total"] >= 1
    assert len(first["items"]) == 1
    assert first["limit"] == 1
    ids = []
    offset = 0
    while offset is not None:
        page = api.call("GET", f"/api/v1/batches?limit=1&offset={offset}", "lab").json()
        ids += [i["batch_id"] for i in page["items"]]
        offset = page["next_offset"]
    assert len(ids) == first["total"] == len(set(ids))
    assert site.batch_id in ids
    panel_id = site.panel_label.split("@")[0]
    mine = api.call("GET", f"/api/v1/batches?panel_id={panel_id}&state=finalised", "admin").json()
    assert [i["batch_id"] for i in mine["items"]] == [site.batch_id]
    assert mine["items"][0]["counts"]["screened"] == len(site.truth)
    none = api.call("GET", "/api/v1/batches?since=2999-01-01T00:00:00Z", "lab").json()
    assert none == {"items": [], "total": 0, "limit": 50, "offset": 0, "next_offset": None}


def test_unknown_ids_404_and_bad_input_422_never_a_traceback(site, api):
    b, flagged = site.batch_id, site.flagged()[0]
    panel_id, version = site.panel_label.split("@")
    before = site.server.log.read_text()
    for path, who in [
        ("/api/v1/batches/no-such-batch", "lab"),
        (f"/api/v1/batches/{b}/samples/no-such-sample", "lab"),
        (f"/api/v1/batches/{b}/samples/no-such-sample/findings", "reviewer"),
        ("/api/v1/batches/no-such-batch/letters", "reviewer"),
        (f"/api/v1/batches/{b}/samples/no-such-sample/letters", "admin"),
        ("/api/v1/letters/999999999.pdf", "reviewer"),
        (f"/api/v1/panels/{panel_id}/versions/99.0", "curator"),
        (f"/api/v1/panels/{panel_id}/versions/not-a-version", "curator"),
        (f"/api/v1/panels/no-such-panel/diff?old={version}&new={version}", "curator"),
        ("/api/v1/batches/..%2F..%2Fetc", "lab"),
    ]:
        r = api.call("GET", path, who, "token")
        assert r.status_code == 404, (path, r.status_code, r.text)
    for method, path, who, kw in [
        ("GET", "/api/v1/batches?limit=0", "lab", {}),
        ("GET", "/api/v1/batches?limit=abc", "lab", {}),
        ("GET", "/api/v1/batches?state=exploded", "lab", {}),
        ("GET", "/api/v1/batches?since=yesterday", "lab", {}),
        ("GET", "/api/v1/batches?offset=-1", "lab", {}),
        ("GET", "/api/v1/letters/0.pdf", "reviewer", {}),
        ("GET", "/api/v1/letters/99999999999999999999999.pdf", "reviewer", {}),
        ("GET", f"/api/v1/panels/{panel_id}/diff?old={version}", "curator", {}),
        ("POST", f"/api/v1/batches/{b}/requeue", "lab", {"json": {"sample_ids": "all"}}),
        ("POST", f"/api/v1/batches/{b}/requeue", "lab", {"json": {"everything": True}}),
        (
            "POST",
            f"/api/v1/batches/{b}/requeue",
            "lab",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("POST", "/api/v1/batches", "lab", {"data": {}}),
        ("POST", "/api/v1/batches", "lab", {"data": {"panel": "x@1.0", "programme": "Not A Name"}}),
    ]:
        r = api.call(method, path, who, **kw)
        assert r.status_code == 422, (method, path, r.status_code, r.text)
        assert r.json()["problems"], r.text
    # the screened sample has results; a sample that is not failed is not re-queued
    r = api.call("POST", f"/api/v1/batches/{b}/samples/{flagged}/requeue", "lab")
    assert r.status_code == 409
    assert "only failed samples" in r.json()["detail"]
    log = site.server.log.read_text()[len(before) :]
    assert "Traceback" not in log, log[-3000:]


def test_submission_with_a_token_lists_every_problem_at_once(site, db_url, api):
    bad = "sample_id,vcf,sex\nX1,missing1.vcf.gz,male\nX2,missing2.vcf.gz,alien\n"
    files = {"manifest": ("bad.csv", bad.encode(), "text/csv")}
    r = api.call("POST", "/api/v1/batches", "lab", "token", data={"panel": site.panel_label}, files=files)
    assert r.status_code == 422
    assert len(r.json()["problems"]) >= 3
    assert any("X2" in p and "sex" in p for p in r.json()["problems"])
    lines = (site.data_root / "manifest.csv").read_text().splitlines()
    two = {"manifest": ("two.csv", ("\n".join(lines[:3]) + "\n").encode(), "text/csv")}
    form = {"panel": site.panel_label, "folder": ".", "batch_id": "api-token-1"}
    r = api.call("POST", "/api/v1/batches", "lab", "token", data=form, files=two)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "batch_id": "api-token-1", "created": True, "samples": 2, "programme": "england",
        "status_url": "/api/v1/batches/api-token-1",
    }  # fmt: skip
    again = api.call("POST", "/api/v1/batches", "lab", "token", data=form, files=two)
    assert again.status_code == 200
    assert again.json()["created"] is False
    submitted_by = query_one(db_url, "SELECT submitted_by FROM batch WHERE lab_batch_id = 'api-token-1'")[0]
    assert submitted_by == "web:token:sys-lab"
    assert api.call("POST", "/api/v1/batches", "reviewer", "token", data=form, files=two).status_code == 403


def test_reads_the_pages_audit_are_audited_the_same_way(site, db_url, api):
    b, flagged = site.batch_id, site.flagged()[0]

    def views() -> list[tuple]:
        return query_all(db_url, "SELECT viewed_by, purpose FROM identity_views ORDER BY id")

    before = len(views())
    api.call("GET", f"/api/v1/batches/{b}/samples/{flagged}/findings", "reviewer", "token")
    api.call("GET", f"/api/v1/letters/{site.extra['letter_id']}.pdf", "reviewer")
    run_id = _run_id(db_url, b, flagged)
    assert views()[before:] == [
        ("web:token:sys-reviewer", f"API findings run {run_id}"),
        (f"web:{USERS['reviewer']}", f"letter {site.extra['letter_id']} PDF"),
    ]
    audited = query_all(
        db_url,
        "SELECT actor, action FROM audit_log WHERE entity = 'identity_views' ORDER BY id DESC LIMIT 2",
    )
    assert sorted(audited) == sorted(
        [("web:token:sys-reviewer", "view"), (f"web:{USERS['reviewer']}", "view")]
    )


def test_an_altered_letter_is_refused_through_the_api(site, db_url, api):
    letter_id = site.extra["letter_id"]
    (pdf,) = query_one(db_url, "SELECT pdf FROM issued_letters WHERE id = %(i)s", {"i": letter_id})

    def overwrite(content: bytes) -> None:
        with psycopg.connect(db_url) as conn:  # as a superuser could, the immutability trigger off
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(
                "UPDATE issued_letters SET pdf = %(p)s WHERE id = %(i)s", {"p": content, "i": letter_id}
            )

    overwrite(bytes(pdf).replace(b"%PDF", b"%PDF ", 1))
    try:
        r = api.call("GET", f"/api/v1/letters/{letter_id}.pdf", "reviewer", "token")
        assert r.status_code == 409
        assert "no longer matches its recorded sha256" in r.json()["detail"]
    finally:
        overwrite(bytes(pdf))
    assert api.call("GET", f"/api/v1/letters/{letter_id}.pdf", "reviewer", "token").status_code == 200


def test_tokens_are_hashed_revocable_recorded_and_audited(site, db_url, api, tokens):
    rows = query_all(db_url, "SELECT name, token_sha256, last_used_at FROM api_tokens ORDER BY name")
    import hashlib

    stored = {name: sha for name, sha, _ in rows}
    for role, token in tokens.items():
        assert stored[f"sys-{role}"] == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([list(map(str, r)) for r in rows])
    assert all(used is not None for name, _, used in rows if name.startswith("sys-"))  # used above
    listed = json.loads(site.pipeline.cli("token", "list", "--format", "json").stdout)
    assert {d["name"] for d in listed} >= {f"sys-{r}" for r in ROLES}
    assert not any(t in json.dumps(listed) for t in tokens.values())

    fresh = site.pipeline.cli("token", "create", "to-revoke", "--role", "lab").stdout.strip()
    again = site.pipeline.cli("token", "create", "to-revoke", "--role", "lab", check=False)
    assert again.returncode == 2
    assert "exists already" in again.stderr
    b = site.batch_id
    assert api.call("GET", f"/api/v1/batches/{b}", fresh, "token").status_code == 200
    site.pipeline.cli("token", "revoke", "to-revoke")
    revoked = api.call("GET", f"/api/v1/batches/{b}", fresh, "token")
    unknown = api.call("GET", f"/api/v1/batches/{b}", "x" * 43, "token")
    assert revoked.status_code == unknown.status_code == 401
    assert (
        revoked.json() == unknown.json() == {"detail": "invalid token", "problems": []}
    )  # nothing tells which
    twice = site.pipeline.cli("token", "revoke", "to-revoke", check=False)
    assert twice.returncode == 2
    assert "already revoked" in twice.stderr
    missing = site.pipeline.cli("token", "revoke", "never-made", check=False)
    assert missing.returncode == 2
    assert "no token is named" in missing.stderr
    assert api.call("GET", f"/api/v1/batches/{b}").status_code == 401  # no credentials at all
    assert api.call("GET", f"/api/v1/batches/{b}", "lab").status_code == 200
    assert api.call("GET", f"/api/v1/batches/{b}", "nobody").status_code == 401  # unknown user
    audit = query_all(
        db_url,
        "SELECT action, actor, detail->>'name', detail->>'role' FROM audit_log WHERE entity = 'api_token' "
        "AND detail->>'name' = 'to-revoke' ORDER BY id",
    )
    assert audit == [
        ("api_token_created", "pytest", "to-revoke", "lab"),
        ("api_token_revoked", "pytest", "to-revoke", "lab"),
    ]
    assert not any(fresh in json.dumps(r) for r in query_all(db_url, "SELECT detail::text FROM audit_log"))
    # a revocation is final, even for the web role that may update the column
    web = site.pipeline.settings
    from screening.db import connection

    with (
        connection.session(dataclasses.replace(web, db_role="web")) as conn,
        pytest.raises(psycopg.errors.RestrictViolation, match="first revocation"),
    ):
        conn.execute("UPDATE api_tokens SET revoked_at = NULL, revoked_by = NULL WHERE name = 'to-revoke'")
    assert api.call("GET", f"/api/v1/batches/{b}", fresh, "token").status_code == 401


def test_requeue_of_a_failed_sample_is_screened_again_by_a_real_worker(site, db_url, api):
    """Last in this module: it re-opens the shared batch. The lab page's re-queue, through the API."""
    sid = next(s for s, t in site.truth.items() if t["expected_outcome"] == "no_condition_suspected")
    where = "batch_id = (SELECT id FROM batch WHERE lab_batch_id = %(b)s) AND sample_id = %(s)s"
    args = {"b": site.batch_id, "s": sid}
    with psycopg.connect(db_url, autocommit=True) as conn:  # as the worker's attempt cap leaves it
        conn.execute(
            f"UPDATE sample SET state = 'failed', reason = 'gave up after 3 attempts' WHERE {where}", args
        )
    sample = api.call("GET", f"/api/v1/batches/{site.batch_id}/samples/{sid}", "lab", "token").json()
    assert sample["state"] == "failed"
    assert sample["reason"] == "gave up after 3 attempts"
    assert (
        api.call("GET", f"/api/v1/batches/{site.batch_id}/samples/{sid}/findings", "admin").status_code == 409
    )
    others = api.call(
        "POST", f"/api/v1/batches/{site.batch_id}/requeue", "lab", json={"sample_ids": ["nope"]}
    )
    assert others.json() == {"batch_id": site.batch_id, "requeued": []}
    r = api.call("POST", f"/api/v1/batches/{site.batch_id}/samples/{sid}/requeue", "lab", "token")
    assert r.status_code == 200
    assert r.json() == {"batch_id": site.batch_id, "requeued": [sid]}
    assert query_one(db_url, f"SELECT state FROM sample WHERE {where}", args)[0] == "queued"
    site.pipeline.start(1)
    try:
        site.pipeline.wait(site.batch_id)
    finally:
        site.pipeline.stop()
    sample = api.call("GET", f"/api/v1/batches/{site.batch_id}/samples/{sid}", "lab").json()
    assert sample["state"] == "screened"
    assert sample["outcome"] == "no_condition_suspected"
    actors = query_all(
        db_url,
        f"SELECT actor FROM event WHERE entity = 'sample' AND to_state = 'queued' "
        f"AND entity_id = (SELECT id FROM sample WHERE {where}) ORDER BY id DESC LIMIT 1",
        args,
    )
    assert actors == [("web:token:sys-lab",)]
