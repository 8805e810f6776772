"""Programme figures end to end: an English and a Danish batch of simulated babies screened by real
workers in one deployment, taken through review (finding and case decisions, four-eyes confirmations)
and a referral pack; then ``screening report programme`` (json, csv, table), ``screening report
share`` and the lead's dashboard behind a real ``screening serve``, each checked against counts
computed here directly from the database with SQL of the test's own. A lead sees the figures and
nothing else: no case page, no identity, no batch page."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re

import httpx
import pytest
from conftest import Pipeline, make_settings, publish, query_all, query_one
from web_support import (
    PASSWORD,
    SECOND_REVIEWER,
    Server,
    add_user,
    csrf_token,
    own_database,
    write_identity_csv,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EN, DK = "prog-en-1", "prog-dk-1"
LEAD = "lead1"
USERS = {"lab": "lab1", "reviewer": "rev1", "admin": "adm1", "lead": LEAD}


@pytest.fixture(scope="module")
def own_db(tmp_path_factory):
    with own_database(tmp_path_factory.mktemp("progdb")) as url:
        yield url


@pytest.fixture(scope="module")
def deployment(own_db, panel, sim, tmp_path_factory):
    """Both batches screened (England: the session's 24 simulated babies; Denmark: 10 of its own,
    with its own ClinVar snapshot and panel version), users and England's identities, a server."""
    from screening import simulate

    home = tmp_path_factory.mktemp("programme")
    dk_sim = simulate.simulate_batch(panel, home / "dk-sim", 10, seed=2)
    pipeline = Pipeline(make_settings(home, own_db), home / "logs")
    en_label = publish(pipeline.settings, panel, sim, "prog-en")
    dk_label = publish(pipeline.settings, panel, dk_sim, "prog-dk")
    pipeline.start(2)
    try:
        pipeline.submit(sim.manifest, en_label, EN, programme="england")
        pipeline.submit(dk_sim.manifest, dk_label, DK, programme="denmark")
        pipeline.wait(EN)
        pipeline.wait(DK)
    finally:
        pipeline.stop()
    for role, name in USERS.items():
        add_user(pipeline, name, role)
    add_user(pipeline, SECOND_REVIEWER, "reviewer")
    en_truth = {b["sample_id"]: b for b in json.loads(sim.truth.read_text())["babies"]}
    identities = write_identity_csv(home / "identities.csv", sorted(en_truth))
    pipeline.cli("identity", "import", str(home / "identities.csv"), "--batch-id", EN)
    env = {**pipeline.env, "SCREENING_SECRET_KEY": "test-secret-programme", "SCREENING_WEB_HTTPS": "off"}
    server = Server(env, home / "serve.log")
    d = {"pipeline": pipeline, "server": server, "identities": identities, "home": home, "db": own_db}
    try:
        _review(d)
        yield d
    finally:
        server.stop()


def _client(d, role: str, username: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=d["server"].url, follow_redirects=False, timeout=120)
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username or USERS[role],
            "password": PASSWORD,
            "csrf_token": csrf_token(page.text),
            "next": "/",
        },
    )
    assert r.status_code == 303, r.text
    return client


def _flagged_runs(db_url: str, batch: str) -> list[int]:
    rows = query_all(
        db_url,
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "AND s.panel_version_id = r.panel_version_id JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = %(b)s AND r.outcome = 'condition_suspected' ORDER BY s.sample_id",
        {"b": batch},
    )
    return [r[0] for r in rows]


def _decide(reviewer: httpx.Client, db_url: str, run_id: int, call: str, outcome: str) -> int:
    token = csrf_token(reviewer.get(f"/review/cases/{run_id}").text)
    for hgnc_id, moi in query_all(
        db_url, "SELECT hgnc_id, moi FROM finding WHERE run_id = %(r)s", {"r": run_id}
    ):
        data = {
            "hgnc_id": hgnc_id,
            "moi": moi,
            "decision": call,
            "acmg_class": "pathogenic" if call == "confirmed" else "benign",
            "reason": "on review",
            "csrf_token": token,
        }
        assert reviewer.post(f"/review/cases/{run_id}/findings", data=data).status_code == 303
    data = {"outcome": outcome, "reason": "on review", "csrf_token": token}
    r = reviewer.post(f"/review/cases/{run_id}/outcome", data=data)
    assert r.status_code == 303, r.text
    return query_one(db_url, "SELECT max(id) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id})[0]


def _second(d, run_id: int, decision_id: int) -> None:
    with contextlib.closing(_client(d, "reviewer", SECOND_REVIEWER)) as second:
        data = {
            "case_decision_id": str(decision_id),
            "reason": "agree",
            "csrf_token": csrf_token(second.get(f"/review/cases/{run_id}").text),
        }
        assert second.post(f"/review/cases/{run_id}/confirm", data=data).status_code == 303


def _review(d) -> None:
    """England: two positives confirmed by two reviewers (one gets its referral pack), one not
    confirmed, one awaiting its second reviewer, the rest awaiting review. Denmark: one confirmed."""
    db_url = d["db"]
    en, dk = _flagged_runs(db_url, EN), _flagged_runs(db_url, DK)
    assert len(en) >= 5
    assert len(dk) >= 2
    with contextlib.closing(_client(d, "reviewer")) as reviewer:
        for run_id in (en[0], en[1], dk[0]):
            _second(d, run_id, _decide(reviewer, db_url, run_id, "confirmed", "condition_suspected"))
        _decide(reviewer, db_url, en[2], "not_confirmed", "no_condition_suspected")
        _decide(reviewer, db_url, en[3], "confirmed", "condition_suspected")  # awaiting the second reviewer
        page = reviewer.get(f"/review/cases/{en[0]}/letters/referral_pack").text
        shown = re.search(r'name="confirm_sha256" value="([0-9a-f]{64})"', page).group(1)
        data = {"kind": "referral_pack", "confirm_sha256": shown, "csrf_token": csrf_token(page)}
        assert reviewer.post(f"/review/cases/{en[0]}/letters", data=data).status_code == 303


# ---------------------------------------------------------------- counts of the test's own

CURRENT = """
FROM sample s JOIN batch b ON b.id = s.batch_id
LEFT JOIN screening_run r ON r.sample_id = s.id AND r.panel_version_id = s.panel_version_id
WHERE b.programme = ANY(%(p)s)
"""


def expected(db_url: str, programmes: list[str]) -> dict:
    p = {"p": programmes}
    outcomes = dict(
        query_all(
            db_url,
            "SELECT CASE WHEN s.state = 'held' THEN 'testing_not_possible' "
            "WHEN s.state = 'screened' THEN r.outcome ELSE s.state END, count(*)" + CURRENT + "GROUP BY 1",
            p,
        )
    )
    review = query_one(
        db_url,
        """WITH latest AS (
             SELECT DISTINCT ON (c.run_id) c.run_id, c.id, c.outcome, c.decided_by
             FROM case_decisions c JOIN screening_run x ON x.id = c.run_id
             WHERE c.decided_at >= x.screened_at ORDER BY c.run_id, c.id DESC),
           positives AS (
             SELECT l.*, EXISTS (SELECT 1 FROM case_confirmations k
                                 WHERE k.case_decision_id = l.id AND k.confirmed_by <> l.decided_by) AS second
             FROM sample s JOIN batch b ON b.id = s.batch_id
             JOIN screening_run r ON r.sample_id = s.id AND r.panel_version_id = s.panel_version_id
             LEFT JOIN latest l ON l.run_id = r.id
             WHERE b.programme = ANY(%(p)s) AND s.state = 'screened' AND r.outcome = 'condition_suspected')
           SELECT count(*) FILTER (WHERE outcome = 'condition_suspected' AND second),
                  count(*) FILTER (WHERE outcome IN ('no_condition_suspected', 'testing_not_possible')),
                  count(*) FILTER (WHERE outcome = 'condition_suspected' AND NOT second),
                  count(*) FILTER (WHERE outcome IS NULL)
           FROM positives""",
        p,
    )
    genes = dict(
        query_all(
            db_url,
            "SELECT f.hgnc_id, count(DISTINCT s.id) FROM finding f JOIN screening_run r ON r.id = f.run_id "
            "JOIN sample s ON s.id = r.sample_id AND s.panel_version_id = r.panel_version_id "
            "JOIN batch b ON b.id = s.batch_id WHERE b.programme = ANY(%(p)s) AND s.state = 'screened' "
            "AND r.outcome = 'condition_suspected' GROUP BY f.hgnc_id",
            p,
        )
    )
    batches = dict(
        query_all(
            db_url,
            "SELECT b.lab_batch_id, count(*) FROM sample s JOIN batch b ON b.id = s.batch_id "
            "WHERE b.programme = ANY(%(p)s) GROUP BY 1",
            p,
        )
    )
    weeks = dict(
        query_all(
            db_url,
            "SELECT to_char(b.submitted_at AT TIME ZONE 'UTC', 'IYYY-\"W\"IW'), count(*) "
            "FROM sample s JOIN batch b ON b.id = s.batch_id WHERE b.programme = ANY(%(p)s) GROUP BY 1",
            p,
        )
    )
    letters = query_one(
        db_url,
        "SELECT count(DISTINCT l.sample_pk) FROM issued_letters l JOIN sample s ON s.id = l.sample_pk "
        "JOIN batch b ON b.id = s.batch_id WHERE b.programme = ANY(%(p)s)",
        p,
    )[0]
    ids = [r[0] for r in query_all(db_url, "SELECT DISTINCT sample_id FROM sample", {})]
    return {
        "samples": sum(outcomes.values()),
        "outcomes": {
            o: outcomes.get(o, 0)
            for o in ("condition_suspected", "no_condition_suspected", "testing_not_possible")
        },
        "review": dict(
            zip(
                ("confirmed", "not_confirmed", "awaiting_second_reviewer", "awaiting_review"),
                review,
                strict=True,
            )
        ),
        "genes": genes,
        "batches": batches,
        "weeks": weeks,
        "letters": letters,
        "sample_ids": ids,
    }


def _report(d, *args: str) -> dict:
    proc = d["pipeline"].cli("report", "programme", *args, "--format", "json")
    return json.loads(proc.stdout)


def test_report_programme_matches_the_database(deployment):
    d, db_url = deployment, deployment["db"]
    for programme in ("england", "denmark"):
        want = expected(db_url, [programme])
        doc = _report(d, "--programme", programme)
        assert doc["programme"] == programme
        assert doc["samples"] == want["samples"]
        assert doc["outcomes"] == want["outcomes"]
        assert doc["screened"] == sum(want["outcomes"].values())
        assert doc["review"] == want["review"]
        conclusive = want["outcomes"]["condition_suspected"] + want["outcomes"]["no_condition_suspected"]
        assert doc["positive_rate_pct"] == pytest.approx(
            100 * want["outcomes"]["condition_suspected"] / conclusive, abs=1e-3
        )
        assert doc["positive_rate_flag"] == "above"  # simulated batches are rich in positives (band 1-3.7 %)
        assert {g["hgnc_id"]: g["flagged"] for g in doc["genes"]} == want["genes"]
        assert {b["batch"]: b["samples"] for b in doc["batches"]} == want["batches"]
        assert {w["week"]: w["samples"] for w in doc["weeks"]} == want["weeks"]
        everyone = next(r for r in doc["turnaround"] if r["outcome"] == "all")
        assert everyone["samples"] == want["samples"]
        assert everyone["receipt_to_letter"]["n"] == want["letters"]
        decided = want["review"]["confirmed"] + want["review"]["not_confirmed"]
        assert doc["ppv_pct"] == pytest.approx(100 * want["review"]["confirmed"] / decided, abs=1e-3)
    en = _report(d, "--programme", "england")
    assert en["review"] == {
        "confirmed": 2,
        "not_confirmed": 1,
        "awaiting_second_reviewer": 1,
        "awaiting_review": en["outcomes"]["condition_suspected"] - 4,
    }
    assert en["ppv_pct"] == pytest.approx(200 / 3, abs=1e-3)
    reasons = {r["category"]: r["babies"] for r in en["testing_not_possible_reasons"]}
    assert reasons == {"sample_swap_hold": 1, "qc_contamination_pct": 1}  # the simulator's two held babies
    confirmed_genes = {g["hgnc_id"] for g in en["genes"] if g["confirmed"]}
    assert len(confirmed_genes) >= 1
    both = _report(d)
    assert both["programme"] == "all"
    assert both["samples"] == en["samples"] + _report(d, "--programme", "denmark")["samples"]
    assert _report(d, "--since", "2999-01-01")["samples"] == 0
    tat = json.loads(
        d["pipeline"].cli("report", "turnaround", "--programme", "denmark", "--format", "json").stdout
    )
    assert (
        next(r for r in tat["outcomes"] if r["outcome"] == "all")["samples"]
        == expected(db_url, ["denmark"])["samples"]
    )


def test_report_programme_csv_table_band_and_bad_input(deployment):
    d = deployment
    pipeline = d["pipeline"]
    doc = _report(d, "--programme", "england")
    rows = list(
        csv.DictReader(
            io.StringIO(
                pipeline.cli("report", "programme", "--programme", "england", "--format", "csv").stdout
            )
        )
    )
    cell = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert cell[("summary", "", "outcomes.condition_suspected")] == str(
        doc["outcomes"]["condition_suspected"]
    )
    assert cell[("summary", "", "review.confirmed")] == "2"
    gene = doc["genes"][0]
    assert cell[("genes", gene["hgnc_id"], "flagged")] == str(gene["flagged"])
    assert cell[("batches", EN, "screened")] == str(doc["screened"])
    table = pipeline.cli("report", "programme", "--programme", "england").stdout
    assert "ABOVE THE BAND" in table
    assert "positive predictive value 66.67 %" in table
    # the band is the programme's own (programmes.toml); the setting is the fallback, and the band of a
    # report over every programme
    assert doc["band"] == {"low_pct": 0.5, "high_pct": 1.5}
    assert _report(d, "--programme", "denmark")["band"] == {"low_pct": 1.0, "high_pct": 3.7}
    wide = Pipeline(dataclasses.replace(pipeline.settings, positive_rate_band=(0.0, 100.0)), pipeline.log_dir)
    everyone = _report({"pipeline": wide})
    assert everyone["band"] == {"low_pct": 0.0, "high_pct": 100.0}
    assert everyone["positive_rate_flag"] == "within"
    assert _report({"pipeline": wide}, "--programme", "england")["band"] == doc["band"]
    bad = pipeline.cli("report", "programme", "--programme", "Not A Name", check=False)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("error: ")
    assert "Traceback" not in bad.stderr
    for ids in expected(d["db"], ["england"])["sample_ids"]:
        assert ids not in table  # no sample id in a programme report


def _share(d, path, *args: str) -> dict:
    d["pipeline"].cli("report", "share", "--out", str(path), *args)
    return json.loads(path.read_text())


def test_report_share_is_aggregate_suppressed_and_sealed(deployment, tmp_path):
    d, db_url = deployment, deployment["db"]
    want = expected(db_url, ["england"])
    doc = _share(d, tmp_path / "en.json", "--programme", "england", "--min-count", "3", "--period", "week")
    assert doc["programme"] == "england"
    assert doc["suppression"]["min_count"] == 3
    truth = {
        "no_condition_suspected": want["outcomes"]["no_condition_suspected"],
        "testing_not_possible": want["outcomes"]["testing_not_possible"],
        "condition_suspected_confirmed": want["review"]["confirmed"],
        "condition_suspected_not_confirmed": want["review"]["not_confirmed"],
        "condition_suspected_awaiting_review": want["review"]["awaiting_second_reviewer"]
        + want["review"]["awaiting_review"],
    }
    shared = dict(zip(doc["outcomes"]["columns"], doc["outcomes"]["totals"]["counts"], strict=True))
    for outcome, n in truth.items():
        if 0 < n < 3:
            assert shared[outcome] is None, outcome  # withheld
        else:
            assert shared[outcome] in (n, None), outcome  # shown as it is, or withheld beside another
    assert shared["testing_not_possible"] is None
    assert shared["condition_suspected_not_confirmed"] is None
    assert sum(v is None for v in shared.values()) != 1 or doc["outcomes"]["totals"]["total"] is None
    genes = {g["hgnc_id"]: g["flagged"] for g in doc["genes"]}
    assert set(genes) == set(want["genes"])
    for hgnc_id, n in want["genes"].items():
        assert genes[hgnc_id] in ((None,) if n < 3 else (n, None))
    assert genes["HGNC:1884"] == want["genes"]["HGNC:1884"] >= 3  # CFTR: four babies, shown
    text = (tmp_path / "en.json").read_text()
    for value in [
        *want["sample_ids"],
        EN,
        DK,
        *(v for row in d["identities"].values() for v in row.values()),
    ]:
        if len(value) >= 4:
            assert value not in text, value
    ok = d["pipeline"].cli("report", "verify-share", str(tmp_path / "en.json"))
    assert doc["sha256"] in ok.stdout
    changed = json.loads(text)
    changed["genes"][0]["symbol"] = "XYZ"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    refused = d["pipeline"].cli("report", "verify-share", str(tmp_path / "changed.json"), check=False)
    assert refused.returncode == 2
    assert "does not match its sha256" in refused.stderr
    assert "Traceback" not in refused.stderr
    recorded = query_all(
        db_url,
        "SELECT f.programme, f.granularity, f.min_count, f.babies, f.document, a.action, "
        "a.detail->>'sha256' FROM shared_figures f JOIN audit_log a ON a.entity = 'shared_figures' "
        "AND a.entity_id = f.id::text WHERE f.sha256 = %(h)s",
        {"h": doc["sha256"]},
    )
    assert len(recorded) == 1  # recorded and audited in one transaction, with the document itself
    programme, granularity, k, babies, stored, action, audited = recorded[0]
    assert (programme, granularity, k, action, audited) == (
        "england",
        "week",
        3,
        "figures_shared",
        doc["sha256"],
    )
    assert babies == doc["outcomes"]["totals"]["total"]
    assert stored == doc
    again = _share(
        d, tmp_path / "again.json", "--programme", "england", "--min-count", "3", "--period", "week"
    )
    assert again["sha256"] == doc["sha256"]  # the same figures seal to the same sha256


def _metrics(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([^"]+)">([^<]*)<', html))


def test_the_dashboard_shows_the_same_numbers_to_a_lead(deployment, tmp_path):
    d = deployment
    doc = _report(d, "--programme", "england")
    with contextlib.closing(_client(d, "lead")) as lead:
        home = lead.get("/")
        assert home.headers["location"] == "/lead/programme"
        page = lead.get("/lead/programme", params={"programme": "england"})
        assert page.status_code == 200
        m = _metrics(page.text)
        assert int(m["samples"]) == doc["samples"]
        assert int(m["screened"]) == doc["screened"]
        for o, n in doc["outcomes"].items():
            assert int(m[f"outcomes.{o}"]) == n
        for r, n in doc["review"].items():
            assert int(m[f"review.{r}"]) == n
        for g in doc["genes"]:
            assert int(m[f"genes.{g['hgnc_id']}.flagged"]) == g["flagged"]
        for r in doc["testing_not_possible_reasons"]:
            assert int(m[f"reasons.{r['category']}"]) == r["babies"]
        assert m["turnaround.all.receipt_to_letter.n"] == "1"
        assert 'data-testid="rate-flag"' in page.text
        assert "Outside the expected band (above it)" in page.text
        assert page.text.count("<svg") >= 6
        assert "<script" not in page.text.split("</head>")[1]
        for value in (
            [*expected(d["db"], ["england"])["sample_ids"]]
            + [row["family_name"] for row in d["identities"].values()]
            + [row["nhs_number"] for row in d["identities"].values()]
        ):
            assert value not in page.text
        since = lead.get("/lead/programme", params={"programme": "england", "since": "2999-01-01"})
        assert _metrics(since.text)["samples"] == "0"
        assert lead.get("/lead/programme", params={"since": "not a date"}).status_code == 400

        # a partner's shared file, verified and side by side
        share = _share(d, tmp_path / "en.json", "--programme", "england", "--min-count", "3")
        token = csrf_token(page.text)
        r = lead.post(
            "/lead/programme/compare",
            data={"csrf_token": token, "programme": "denmark"},
            files={"shared_file": ("en.json", (tmp_path / "en.json").read_bytes(), "application/json")},
        )
        assert r.status_code == 200, r.text
        assert share["sha256"] in r.text
        assert 'data-testid="partner"' in r.text
        shown = dict(re.findall(r'data-partner="([^"]+)">([^<]*)<', r.text))
        for outcome, n in zip(
            share["outcomes"]["columns"], share["outcomes"]["totals"]["counts"], strict=True
        ):
            assert shown[outcome] == ("withheld" if n is None else str(n))
        changed = json.loads((tmp_path / "en.json").read_text())
        changed["outcomes"]["totals"]["total"] = 999
        r = lead.post(
            "/lead/programme/compare",
            data={"csrf_token": token},
            files={"shared_file": ("en.json", json.dumps(changed).encode(), "application/json")},
        )
        assert r.status_code == 422
        assert "does not match its sha256" in r.text
        assert "Traceback" not in r.text
        r = lead.post(
            "/lead/programme/compare",
            data={"csrf_token": "wrong"},
            files={"shared_file": ("en.json", (tmp_path / "en.json").read_bytes(), "application/json")},
        )
        assert r.status_code == 403


def test_a_lead_is_refused_identities_cases_and_batches(deployment):
    d, db_url = deployment, deployment["db"]
    run_id = _flagged_runs(db_url, EN)[0]
    sample_pk = query_one(db_url, "SELECT sample_id FROM screening_run WHERE id = %(r)s", {"r": run_id})[
        0
    ]  # the pk
    refused = [
        "/review",
        f"/review/cases/{run_id}",
        f"/review/batches/{EN}/letters",
        "/lab/batches",
        f"/lab/batches/{EN}",
        "/curator/panels",
        "/admin/users",
        "/admin/audit",
    ]
    with contextlib.closing(_client(d, "lead")) as lead:
        for path in refused:
            r = lead.get(path)
            assert r.status_code == 403, path
            assert "lead role" in r.text
        letters = query_all(db_url, "SELECT id FROM issued_letters WHERE sample_pk = %(s)s", {"s": sample_pk})
        for (letter_id,) in letters:
            assert lead.get(f"/review/letters/{letter_id}.pdf").status_code in (403, 404)
    api = httpx.get(f"{d['server'].url}/api/v1/batches/{EN}", auth=(LEAD, PASSWORD), timeout=60)
    assert api.status_code == 403
    views = query_one(
        db_url, "SELECT count(*) FROM identity_views WHERE viewed_by LIKE %(u)s", {"u": f"%{LEAD}%"}
    )
    assert views[0] == 0
    for role in ("reviewer", "lab"):
        with contextlib.closing(_client(d, role)) as other:
            assert other.get("/lead/programme").status_code == 403, role
    with contextlib.closing(_client(d, "admin")) as admin:
        assert admin.get("/lead/programme").status_code == 200
    with contextlib.closing(_client(d, "reviewer")) as reviewer:
        case = reviewer.get(f"/review/cases/{run_id}")
        assert case.status_code == 200  # a reviewer still sees the case, with its identity
        assert any(row["family_name"] in case.text for row in d["identities"].values())
