"""Turnaround figures on a batch taken through review and letters: a simulated batch screened by real
workers behind a real ``screening serve``; a reviewer records the outcome of one flagged baby and issues
its referral pack, then the batch's "no condition suspected" letters. ``batch status`` (JSON and table),
the batch page and ``screening report turnaround`` show received → screened → reviewed → letter."""

from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import datetime

import httpx
import pytest
from conftest import query_all, query_one
from web_support import SECOND_REVIEWER, build_site, csrf_token, own_database, signed_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def own_db(tmp_path_factory):
    """A database of its own: the site's users (web_support.USERS) are those of test_web.py's site."""
    with own_database(tmp_path_factory.mktemp("tatdb")) as url:
        yield url


@pytest.fixture(scope="module")
def site(own_db, panel, sim, tmp_path_factory):
    s = build_site(tmp_path_factory.mktemp("turnaround"), own_db, panel, sim, "tat")
    yield s
    s.server.stop()


_token = csrf_token


def _client(site, role: str, username: str | None = None) -> httpx.Client:
    return signed_in(httpx.Client(base_url=site.url, follow_redirects=False, timeout=120), role, username)


def _review_and_letter(site, db_url, reviewer: httpx.Client, sid: str) -> None:
    run_id = query_one(
        db_url,
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s",
        {"b": site.batch_id, "s": sid},
    )[0]
    token = _token(reviewer.get(f"/review/cases/{run_id}").text)
    for hgnc_id, moi in query_all(
        db_url, "SELECT hgnc_id, moi FROM finding WHERE run_id = %(r)s", {"r": run_id}
    ):
        data = {
            "hgnc_id": hgnc_id,
            "moi": moi,
            "decision": "confirmed",
            "acmg_class": "pathogenic",
            "reason": "confirmed on review",
            "csrf_token": token,
        }
        assert reviewer.post(f"/review/cases/{run_id}/findings", data=data).status_code == 303
    data = {"outcome": "condition_suspected", "reason": "confirmed findings", "csrf_token": token}
    assert reviewer.post(f"/review/cases/{run_id}/outcome", data=data).status_code == 303
    decision_id = query_one(db_url, "SELECT max(id) FROM case_decisions WHERE run_id = %(r)s", {"r": run_id})[
        0
    ]
    with contextlib.closing(
        _client(site, "reviewer", SECOND_REVIEWER)
    ) as second:  # four eyes: another account confirms
        confirm = {
            "case_decision_id": str(decision_id),
            "reason": "agree",
            "csrf_token": _token(second.get(f"/review/cases/{run_id}").text),
        }
        assert second.post(f"/review/cases/{run_id}/confirm", data=confirm).status_code == 303
    page = reviewer.get(f"/review/cases/{run_id}/letters/referral_pack").text  # the confirmation step
    shown = re.search(r'name="confirm_sha256" value="([0-9a-f]{64})"', page).group(1)
    data = {"kind": "referral_pack", "confirm_sha256": shown, "csrf_token": token}
    r = reviewer.post(f"/review/cases/{run_id}/letters", data=data)
    assert r.status_code == 303, r.text


def _batch_letters(site, reviewer: httpx.Client) -> None:
    path = f"/review/batches/{site.batch_id}/letters"
    page = reviewer.get(path).text
    due = re.search(r'name="confirm_count" value="(\d+)"', page).group(1)
    data = {"csrf_token": _token(page), "confirm_count": due}
    assert reviewer.post(path, data=data).status_code == 303
    deadline = time.monotonic() + 180
    while True:
        doc = reviewer.get(path + "/progress.json").json()
        if doc["job"] and doc["job"]["state"] != "running":
            break
        assert time.monotonic() < deadline, doc
        time.sleep(0.5)
    assert doc["job"]["state"] == "finished", doc["job"]["problems"]


def test_turnaround_through_review_and_letters(site, own_db):
    db_url = own_db
    flagged, clear = site.flagged()[0], site.clear()
    with contextlib.closing(_client(site, "reviewer")) as reviewer:
        _review_and_letter(site, db_url, reviewer, flagged)
        _batch_letters(site, reviewer)

    doc = site.pipeline.status_json(site.batch_id)
    samples = {s["sample_id"]: s for s in doc["samples"]}
    for s in samples.values():
        t = s["turnaround"]
        received, screened = (
            datetime.fromisoformat(t["received_at"]),
            datetime.fromisoformat(t["screened_at"]),
        )
        assert received.isoformat() == doc["submitted_at"]  # received with the batch
        assert screened > received
        assert t["receipt_to_screened_s"] == pytest.approx((screened - received).total_seconds())
    t = samples[flagged]["turnaround"]
    reviewed, letter = datetime.fromisoformat(t["reviewed_at"]), datetime.fromisoformat(t["letter_issued_at"])
    assert datetime.fromisoformat(t["screened_at"]) < reviewed < letter
    for sid in clear:
        assert samples[sid]["turnaround"]["reviewed_at"] is None  # letters without a case review
        assert samples[sid]["turnaround"]["letter_issued_at"] is not None
    others = set(samples) - {flagged, *clear}
    assert all(samples[s]["turnaround"]["letter_issued_at"] is None for s in others)
    summary = doc["turnaround"]
    assert summary["receipt_to_screened"]["n"] == len(samples)
    assert summary["screened_to_reviewed"]["n"] == 1
    assert summary["screened_to_reviewed"]["max_s"] == pytest.approx(
        samples[flagged]["turnaround"]["screened_to_reviewed_s"], abs=1e-3
    )
    assert summary["receipt_to_letter"]["n"] == 1 + len(clear)
    spans = [s["turnaround"]["receipt_to_screened_s"] for s in samples.values()]
    assert summary["receipt_to_screened"]["max_s"] == pytest.approx(max(spans), abs=1e-3)

    table = site.pipeline.cli("batch", "status", site.batch_id).stdout
    assert "receipt to screened: median" in table
    assert "screened to reviewed: median" in table

    with contextlib.closing(_client(site, "lab")) as lab:
        page = lab.get(f"/lab/batches/{site.batch_id}").text
        progress = lab.get(f"/lab/batches/{site.batch_id}/progress.json").json()
    assert "Receipt → screened" in page
    assert 'data-span="receipt_to_letter"' in page
    assert progress["turnaround"]["receipt_to_letter"]["n"] == 1 + len(clear)

    report = json.loads(site.pipeline.cli("report", "turnaround", "--format", "json").stdout)
    by_outcome = {r["outcome"]: r for r in report["outcomes"]}
    suspected = by_outcome["condition_suspected"]
    assert suspected["screened_to_reviewed"]["n"] >= 1  # the reviewed baby counts under its reviewed outcome
    assert by_outcome["no_condition_suspected"]["receipt_to_letter"]["n"] >= len(clear)
    assert by_outcome["all"]["samples"] == sum(
        r["samples"] for r in report["outcomes"] if r["outcome"] != "all"
    )
    future = site.pipeline.cli("report", "turnaround", "--since", "2999-01-01", "--format", "json").stdout
    assert json.loads(future)["outcomes"] == [
        {
            "outcome": "all",
            "samples": 0,
            **{k: {"n": 0, "median_s": None, "p90_s": None, "max_s": None} for k in summary},
        }
    ]
    text = site.pipeline.cli("report", "turnaround").stdout
    assert "condition_suspected" in text
