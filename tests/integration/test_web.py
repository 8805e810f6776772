"""The web app over HTTP against a real ``screening serve``, real PostgreSQL and a batch screened by real
workers: sign-in and roles, CSRF, lab pages without identities, the review pathway to a referral pack
PDF, batch letters, curator pages, the JSON API, and identities kept out of logs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time

import httpx
import psycopg
import pytest
from conftest import SCREENING, query_all, query_one
from web_support import PASSWORD, USERS, build_site, identity_strings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(db_url, panel, sim, tmp_path_factory):
    s = build_site(tmp_path_factory.mktemp("web"), db_url, panel, sim, "web")
    yield s
    s.server.stop()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def client(site):
    """``client()`` an anonymous client, ``client(role)`` one signed in as that role; all closed after."""
    made: list[httpx.Client] = []

    def make(role: str | None = None) -> httpx.Client:
        made.append(httpx.Client(base_url=site.url, follow_redirects=False, timeout=120))
        return signed_in(made[-1], role) if role else made[-1]

    yield make
    for c in made:
        c.close()


def signed_in(client: httpx.Client, role: str) -> httpx.Client:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": USERS[role], "password": PASSWORD, "csrf_token": _token(page.text), "next": "/"},
    )
    assert r.status_code == 303, r.text
    return client


def _csrf(client: httpx.Client, path: str) -> str:
    return _token(client.get(path).text)


def _run_id(db_url: str, batch_id: str, sample_id: str) -> int:
    row = query_one(
        db_url,
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s",
        {"b": batch_id, "s": sample_id},
    )
    return row[0]


def test_pages_need_sign_in_and_the_right_role(site, client):
    anonymous = client()
    r = anonymous.get("/review")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")
    wrong = client("lab")
    r = wrong.post(
        "/login", data={"username": USERS["lab"], "password": "wrong password!", "csrf_token": "x"}
    )
    assert r.status_code == 403  # no CSRF token from this session: refused before the password is checked
    forbidden = {
        "lab": ["/review", "/curator/panels", "/admin/users"],
        "reviewer": ["/lab/batches", "/curator/panels", "/admin/users"],
        "curator": ["/lab/batches", "/review", "/admin/users"],
    }
    allowed = {
        "lab": ["/lab/batches"],
        "reviewer": ["/review"],
        "curator": ["/curator/panels"],
        "admin": ["/lab/batches", "/review", "/curator/panels", "/admin/users"],
    }
    for role, paths in forbidden.items():
        user = client(role)
        for path in paths:
            assert user.get(path).status_code == 403, (role, path)
    for role, paths in allowed.items():
        user = client(role)
        for path in paths:
            assert user.get(path).status_code == 200, (role, path)


def test_wrong_password_is_refused(site, client):
    client = client()
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": USERS["reviewer"], "password": "nope-nope-nope", "csrf_token": _token(page.text)},
    )
    assert r.status_code == 401
    assert "Wrong user name or password" in r.text


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    page = client.get("/login")
    data = {"username": username, "password": password, "csrf_token": _token(page.text), "next": "/"}
    return client.post("/login", data=data)


def test_logout_revokes_the_session_and_a_replayed_cookie_signs_nobody_in(site, client):
    reviewer = client("reviewer")
    assert reviewer.get("/review").status_code == 200
    stolen = dict(reviewer.cookies)
    token = _csrf(reviewer, "/review")
    assert reviewer.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = client()
    replay.cookies.update(stolen)
    r = replay.get("/review")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_idle_sessions_expire(site, db_url, client):
    lab = client("lab")
    assert lab.get("/lab/batches").status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:  # as if 31 minutes had passed (idle limit 30)
        conn.execute(
            "UPDATE web_session SET last_seen_at = now() - interval '31 minutes' "
            "WHERE username = %(u)s AND revoked_at IS NULL",
            {"u": USERS["lab"]},
        )
    assert lab.get("/lab/batches").status_code == 303


def test_lockout_after_failed_sign_ins_until_an_admin_unlocks(site, client):
    from web_support import add_user

    add_user(site.pipeline, "locked1", "lab")
    for _ in range(5):
        assert _login(client(), "locked1", "wrong-wrong-wrong").status_code == 401
    refused = _login(client(), "locked1", PASSWORD)  # the right password: refused while locked
    assert refused.status_code == 429
    assert "locked" in refused.text
    api = client().get(f"/api/v1/batches/{site.batch_id}", auth=("locked1", PASSWORD))
    assert api.status_code == 429
    listed = json.loads(site.pipeline.cli("user", "list", "--format", "json").stdout)
    assert next(u for u in listed if u["username"] == "locked1")["locked"] is True
    admin = client("admin")
    page = admin.get("/admin/users").text
    assert "locked" in page
    r = admin.post("/admin/users/locked1/unlock", data={"csrf_token": _token(page)})
    assert r.status_code == 303
    assert _login(client(), "locked1", PASSWORD).status_code == 303
    for _ in range(5):  # locked again; unlocked from the command line this time
        _login(client(), "locked1", "wrong-wrong-wrong")
    assert _login(client(), "locked1", PASSWORD).status_code == 429
    site.pipeline.cli("user", "unlock", "locked1")
    assert client().get(f"/api/v1/batches/{site.batch_id}", auth=("locked1", PASSWORD)).status_code == 200


def test_disabling_a_user_revokes_their_sessions(site, client):
    from web_support import add_user

    add_user(site.pipeline, "leaver1", "lab")
    leaver = client()
    assert _login(leaver, "leaver1", PASSWORD).status_code == 303
    assert leaver.get("/lab/batches").status_code == 200
    assert "disabled" in site.pipeline.cli("user", "disable", "leaver1").stdout
    assert leaver.get("/lab/batches").status_code == 303
    assert _login(client(), "leaver1", PASSWORD).status_code == 401
    site.pipeline.cli("user", "enable", "leaver1")
    assert _login(client(), "leaver1", PASSWORD).status_code == 303


def test_secure_cookies_and_hsts_by_default(site, tmp_path):
    """The test site runs with the documented switch SCREENING_WEB_HTTPS=off; the default is TLS."""
    from web_support import Server

    env = {k: v for k, v in site.server_env.items() if k != "SCREENING_WEB_HTTPS"}
    server = Server(env, tmp_path / "serve-default.log")
    try:
        r = httpx.get(server.url + "/login", timeout=60)
    finally:
        server.stop()
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    plain = httpx.get(site.url + "/login", timeout=60)
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers


def test_forms_without_the_session_csrf_token_are_refused(site, db_url, client):
    client = client("reviewer")
    run_id = _run_id(db_url, site.batch_id, site.flagged()[0])
    data = {"outcome": "no_condition_suspected", "reason": "forged", "csrf_token": "not-the-token"}
    r = client.post(f"/review/cases/{run_id}/outcome", data=data)
    assert r.status_code == 403
    assert (
        query_one(db_url, "SELECT count(*) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id})[0] == 0
    )


def test_lab_sees_progress_and_errors_but_never_identities(site, client):
    lab = client("lab")
    page = lab.get(f"/lab/batches/{site.batch_id}")
    assert page.status_code == 200
    for sid in site.truth:
        assert sid in page.text
    progress = lab.get(f"/lab/batches/{site.batch_id}/progress.json").json()
    assert progress["total"] == len(site.truth)
    assert progress["done"] == len(site.truth)
    assert progress["percent"] == 100
    assert progress["counts"]["screened"] == len(site.truth)
    listing = lab.get("/lab/batches").text
    for text in (page.text, json.dumps(progress), listing):
        leaked = [v for v in identity_strings(site) if v in text]
        assert not leaked
    run_pages = lab.get("/review/cases/1")
    assert run_pages.status_code == 403


def test_case_page_shows_evidence_and_identity_to_the_reviewer_only(site, db_url, client):
    sid = site.flagged()[0]
    run_id = _run_id(db_url, site.batch_id, sid)
    reviewer = client("reviewer")
    queue = reviewer.get("/review").text
    assert all(s in queue for s in site.flagged())
    page = reviewer.get(f"/review/cases/{run_id}").text
    for f in site.truth[sid]["findings"]:
        assert f["symbol"] in page
    for label in (
        "Genotype",
        "Depth",
        "GQ",
        "Allele balance",
        "Phase",
        "Inclusion route",
        "ClinVar",
        "Panel version",
        "Karyotype",
        "QC",
    ):
        assert label in page, label
    assert site.identities[sid]["family_name"] in page
    views = query_one(
        db_url,
        "SELECT count(*) FROM identity_views iv JOIN sample s ON s.id = iv.sample_pk "
        "WHERE s.sample_id = %(s)s AND iv.viewed_by = %(u)s",
        {"s": sid, "u": f"web:{USERS['reviewer']}"},
    )
    assert views[0] >= 1
    admin_page = client("admin").get(f"/review/cases/{run_id}").text
    assert site.identities[sid]["family_name"] not in admin_page


QUEUED_FINDINGS = """
SELECT r.id, b.submitted_at, r.screened_at, s.id AS sample_pk, f.hgnc_id, f.moi, f.pattern
FROM screening_run r JOIN sample s ON s.id = r.sample_id AND s.panel_version_id = r.panel_version_id
JOIN batch b ON b.id = s.batch_id JOIN finding f ON f.run_id = r.id
WHERE b.lab_batch_id = %(b)s AND r.outcome = 'condition_suspected' AND s.state = 'screened'
  AND NOT EXISTS (SELECT 1 FROM case_decisions c WHERE c.run_id = r.id)
"""


def test_queue_puts_the_most_urgent_first_and_the_case_page_shows_urgency(site, db_url, panel, client):
    """The queue page's order equals the rule computed here from the panel file: most urgent finding
    first, a definite pattern before a phase-unknown pair at that urgency, then the oldest sample."""
    urgency = {(g.hgnc_id, str(g.moi)): g.urgency for g in panel.genes}
    keys: dict[int, tuple] = {}
    for run_id, submitted, screened, sample_pk, hgnc_id, moi, pattern in query_all(
        db_url, QUEUED_FINDINGS, {"b": site.batch_id}
    ):
        unknown = pattern == "possible_compound_heterozygous_phase_unknown"
        priority = 2 * urgency[(hgnc_id, moi)].rank + unknown
        earlier = keys.get(run_id, (priority,))
        keys[run_id] = (min(priority, earlier[0]), submitted, screened, sample_pk)
    ordered = sorted(keys.items(), key=lambda item: item[1])
    expected = [(run_id, ("immediate", "high", "routine")[key[0] // 2]) for run_id, key in ordered]
    page = client("reviewer").get("/review").text
    table = page.split('data-testid="queue"')[1].split("</table>")[0]
    rows = re.findall(r'data-urgency="(\w+)">.*?/review/cases/(\d+)"', table, re.S)
    shown = [(int(run_id), level) for level, run_id in rows if int(run_id) in keys]
    assert shown == expected
    assert {level for _, level in shown} == {"immediate", "high", "routine"}  # the simulated batch has all
    run_id = next(r for r, level in expected if level == "immediate")
    case = client("reviewer").get(f"/review/cases/{run_id}").text
    assert re.search(r'data-testid="urgency-[^"]+">Urgency <strong class="bad">immediate</strong>', case)


def test_carriers_are_never_shown(site, db_url, client):
    reviewer = client("reviewer")
    checked = 0
    for sid, truth in site.truth.items():
        for carrier in truth["carriers"]:
            chrom, pos = carrier.split(":")[:2]
            page = reviewer.get(f"/review/cases/{_run_id(db_url, site.batch_id, sid)}").text
            assert f"{chrom}:{pos} " not in page, (sid, carrier)
            checked += 1
    if not checked:
        pytest.skip("the simulated batch planted no carrier")


def test_no_letter_before_review_then_referral_pack_pdf(site, db_url, tmp_path, client):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed: scripts/ensure-system-packages")
    sid = site.flagged()[-1]
    truth = site.truth[sid]
    run_id = _run_id(db_url, site.batch_id, sid)
    reviewer = client("reviewer")
    token = _csrf(reviewer, f"/review/cases/{run_id}")
    early = reviewer.post(
        f"/review/cases/{run_id}/letters", data={"kind": "referral_pack", "csrf_token": token}
    )
    assert early.status_code in (400, 422)
    assert "not yet reviewed" in early.text
    findings = query_all(db_url, "SELECT hgnc_id, moi FROM finding WHERE run_id = %(r)s", {"r": run_id})
    for hgnc_id, moi in findings:
        data = {
            "hgnc_id": hgnc_id,
            "moi": moi,
            "decision": "confirmed",
            "acmg_class": "pathogenic",
            "reason": "segregates with the phenotype in the literature",
            "csrf_token": token,
        }
        assert reviewer.post(f"/review/cases/{run_id}/findings", data=data).status_code == 303
    data = {"outcome": "condition_suspected", "reason": "confirmed findings", "csrf_token": token}
    assert reviewer.post(f"/review/cases/{run_id}/outcome", data=data).status_code == 303
    r = reviewer.post(f"/review/cases/{run_id}/letters", data={"kind": "referral_pack", "csrf_token": token})
    assert r.status_code == 303, r.text
    letter = query_one(
        db_url,
        "SELECT id, sha256, html, template_version, issued_by FROM issued_letters "
        "WHERE run_id = %(r)s AND kind = 'referral_pack'",
        {"r": run_id},
    )
    assert letter[1] == hashlib.sha256(letter[2].encode()).hexdigest()
    assert letter[3]
    assert letter[4] == USERS["reviewer"]
    pdf = reviewer.get(f"/review/letters/{letter[0]}.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    (tmp_path / "letter.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "letter.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert site.identities[sid]["family_name"] in text
    assert all(f["symbol"] in text for f in truth["findings"])
    other = site.identities[site.clear()[0]]["family_name"]
    assert other not in text
    bundle = reviewer.get(f"/review/cases/{run_id}/fhir.json")
    assert bundle.status_code == 200, bundle.text
    assert bundle.json()["resourceType"] == "Bundle"
    assert client("lab").get(f"/review/cases/{run_id}/fhir.json").status_code == 403
    assert client("lab").get(f"/review/letters/{letter[0]}.pdf").status_code == 403
    assert client("admin").get(f"/review/letters/{letter[0]}.pdf").status_code == 403


def test_a_letter_altered_in_the_database_is_refused_not_served(site, db_url, client):
    """Issue 10: the bytes were served with 200 although their sha256 is stored. Altered here as a
    superuser could (switching the immutability trigger off), then restored."""
    letter_id, pdf = query_one(db_url, "SELECT id, pdf FROM issued_letters ORDER BY id LIMIT 1")
    reviewer = client("reviewer")
    assert reviewer.get(f"/review/letters/{letter_id}.pdf").status_code == 200

    def overwrite(content: bytes) -> None:
        with psycopg.connect(db_url) as conn:
            conn.execute("SET LOCAL session_replication_role = replica")
            args = {"p": content, "i": letter_id}
            conn.execute("UPDATE issued_letters SET pdf = %(p)s WHERE id = %(i)s", args)

    intact = site.pipeline.cli("audit", "verify")  # a chain written by two workers, the web and the CLI
    assert "audit trail intact" in intact.stdout
    page = client("admin").get("/admin/audit")
    assert page.status_code == 200
    assert "Hash chain intact" in page.text
    assert "letter_issued" in page.text
    overwrite(bytes(pdf).replace(b"%PDF", b"%PDF ", 1))
    try:
        r = reviewer.get(f"/review/letters/{letter_id}.pdf")
        assert r.status_code == 409
        assert not r.content.startswith(b"%PDF")
        assert "no longer matches its recorded sha256" in r.text
        broken = site.pipeline.cli("audit", "verify", check=False)
        assert broken.returncode == 2
        assert f"letter {letter_id} " in broken.stderr
        assert "Hash chain BROKEN" in client("admin").get("/admin/audit").text
    finally:
        overwrite(bytes(pdf))
    assert reviewer.get(f"/review/letters/{letter_id}.pdf").status_code == 200


def test_batch_letters_with_progress(site, db_url, client):
    reviewer = client("reviewer")
    path = f"/review/batches/{site.batch_id}/letters"
    before = reviewer.get(path + "/progress.json").json()
    assert before["total"] == 2 * len(site.clear())  # parents and GP for every "no condition suspected" baby
    r = reviewer.post(path, data={"csrf_token": _csrf(reviewer, path)})
    assert r.status_code == 303
    deadline = time.monotonic() + 180
    while True:
        doc = reviewer.get(path + "/progress.json").json()
        if doc["job"] and doc["job"]["state"] != "running":
            break
        assert time.monotonic() < deadline, doc
        time.sleep(0.5)
    assert doc["job"]["state"] == "finished", doc["job"]["problems"]
    assert doc["issued"] == doc["total"] == before["total"], (before, doc)
    kinds = query_all(
        db_url,
        "SELECT l.kind, count(*) FROM issued_letters l JOIN sample s ON s.id = l.sample_pk "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s GROUP BY 1",
        {"b": site.batch_id},
    )
    counts = dict(kinds)
    assert (
        counts["no_condition_suspected_parents"] == counts["no_condition_suspected_gp"] == len(site.clear())
    )


def test_curator_pages_and_diff(site, client):
    curator = client("curator")
    listing = curator.get("/curator/panels").text
    panel_id, version = site.panel_label.split("@")
    assert site.panel_label in listing
    page = curator.get(f"/curator/panels/{panel_id}/{version}")
    assert page.status_code == 200
    assert "HGNC:" in page.text
    diff = curator.get(f"/curator/diff/{panel_id}", params={"old": version, "new": version})
    assert diff.status_code == 200
    assert "Identical content" in diff.text
    assert curator.get(f"/curator/panels/{panel_id}/9.9").status_code == 404


def test_api_status_equals_the_cli_document_and_submission(site, db_url, client):
    auth = (USERS["lab"], PASSWORD)
    api = client()
    doc = api.get(f"/api/v1/batches/{site.batch_id}", auth=auth)
    assert doc.status_code == 200
    cli = json.loads(site.pipeline.cli("batch", "status", site.batch_id, "--format", "json").stdout)
    assert doc.json() == cli
    assert api.get(f"/api/v1/batches/{site.batch_id}").status_code == 401
    assert (
        api.get(f"/api/v1/batches/{site.batch_id}", auth=(USERS["lab"], "wrong-wrong-wrong")).status_code
        == 401
    )
    assert api.get(f"/api/v1/batches/{site.batch_id}", auth=(USERS["reviewer"], PASSWORD)).status_code == 403
    spec = api.get("/api/openapi.json").json()
    assert {"/api/v1/batches", "/api/v1/batches/{batch_id}"} <= set(spec["paths"])
    # a server-side manifest path inside the data root: validated and stored (no worker runs here)
    manifest = site.data_root / "manifest.csv"
    assert manifest.is_file()
    form = {"panel": site.panel_label, "manifest_path": "manifest.csv", "batch_id": "api-1"}
    r = api.post("/api/v1/batches", data=form, auth=auth)
    assert r.status_code == 201, r.text
    assert r.json()["batch_id"] == "api-1"
    assert r.json()["samples"] == len(site.truth)
    again = api.post("/api/v1/batches", data=form, auth=auth)
    assert again.status_code == 200
    assert again.json()["created"] is False
    status = api.get("/api/v1/batches/api-1", auth=auth).json()
    assert status["counts"]["queued"] + status["counts"]["running"] + status["counts"]["screened"] == len(
        site.truth
    )
    outside = api.post("/api/v1/batches", data={**form, "manifest_path": "../../etc/passwd"}, auth=auth)
    assert outside.status_code == 422
    # no worker runs for api-1: once every heartbeat is old, batch status and the lab page say so
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE worker_heartbeat SET last_seen_at = now() - interval '10 minutes'")
    warned = site.pipeline.cli("batch", "status", "api-1")
    assert "warning: no worker has been seen for" in warned.stderr
    lab_page = client("lab").get("/lab/batches/api-1").text
    assert "no worker has been seen for" in lab_page


def test_api_upload_reports_every_problem_at_once(site, client):
    auth = (USERS["lab"], PASSWORD)
    api = client()
    bad = "sample_id,vcf,sex\nX1,missing1.vcf.gz,male\nX2,missing2.vcf.gz,alien\n"
    files = {"manifest": ("bad.csv", bad.encode(), "text/csv")}
    r = api.post("/api/v1/batches", data={"panel": site.panel_label}, files=files, auth=auth)
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert len(problems) >= 3, problems  # two missing VCFs and one bad sex, all at once
    assert any("X2" in p and "sex" in p for p in problems)


BAD_PATHS = [
    "/lab/batches/x%00y",
    "/lab/batches/x%00y/progress.json",
    "/review/cases/1%00",
    "/review/cases/99999999999999999999",
    "/review/cases/-1",
    "/lab/batches/%3Cb%3Ex%3C%2Fb%3E",
    "/lab/batches/..%2F..%2Fx",
    "/review?x=%00",
    "/api/v1/batches/x%00y",
]


def test_bad_input_in_any_path_is_a_plain_4xx_never_a_500_or_a_traceback(site, client):
    lab, reviewer, api = client("lab"), client("reviewer"), client()
    before = site.server.log.read_text()
    for path in BAD_PATHS:
        who = reviewer if path.startswith("/review") else lab
        r = api.get(path, auth=(USERS["lab"], PASSWORD)) if path.startswith("/api/") else who.get(path)
        assert r.status_code in (400, 404, 422), (path, r.status_code, r.text[:200])
        assert "Traceback" not in r.text
    case = reviewer.get("/review/cases/1%00/outcome")
    assert case.status_code in (400, 404, 405)
    log = site.server.log.read_text()[len(before) :]
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("batch_id", ["../../x", "<b>x</b>", "x\x00y", "a b"])
def test_api_refuses_batch_ids_outside_the_plain_alphabet(site, client, batch_id):
    form = {"panel": site.panel_label, "manifest_path": "manifest.csv", "batch_id": batch_id}
    r = client().post("/api/v1/batches", data=form, auth=(USERS["lab"], PASSWORD))
    assert r.status_code in (400, 422), r.text
    assert "batch id" in r.text


def test_identities_never_reach_logs_events_or_errors(site, db_url, client):
    client("reviewer").get("/review")  # make sure pages were served
    log = site.server.log.read_text()
    assert "GET /review" in log
    texts = [log, site.pipeline.logs()]
    texts += [str(r) for r in query_all(db_url, "SELECT detail FROM event WHERE detail IS NOT NULL")]
    texts += [str(r) for r in query_all(db_url, "SELECT reason FROM sample WHERE reason IS NOT NULL")]
    for text in texts:
        leaked = [v for v in identity_strings(site) if v in text]
        assert not leaked, leaked


def test_backup_restores_into_an_empty_database_that_verifies_and_re_renders_letters(site, db_url, tmp_path):
    """README "Backup and restore": pg_dump -Fc, pg_restore into an empty database, then
    ``screening audit verify`` passes on the copy and an issued letter re-renders to its sha256."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore (PostgreSQL client) not installed")
    from screening import letters
    from screening.cases import LetterKind
    from screening.db import review

    dump = tmp_path / "screening.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "--dbname", db_url], check=True, timeout=300)
    name = f"{db_url.rsplit('/', 1)[1]}_restored"
    server = db_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    restored = f"{server}/{name}"
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--dbname", restored, str(dump)], check=True, timeout=300
        )
        env = {**site.pipeline.env, "SCREENING_DATABASE_URL": restored}
        verify = subprocess.run(
            [str(SCREENING), "audit", "verify", "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        doc = json.loads(verify.stdout)
        assert doc["ok"] is True
        assert doc["rows"] > 0
        assert doc["letters"] >= 1
        with psycopg.connect(restored, autocommit=True) as conn:
            letter_id = conn.execute("SELECT max(id) FROM issued_letters").fetchone()[0]
        conn = psycopg.connect(restored, autocommit=True, row_factory=psycopg.rows.dict_row)
        try:
            meta, _, _ = review.get_letter(conn, letter_id)
            case = review.load_case(conn, meta.run_id, ("pytest", "backup re-render check"))
            again = letters.render_letter(LetterKind(meta.kind), case, meta.issued_by, meta.issued_on)
        finally:
            conn.close()
        assert again.sha256 == meta.sha256
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_lab_requeues_a_failed_sample_and_workers_screen_it_again(site, db_url, client):
    """Last in this module: it re-opens the shared batch. A sample a worker gave up on is re-queued from
    the batch page and screened again: one run, same outcome."""
    sid = next(s for s, t in site.truth.items() if t["expected_outcome"] == "testing_not_possible")
    where = "batch_id = (SELECT id FROM batch WHERE lab_batch_id = %(b)s) AND sample_id = %(s)s"
    args = {"b": site.batch_id, "s": sid}
    with psycopg.connect(db_url, autocommit=True) as conn:  # as the worker's attempt cap leaves it
        conn.execute(
            f"UPDATE sample SET state = 'failed', reason = 'gave up after 3 attempts' WHERE {where}", args
        )
    lab = client("lab")
    page = lab.get(f"/lab/batches/{site.batch_id}").text
    assert "gave up after 3 attempts" in page
    r = lab.post(f"/lab/batches/{site.batch_id}/requeue", data={"csrf_token": _token(page)})
    assert r.status_code == 303
    assert "Re-queued 1 failed sample(s)." in lab.get(r.headers["location"]).text
    assert query_one(db_url, f"SELECT state FROM sample WHERE {where}", args)[0] == "queued"
    site.pipeline.start(1)
    try:
        site.pipeline.wait(site.batch_id)
    finally:
        site.pipeline.stop()
    state, outcome, runs = query_one(
        db_url,
        "SELECT s.state, max(r.outcome), count(r.id) FROM sample s "
        "JOIN batch b ON b.id = s.batch_id JOIN screening_run r ON r.sample_id = s.id "
        "WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s GROUP BY s.state",
        args,
    )
    assert (state, outcome, runs) == ("screened", "testing_not_possible", 1)
