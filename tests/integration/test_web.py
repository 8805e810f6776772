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
from web_support import (
    PASSWORD,
    SECOND_REVIEWER,
    USERS,
    build_site,
    csrf_token,
    identity_strings,
)

from screening import panel_content

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(db_url, panel, sim, tmp_path_factory):
    s = build_site(tmp_path_factory.mktemp("web"), db_url, panel, sim, "web")
    yield s
    s.server.stop()


_token = csrf_token


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


def test_a_scrypt_hash_is_rehashed_to_argon2id_on_the_next_sign_in(site, db_url, client):
    """Hashes stored before argon2 (hashlib.scrypt) still sign in, and are replaced by argon2id then."""
    import hashlib

    from web_support import add_user

    add_user(site.pipeline, "oldhash1", "lab")
    salt = bytes(range(16))
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    scrypt = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET password_hash = %s WHERE username = 'oldhash1'", (scrypt,))
    stored = "SELECT password_hash FROM users WHERE username = 'oldhash1'"
    assert _login(client(), "oldhash1", "wrong-wrong-wrong").status_code == 401
    assert query_one(db_url, stored)[0] == scrypt  # a failed sign-in changes nothing
    assert _login(client(), "oldhash1", PASSWORD).status_code == 303
    rehashed = query_one(db_url, stored)[0]
    assert rehashed.startswith("$argon2id$")
    assert _login(client(), "oldhash1", PASSWORD).status_code == 303  # and the new hash signs in
    assert query_one(db_url, stored)[0] == rehashed  # an argon2id hash is not rehashed again
    listed = json.loads(site.pipeline.cli("user", "list", "--format", "json").stdout)
    assert "password_hash" not in next(u for u in listed if u["username"] == "oldhash1")


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


def test_case_pages_use_words_for_patterns_and_routes_and_link_clinvar(site, db_url, client):
    reviewer = client("reviewer")
    linked = 0
    for sid in site.flagged():
        run_id = _run_id(db_url, site.batch_id, sid)
        page = reviewer.get(f"/review/cases/{run_id}").text
        shown = re.sub(r'title="[^"]*"', "", page)  # the codes stay available as tooltips only
        for code in (
            "possible_compound_heterozygous_phase_unknown",
            "compound_heterozygous",
            "copy_number_zero",
        ):
            assert code not in shown, (sid, code)
        assert "possible compound heterozygous phase unknown" not in shown
        ids = query_all(
            db_url,
            "SELECT DISTINCT c.clinvar_id FROM candidate c JOIN finding_variant fv ON fv.run_id = c.run_id "
            "AND fv.candidate_ordinal = c.ordinal WHERE c.run_id = %(r)s AND c.clinvar_id IS NOT NULL",
            {"r": run_id},
        )
        for (clinvar_id,) in ids:
            assert f'href="https://www.ncbi.nlm.nih.gov/clinvar/variation/{clinvar_id}/"' in page
            linked += 1
    assert linked, "the simulated batch has ClinVar-routed findings"
    phase_unknown = next(
        s
        for s in site.flagged()
        if any(f["pattern"].startswith("possible") for f in site.truth[s]["findings"])
    )
    page = reviewer.get(f"/review/cases/{_run_id(db_url, site.batch_id, phase_unknown)}").text
    assert "two different variants, phase unknown" in page


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
    # four eyes: not final, no referral pack, until a second account confirms
    page = reviewer.get(f"/review/cases/{run_id}").text
    assert 'data-testid="awaiting-second-reviewer"' in page
    assert 'data-testid="reported-outcome">awaiting review' in page
    assert 'data-testid="confirm-outcome"' not in page  # the first reviewer is not offered the confirmation
    awaiting = reviewer.get("/review").text.split('data-testid="awaiting"')[1].split("</table>")[0]
    assert f'href="/review/cases/{run_id}"' in awaiting
    early = reviewer.get(f"/review/cases/{run_id}/letters/referral_pack")
    assert early.status_code in (400, 422)
    assert "second reviewer" in early.text
    assert reviewer.get(f"/review/cases/{run_id}/fhir.json").status_code == 409  # not final yet
    decision_id = query_one(db_url, "SELECT max(id) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id})[
        0
    ]
    confirm = {"case_decision_id": str(decision_id), "reason": "agree", "csrf_token": token}
    same = reviewer.post(f"/review/cases/{run_id}/confirm", data=confirm)
    assert same.status_code in (400, 409)
    assert "different account" in same.text
    second = client("reviewer", SECOND_REVIEWER)
    token2 = _csrf(second, f"/review/cases/{run_id}")
    ok = second.post(f"/review/cases/{run_id}/confirm", data={**confirm, "csrf_token": token2})
    assert ok.status_code == 303, ok.text
    confirmations = query_all(
        db_url,
        "SELECT confirmed_by, case_decision_id FROM case_confirmations WHERE run_id = %(r)s",
        {"r": run_id},
    )
    assert confirmations == [(f"web:{SECOND_REVIEWER}", decision_id)]
    page = reviewer.get(f"/review/cases/{run_id}").text
    assert 'data-testid="reported-outcome">condition suspected' in page
    assert f"Confirmed by second reviewer <strong>web:{SECOND_REVIEWER}</strong>" in page
    # the confirmation step: what will be sent, to whom; issuing needs the content shown there
    unconfirmed = reviewer.post(
        f"/review/cases/{run_id}/letters", data={"kind": "referral_pack", "csrf_token": token}
    )
    assert unconfirmed.status_code == 409, unconfirmed.text
    confirm_page = reviewer.get(f"/review/cases/{run_id}/letters/referral_pack")
    assert confirm_page.status_code == 200
    assert "regional newborn screening result coordinator" in confirm_page.text
    shown = re.search(r'name="confirm_sha256" value="([0-9a-f]{64})"', confirm_page.text).group(1)
    preview = reviewer.get(f"/review/cases/{run_id}/letters/referral_pack/preview.html")
    assert preview.status_code == 200
    assert hashlib.sha256(preview.text.encode()).hexdigest() == shown
    assert site.identities[sid]["family_name"] in preview.text
    stale = {"kind": "referral_pack", "confirm_sha256": "0" * 64, "csrf_token": token}
    assert reviewer.post(f"/review/cases/{run_id}/letters", data=stale).status_code == 409
    assert (
        query_one(db_url, "SELECT count(*) FROM issued_letters WHERE run_id = %(r)s", {"r": run_id})[0] == 0
    )
    data = {"kind": "referral_pack", "confirm_sha256": shown, "csrf_token": token}
    r = reviewer.post(f"/review/cases/{run_id}/letters", data=data)
    assert r.status_code == 303, r.text
    letter = query_one(
        db_url,
        "SELECT id, sha256, html, template_version, issued_by FROM issued_letters "
        "WHERE run_id = %(r)s AND kind = 'referral_pack'",
        {"r": run_id},
    )
    assert letter[1] == hashlib.sha256(letter[2].encode()).hexdigest() == shown
    assert f"Confirmed by web:{SECOND_REVIEWER}" in letter[2]  # both reviewers recorded on the pack
    assert letter[3]
    assert letter[4] == USERS["reviewer"]
    pdf = reviewer.get(f"/review/letters/{letter[0]}.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    pdf_sha = hashlib.sha256(pdf.content).hexdigest()
    assert (
        f'data-testid="pdf-sha256-{letter[0]}" title="{pdf_sha}">{pdf_sha}'
        in reviewer.get(f"/review/cases/{run_id}").text
    )
    listing = reviewer.get(f"/review/batches/{site.batch_id}/letters").text
    assert f'href="/review/letters/{letter[0]}.pdf"' in listing
    assert pdf_sha in listing
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


def test_nothing_is_pre_selected_and_an_unchosen_decision_is_refused(site, db_url, client):
    sid = site.flagged()[0]
    run_id = _run_id(db_url, site.batch_id, sid)
    reviewer = client("reviewer")
    page = reviewer.get(f"/review/cases/{run_id}").text
    for name in ("decision", "acmg_class", "outcome"):
        selects = re.findall(rf'<select name="{name}" required>(.*?)</select>', page, re.S)
        assert selects, name
        for options in selects:
            assert options.startswith('<option value="" selected disabled>choose'), (name, options[:80])
            assert options.count("selected") == 1, name
    hgnc_id, moi = query_one(
        db_url, "SELECT hgnc_id, moi FROM finding WHERE run_id = %(r)s LIMIT 1", {"r": run_id}
    )
    before = query_one(db_url, "SELECT count(*) FROM finding_decisions WHERE run_id = %(r)s", {"r": run_id})[
        0
    ]
    data = {"hgnc_id": hgnc_id, "moi": moi, "reason": "x", "csrf_token": _token(page)}
    for missing in (
        {"decision": "", "acmg_class": "pathogenic"},
        {"decision": "confirmed", "acmg_class": ""},
    ):
        r = reviewer.post(f"/review/cases/{run_id}/findings", data={**data, **missing})
        assert r.status_code in (400, 422), r.text  # an empty choice is a missing field: refused
    r = reviewer.post(
        f"/review/cases/{run_id}/outcome", data={"outcome": "", "reason": "x", "csrf_token": _token(page)}
    )
    assert r.status_code in (400, 422)
    after = query_one(db_url, "SELECT count(*) FROM finding_decisions WHERE run_id = %(r)s", {"r": run_id})[0]
    assert after == before
    assert (
        query_one(db_url, "SELECT count(*) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id})[0] == 0
    )


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
    page = reviewer.get(path).text
    listed = page.split('data-testid="pending-letters"')[1].split("</table>")[0]
    assert listed.count("<tr>") - 1 == before["total"]  # what will be sent, to whom, before sending
    assert reviewer.post(path, data={"csrf_token": _token(page), "confirm_count": "1"}).status_code == 409
    r = reviewer.post(path, data={"csrf_token": _token(page), "confirm_count": str(before["total"])})
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
    doc = api.get(f"/api/v1/batches/{site.batch_id}", auth=(USERS["admin"], PASSWORD))
    assert doc.status_code == 200
    cli = json.loads(site.pipeline.cli("batch", "status", site.batch_id, "--format", "json").stdout)
    assert doc.json() == cli  # the lab's copy leaves the findings out (test_api.py)
    assert api.get(f"/api/v1/batches/{site.batch_id}", auth=auth).status_code == 200
    assert api.get(f"/api/v1/batches/{site.batch_id}").status_code == 401
    assert (
        api.get(f"/api/v1/batches/{site.batch_id}", auth=(USERS["lab"], "wrong-wrong-wrong")).status_code
        == 401
    )
    assert api.get(f"/api/v1/batches/{site.batch_id}", auth=(USERS["reviewer"], PASSWORD)).status_code == 403
    spec = api.get("/api/v1/openapi.json").json()
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


def test_api_docs_are_served_from_the_package_without_a_cdn(site, client):
    anonymous = client()
    docs = anonymous.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "<script>" not in docs.text  # no inline script: the page's CSP holds
    assert not re.search(r'(src|href)="(https?:)?//', docs.text)  # nothing from another host
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = anonymous.get(f"/api/docs-assets/{asset}")
        assert r.status_code == 200, asset
        assert len(r.content) > 10_000, asset
    assert anonymous.get("/static/api-docs.js").status_code == 200


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


def test_lab_uploads_a_manifest_in_the_browser_form(site, db_url, client):
    """The lab's upload page: every problem at once (naming the lab's file, never a server path), then a
    good manifest (VCFs already in the data root) submitted and shown on its batch page."""
    lab = client("lab")
    page = lab.get("/lab/batches/new")
    assert page.status_code == 200
    assert site.panel_label in page.text
    bad = "sample_id,vcf,sex\nX1,missing1.vcf.gz,male\nX2,missing2.vcf.gz,alien\n"
    form = {"panel": site.panel_label, "folder": ".", "csrf_token": _token(page.text)}
    r = lab.post("/lab/batches/new", data=form, files={"manifest": ("lab-run.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422
    problems = re.findall(
        r"<li>(.*?)</li>", r.text.split('data-testid="submit-problems"')[1].split("</section>")[0]
    )
    assert len(problems) >= 3, problems
    assert any("X2" in p and "sex" in p for p in problems)
    assert all("lab-run.csv" in p for p in problems if "sample X" in p)
    assert str(site.pipeline.settings.home) not in r.text
    assert str(site.data_root) not in r.text
    lines = (site.data_root / "manifest.csv").read_text().splitlines()
    good = "\n".join(lines[:3]) + "\n"  # two babies of the simulated batch
    files = {"manifest": ("two.csv", good.encode(), "text/csv")}
    r = lab.post("/lab/batches/new", data={**form, "batch_id": "upload-1"}, files=files)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/lab/batches/upload-1"
    batch = lab.get("/lab/batches/upload-1").text
    assert "submitted: 2 sample(s) queued" in batch
    assert (
        query_one(
            db_url,
            "SELECT count(*) FROM sample s JOIN batch b ON b.id = s.batch_id "
            "WHERE b.lab_batch_id = 'upload-1'",
            {},
        )[0]
        == 2
    )
    no_token = lab.post("/lab/batches/new", data={**form, "csrf_token": "x"}, files=files)
    assert no_token.status_code == 403


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


def test_a_sample_swap_hold_waits_for_the_labs_identity_check_then_is_re_screened(site, db_url, client):
    """The swap baby (recorded female, XY VCF): no parents' letter until the lab records the identity
    check; "new sample" releases the letter; "identity confirmed" re-screens with the corrected sex."""
    sid = next(s for s, t in site.truth.items() if t["scenario"] == "sex_discordance")
    run_id = _run_id(db_url, site.batch_id, sid)
    reviewer, lab = client("reviewer"), client("lab")
    case = reviewer.get(f"/review/cases/{run_id}").text
    assert 'data-testid="swap-hold"' in case
    held = reviewer.get(f"/review/cases/{run_id}/letters/testing_not_possible")
    assert held.status_code == 422
    assert "identity check" in held.text
    page = lab.get(f"/lab/batches/{site.batch_id}").text
    assert f'data-testid="identity-check-{sid}"' in page
    path = f"/lab/batches/{site.batch_id}/samples/{sid}/identity-check"
    token = _token(page)
    for bad, words in (
        ({"resolution": "", "note": "x"}, "choose a resolution"),
        ({"resolution": "confirmed_identity", "note": "x"}, "corrected sex"),
        ({"resolution": "new_sample", "note": " "}, "a note"),
    ):
        r = lab.post(path, data={**bad, "csrf_token": token})
        assert r.status_code == 400, (bad, r.text)
        assert words in r.text, (bad, r.text)
    assert query_one(db_url, "SELECT count(*) FROM identity_checks", {})[0] == 0
    r = lab.post(
        path, data={"resolution": "new_sample", "note": "ward asked for a new sample", "csrf_token": token}
    )
    assert r.status_code == 303, r.text
    released = reviewer.get(f"/review/cases/{run_id}/letters/testing_not_possible")
    assert released.status_code == 200, released.text
    assert "the parent or guardian of" in released.text
    # the lab then confirms the identity (the recorded sex was wrong): re-screened with the corrected sex
    data = {
        "resolution": "confirmed_identity",
        "corrected_sex": "male",
        "note": "identity re-checked with ward",
    }
    r = lab.post(path, data={**data, "csrf_token": token})
    assert r.status_code == 303, r.text
    where = "batch_id = (SELECT id FROM batch WHERE lab_batch_id = %(b)s) AND sample_id = %(s)s"
    args = {"b": site.batch_id, "s": sid}
    assert query_one(db_url, f"SELECT state, sex FROM sample WHERE {where}", args) == ("queued", "male")
    site.pipeline.start(1)
    try:
        site.pipeline.wait(site.batch_id)
    finally:
        site.pipeline.stop()
    outcome, reasons = query_one(
        db_url, "SELECT outcome, reasons FROM screening_run WHERE id = %(r)s", {"r": run_id}
    )
    assert outcome != "testing_not_possible", reasons
    assert not any("sample swap" in r for r in reasons)
    case = reviewer.get(f"/review/cases/{run_id}").text
    assert 'data-testid="swap-hold"' not in case
    assert "identity confirmed, re-screened with the corrected sex" in case
    checks = query_all(
        db_url, "SELECT resolution, corrected_sex, recorded_by FROM identity_checks ORDER BY id", {}
    )
    assert checks == [("new_sample", None, "web:lab1"), ("confirmed_identity", "male", "web:lab1")]
    lab_text = lab.get(f"/lab/batches/{site.batch_id}").text
    assert not [v for v in identity_strings(site) if v in lab_text]


def test_a_re_screen_carries_unchanged_decisions_forward_and_reopens_the_case(site, db_url, client):
    """Decisions on a flagged baby, then its results are written again by the workers: unchanged
    findings keep their decision ("unchanged"), the case outcome must be recorded again, and the
    history stays visible."""
    sid = site.flagged()[1]
    run_id = _run_id(db_url, site.batch_id, sid)
    reviewer = client("reviewer")
    token = _csrf(reviewer, f"/review/cases/{run_id}")
    findings = query_all(
        db_url, "SELECT hgnc_id, moi, symbol FROM finding WHERE run_id = %(r)s", {"r": run_id}
    )
    for hgnc_id, moi, _ in findings:
        data = {"hgnc_id": hgnc_id, "moi": moi, "decision": "confirmed", "acmg_class": "likely_pathogenic"}
        r = reviewer.post(
            f"/review/cases/{run_id}/findings", data={**data, "reason": "first screen", "csrf_token": token}
        )
        assert r.status_code == 303
    data = {"outcome": "condition_suspected", "reason": "first screen", "csrf_token": token}
    assert reviewer.post(f"/review/cases/{run_id}/outcome", data=data).status_code == 303
    bases = query_all(
        db_url,
        "SELECT b.panel_label FROM finding_decision_basis b JOIN finding_decisions d ON d.id = b.decision_id "
        "WHERE d.run_id = %(r)s",
        {"r": run_id},
    )
    assert [b[0] for b in bases] == [site.panel_label] * len(findings)
    where = "batch_id = (SELECT id FROM batch WHERE lab_batch_id = %(b)s) AND sample_id = %(s)s"
    args = {"b": site.batch_id, "s": sid}
    with psycopg.connect(db_url, autocommit=True) as conn:  # as the worker's attempt cap leaves it
        conn.execute(
            f"UPDATE sample SET state = 'failed', reason = 'gave up after 3 attempts' WHERE {where}", args
        )
    lab = client("lab")
    page = lab.get(f"/lab/batches/{site.batch_id}").text
    assert (
        lab.post(f"/lab/batches/{site.batch_id}/requeue", data={"csrf_token": _token(page)}).status_code
        == 303
    )
    site.pipeline.start(1)
    try:
        site.pipeline.wait(site.batch_id)
    finally:
        site.pipeline.stop()
    assert _run_id(db_url, site.batch_id, sid) == run_id  # same run, results written again
    case = reviewer.get(f"/review/cases/{run_id}").text
    label = re.escape(site.panel_label)
    for _, _, symbol in findings:
        carried = rf'data-testid="carried-{symbol}">decided on [0-9-]+ [0-9:]+ under panel {label}, unchanged'
        assert re.search(carried, case), symbol
    assert 'data-testid="case-reopened"' in case
    assert 'data-testid="reported-outcome">awaiting review' in case
    history = case.split('data-testid="history"')[1].split("</details>")[0]
    assert history.count("first screen") == len(findings) + 1
    queue = reviewer.get("/review").text.split('data-testid="queue"')[1].split("</table>")[0]
    assert f'href="/review/cases/{run_id}"' in queue  # back in the queue for its outcome


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
    sid = next(
        s
        for s, t in site.truth.items()
        if t["expected_outcome"] == "testing_not_possible" and t["scenario"] != "sex_discordance"
    )
    where = "batch_id = (SELECT id FROM batch WHERE lab_batch_id = %(b)s) AND sample_id = %(s)s"
    args = {"b": site.batch_id, "s": sid}
    with psycopg.connect(db_url, autocommit=True) as conn:  # as the worker's attempt cap leaves it
        conn.execute(
            f"UPDATE sample SET state = 'failed', reason = 'gave up after 3 attempts' WHERE {where}", args
        )
    lab = client("lab")
    page = lab.get(f"/lab/batches/{site.batch_id}").text
    assert "gave up after 3 attempts" in page
    # a failed sample is counted as failed, not "done": the batch is not shown as all fine
    progress = lab.get(f"/lab/batches/{site.batch_id}/progress.json").json()
    assert progress["counts"]["failed"] == 1
    assert progress["summary"].startswith(f"{len(site.truth) - 1} of {len(site.truth)} screened, 1 failed")
    assert progress["state_label"].startswith("finished with problems: re-queue")
    assert 'data-testid="batch-state">finished with problems' in page
    assert "(100%)" not in page
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


def test_a_panel_rescreen_carries_unchanged_decisions_forward_under_the_new_version(site, db_url, client):
    """Last: a small batch is reviewed under version 1.0, then re-screened under a new version (1.1) in
    which one gene's mode changed. The unchanged finding carries its decision forward ("decided on …
    under panel …@1.0, unchanged"), the changed one needs review again, the case returns to the queue
    and the history of the earlier screen stays on the case page."""
    import dataclasses

    from screening.db import connection
    from screening.db import curation as db_curation
    from screening.db import panels as db_panels
    from screening.domain import Moi, Version

    lines = (site.data_root / "manifest.csv").read_text().splitlines()
    picked = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] in ("NB0002", "NB0003")]
    auth = (USERS["lab"], PASSWORD)
    files = {"manifest": ("carry.csv", ("\n".join(picked) + "\n").encode(), "text/csv")}
    form = {"panel": site.panel_label, "batch_id": "carry-1"}
    assert client().post("/api/v1/batches", data=form, files=files, auth=auth).status_code == 201
    site.pipeline.start(1)
    try:
        site.pipeline.wait("carry-1")
        reviewer, second = client("reviewer"), client("reviewer", SECOND_REVIEWER)
        decided, old_runs = {}, {}
        for sid in ("NB0002", "NB0003"):
            run_id = old_runs[sid] = _run_id(db_url, "carry-1", sid)
            token = _csrf(reviewer, f"/review/cases/{run_id}")
            for hgnc_id, moi, symbol in query_all(
                db_url, "SELECT hgnc_id, moi, symbol FROM finding WHERE run_id = %(r)s", {"r": run_id}
            ):
                data = {"hgnc_id": hgnc_id, "moi": moi, "decision": "confirmed", "acmg_class": "pathogenic"}
                r = reviewer.post(
                    f"/review/cases/{run_id}/findings",
                    data={**data, "reason": "reviewed under 1.0", "csrf_token": token},
                )
                assert r.status_code == 303
                decided[sid] = (hgnc_id, symbol)
            data = {"outcome": "condition_suspected", "reason": "reviewed under 1.0", "csrf_token": token}
            assert reviewer.post(f"/review/cases/{run_id}/outcome", data=data).status_code == 303
            decision_id = query_one(
                db_url, "SELECT max(id) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id}
            )[0]
            confirm = {
                "case_decision_id": str(decision_id),
                "reason": "agreed",
                "csrf_token": _csrf(second, "/review"),
            }
            assert second.post(f"/review/cases/{run_id}/confirm", data=confirm).status_code == 303
        changed_gene = decided["NB0003"][0]  # its mode changes in 1.1: the finding is not the same
        with connection.session(site.pipeline.settings) as conn:
            v1_row = db_curation.require_version(conn, site.panel_label)
            v1 = db_panels.load_panel_version(conn, v1_row.id)
            clinvar = db_panels.load_clinvar(conn, v1_row.id)
            genes = tuple(
                dataclasses.replace(g, moi=Moi.MONOALLELIC) if g.hgnc_id == changed_gene else g
                for g in v1.genes
            )
            draft = dataclasses.replace(v1, version=Version(1, 1), genes=genes)
            draft = panel_content.sealed(draft)
            with connection.transaction(conn, "pytest"):
                db_curation.set_change_message(conn, "one gene dominant")
                row, _ = db_panels.publish(conn, draft, clinvar, "pytest")
        site.pipeline.cli(
            "panel", "rescreen", "carry-1", "--panel", row.label, "--wait", "240", "--format", "json"
        )
    finally:
        site.pipeline.stop()
    current = (
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "AND s.panel_version_id = r.panel_version_id JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = 'carry-1' AND s.sample_id = %(s)s"
    )
    new_run = query_one(db_url, current, {"s": "NB0002"})[0]
    assert new_run != old_runs["NB0002"]  # a new run under 1.1; the 1.0 run stays
    case = reviewer.get(f"/review/cases/{new_run}").text
    symbol = decided["NB0002"][1]
    label = re.escape(site.panel_label)
    carried = rf'data-testid="carried-{symbol}">decided on [0-9-]+ [0-9:]+ under panel {label}, unchanged'
    assert re.search(carried, case), case.split('data-testid="finding-')[1][:2000]
    assert "(an earlier screen)" in case  # the history of the 1.0 screen is shown
    assert 'data-testid="reported-outcome">awaiting review' in case  # the outcome is decided again
    other = query_one(db_url, current, {"s": "NB0003"})[0]
    page = reviewer.get(f"/review/cases/{other}").text
    changed_symbol = decided["NB0003"][1]
    assert f'data-testid="carried-{changed_symbol}"' not in page
    if f'data-testid="finding-{changed_symbol}"' in page:  # still a finding under the new mode: undecided
        section = page.split(f'data-testid="decision-{changed_symbol}">')[1].split("</p>")[0]
        assert "none yet" in section
        assert "changed or is new" in section
