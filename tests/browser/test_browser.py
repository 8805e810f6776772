"""Browser tests in real headless Chromium (Debian's package at /usr/bin/chromium, driven by Playwright
with its executable path; never ``playwright install``), against a real ``screening serve`` over a real
PostgreSQL database holding a simulated batch screened by real workers.

Screenshots of the main pages go to tests/artifacts/ (git-ignored), with a sheet of them all
(tests/artifacts/index.html). With ``SCREENING_DOCS_SCREENSHOTS=1`` the run also rewrites the committed
sheet: docs/screenshots/*.png (the top of each page at half scale, 640 x 450) and docs/screenshots.md."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening import panel_content

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from conftest import db_url, panel, pg_url, query_all, query_one, sim  # noqa: E402, F401  (the pipeline's fixtures)
from web_support import PASSWORD, SECOND_REVIEWER, USERS, build_site, identity_strings  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = HERE.parent / "artifacts"
DOCS = HERE.parents[1] / "docs"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOME = {"lab": "/lab/batches", "reviewer": "/review", "curator": "/curator/panels", "admin": "/admin/users"}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="chromium is not installed: scripts/ensure-system-packages"
    ),
]


@pytest.fixture(scope="module")
def site(db_url, panel, sim, tmp_path_factory):  # noqa: F811
    s = build_site(tmp_path_factory.mktemp("browser"), db_url, panel, sim, "browser")
    yield s
    s.server.stop()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e .[test])"
    )
    manager = playwright.sync_playwright().start()
    chromium = manager.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield chromium
    chromium.close()
    manager.stop()


@pytest.fixture
def page_as(site, browser):
    """``page_as(role)``: a fresh browser context signed in through the login form."""
    contexts = []

    def sign_in(role: str, username: str | None = None):
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(site.url + "/login")
        page.fill("input[name=username]", username or USERS[role])
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(site.url + HOME[role])
        return page

    yield sign_in
    for context in contexts:
        context.close()


# What each screenshot shows, for the committed sheet (docs/screenshots.md); in the order a user meets them.
CAPTIONS = {
    "login": "Sign-in page",
    "home-lab": "Lab staff: batches",
    "lab-upload": "Lab: upload a manifest (the VCFs stay on shared storage)",
    "lab-upload-problems": "Lab: every problem of a manifest at once, nothing submitted",
    "lab-upload-screened": "Lab: the uploaded batch screened by the workers",
    "lab-batch": "Lab: batch progress, per-sample state and turnaround, no identities",
    "home-reviewer": "Reviewer: the review queue, most urgent first",
    "review-case-before": "Reviewer: a flagged baby's case, nothing pre-selected",
    "review-case-awaiting-second-reviewer": "Four eyes: a positive waits for a second reviewer",
    "review-case-confirmed-by-second-reviewer": "Four eyes: confirmed by a second account",
    "review-letter-confirmation": "Confirmation step: recipient, findings and the letter itself",
    "review-case-after": "Referral pack issued, PDF sha256 beside it",
    "review-batch-letters": "Letters of a batch with download links",
    "review-case-carried-forward": "After a re-screen: unchanged findings keep their decision",
    "home-curator": "Curator: panel versions, drafts, PanelApp import",
    "curator-panel": "Curator: a version's gene table (search, filters, sort, pages) and variant lists",
    "curator-panel-search": "Curator: the gene table searched and sorted",
    "curator-import-problems": "Curator: a bad PanelApp upload, said plainly",
    "curator-draft": "Curator: a draft imported from PanelApp (compare, preview, publish)",
    "curator-diff": "Curator: differences between a published version and the draft",
    "curator-impact": "Curator: impact of the draft on the babies already screened",
    "curator-published": "Curator: the draft published with its change message",
    "home-admin": "Admin: users",
    "api-docs": "The JSON API's documentation, served offline",
}


@pytest.fixture(scope="module", autouse=True)
def contact_sheet(browser):
    """After the module: tests/artifacts/index.html, every screenshot on one page (linked from README);
    with SCREENING_DOCS_SCREENSHOTS=1 also the committed sheet in docs/."""
    yield
    if not ARTIFACTS.is_dir():
        return
    cells = "".join(
        f'<figure><a href="{p.name}"><img src="{p.name}" alt="{p.stem}" width="420"></a>'
        f"<figcaption>{p.stem}</figcaption></figure>\n"
        for p in sorted(ARTIFACTS.glob("*.png"))
    )
    style = "body{font-family:sans-serif}figure{display:inline-block;margin:8px;vertical-align:top}"
    (ARTIFACTS / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Screenshots</title><style>{style}</style>"
        f"<h1>Pages as the browser tests saw them</h1>\n{cells}"
    )
    if os.environ.get("SCREENING_DOCS_SCREENSHOTS") == "1":
        docs_sheet(browser)


def docs_sheet(browser) -> None:
    """docs/screenshots/<name>.png: the top 1280 x 900 of each page at half scale; docs/screenshots.md."""
    out = DOCS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 640, "height": 450})
    page = context.new_page()
    lines = [
        "# The pages",
        "",
        "Screenshots taken by the browser tests (`tests/browser/test_browser.py`, headless Chromium) against",
        "a real server, database and workers, on simulated babies (names and numbers are made up).",
        "Regenerate with `SCREENING_DOCS_SCREENSHOTS=1 .venv/bin/pytest -q tests/browser`; full-page shots",
        "of the last run are in `tests/artifacts/` (not committed).",
        "",
    ]
    for name, caption in CAPTIONS.items():
        source = ARTIFACTS / f"{name}.png"
        if not source.is_file():
            continue
        data = base64.b64encode(source.read_bytes()).decode()
        page.set_content(
            "<body style='margin:0'><img style='width:640px;display:block' "
            f"src='data:image/png;base64,{data}'></body>"
        )
        page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
        page.screenshot(path=str(out / f"{name}.png"))
        lines += [f"### {caption}", "", f"![{caption}](screenshots/{name}.png)", ""]
    context.close()
    (DOCS / "screenshots.md").write_text("\n".join(lines))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _run_id(site, sample_id: str) -> int:
    sql = (
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s"
    )
    return query_one(site.pipeline.settings.database_url, sql, {"b": site.batch_id, "s": sample_id})[0]


def test_each_role_signs_in_to_its_home_page(site, page_as):
    for role, path in HOME.items():
        page = page_as(role)
        assert page.url == site.url + path
        assert f"{USERS[role]} ({role})" in page.inner_text("[data-testid=who]")
        shot(page, f"home-{role}")


def test_login_page_and_wrong_password(site, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/review")
    assert "/login" in page.url
    shot(page, "login")
    page.fill("input[name=username]", USERS["reviewer"])
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.content()
    context.close()


def test_reviewer_cannot_reach_curator_pages(site, page_as):
    page = page_as("reviewer")
    response = page.goto(site.url + "/curator/panels")
    assert response.status == 403
    assert "Not allowed" in page.inner_text("h1")
    assert page.locator("a[href='/curator/panels']").count() == 0  # not even offered in the menu


def test_lab_sees_batch_progress_but_no_identity(site, page_as):
    page = page_as("lab")
    page.click(f"text={site.batch_id}")
    page.wait_for_selector("[data-field=samples]")
    text = page.content()
    assert all(sid in text for sid in site.truth)
    assert page.locator("progress[data-field=bar]").get_attribute("value") == "100"
    assert not [v for v in identity_strings(site) if v in text]
    shot(page, "lab-batch")
    response = page.goto(f"{site.url}/review/cases/{_run_id(site, site.flagged()[0])}")
    assert response.status == 403
    page.goto(site.url + "/lab/batches")
    shot(page, "lab-batches")


def test_lab_uploads_a_manifest_and_watches_it_screened(site, page_as):
    """The upload page: a manifest with problems shows all of them; a good one (VCFs already in the data
    root) is submitted, real workers screen it, and the batch page counts it honestly."""
    page = page_as("lab")
    page.click("[data-testid=new-batch]")
    page.wait_for_selector("[data-testid=submit-form]")
    shot(page, "lab-upload")
    bad = b"sample_id,vcf,sex\nX1,missing1.vcf.gz,male\nX2,missing2.vcf.gz,alien\n"
    page.select_option("select[name=panel]", site.panel_label)
    page.set_input_files(
        "input[name=manifest]", files=[{"name": "run.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.click("[data-testid=submit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=submit-problems]")
    assert page.locator("[data-testid=submit-problems] li").count() >= 3
    shot(page, "lab-upload-problems")
    lines = (site.data_root / "manifest.csv").read_text().splitlines()
    good = ("\n".join(lines[:3]) + "\n").encode()
    page.select_option("select[name=panel]", site.panel_label)
    page.set_input_files(
        "input[name=manifest]", files=[{"name": "two.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.fill("input[name=batch_id]", "browser-upload-1")
    page.click("[data-testid=submit-form] button[type=submit]")
    page.wait_for_url(site.url + "/lab/batches/browser-upload-1")
    site.pipeline.start(1)
    try:
        site.pipeline.wait("browser-upload-1")
    finally:
        site.pipeline.stop()
    page.reload()
    assert page.inner_text("[data-testid=batch-summary]") == "2 of 2 screened"
    assert page.inner_text("[data-testid=batch-state]") == "finalised"
    shot(page, "lab-upload-screened")


def test_curator_sees_panels_genes_and_diff(site, page_as):
    page = page_as("curator")
    page.click(f"text={site.panel_label}")
    page.wait_for_selector("[data-testid=genes]")
    assert page.locator("[data-testid=genes] tbody tr").count() == 50  # one page of the table
    assert page.locator("[data-testid=include-list]").is_visible()
    shot(page, "curator-panel")
    page.fill("input[name=q]", "gusb")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*[?&]q=gusb"))
    assert page.locator("[data-testid=genes] tbody tr").count() == 1
    page.fill("input[name=q]", "")
    page.select_option("select[name=moi]", "BIALLELIC")
    page.click("[data-testid=gene-filters] button[type=submit]")
    page.wait_for_url(re.compile(r".*moi=BIALLELIC"))
    page.click("[data-testid=genes] th a[data-sort=urgency]")
    page.wait_for_url(re.compile(r".*sort=urgency"))
    assert page.locator("[data-testid=genes] tbody tr").first.locator("td").nth(4).inner_text() == "immediate"
    assert set(page.locator("[data-testid=genes] tbody td:nth-child(3)").all_inner_texts()) == {"BIALLELIC"}
    page.locator("[data-testid=genes] details summary").first.click()
    shot(page, "curator-panel-search")


def _panelapp_export(site, tmp_path: Path, drop: str) -> bytes:
    """The site's version as PanelApp-style JSON (written by the CLI), with one gene left out."""
    out = tmp_path / "export.json"
    site.pipeline.cli("panel", "export", site.panel_label, "--panelapp", str(out))
    doc = json.loads(out.read_text())
    doc["genes"] = [g for g in doc["genes"] if g["entity_name"] != drop]
    return json.dumps(doc).encode()


def test_curator_imports_from_panelapp_diffs_previews_impact_and_publishes(site, page_as, tmp_path):
    """Import → diff → impact (progress polled until the results are on the page) → publish, all in the
    browser; the version published is the draft's content with the message typed."""
    sid = next(s for s in site.flagged() if len({f["symbol"] for f in site.truth[s]["findings"]}) == 1)
    gene = site.truth[sid]["findings"][0]["symbol"]
    panel_id = site.panel_label.rpartition("@")[0]
    page = page_as("curator")
    page.set_input_files(
        "[data-testid=import-form] input[name=file]",
        files=[{"name": "broken.json", "mimeType": "application/json", "buffer": b"{not json"}],
    )
    page.fill("[data-testid=import-form] input[name=panel_id]", panel_id)
    page.fill("[data-testid=import-form] input[name=version]", "7.2")
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-problems]")
    assert "broken.json:1: not JSON" in page.inner_text("[data-testid=import-problems]")
    shot(page, "curator-import-problems")
    page.set_input_files(
        "[data-testid=import-form] input[name=file]",
        files=[
            {
                "name": "revised.json",
                "mimeType": "application/json",
                "buffer": _panelapp_export(site, tmp_path, gene),
            }
        ],
    )
    page.fill("[data-testid=import-form] input[name=panel_id]", panel_id)
    page.fill("[data-testid=import-form] input[name=version]", "7.2")
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("[data-testid=draft-steps]")
    assert f"Draft {panel_id}@7.2" in page.inner_text("h1")
    draft_url = page.url
    draft_sha = page.inner_text("[data-testid=draft-sha256]")
    shot(page, "curator-draft")

    page.select_option("[data-testid=compare-form] select[name=old]", site.panel_label)
    page.click("[data-testid=compare-form] button[type=submit]")
    page.wait_for_selector("table.removed")
    assert gene in page.inner_text("table.removed")
    shot(page, "curator-diff")

    page.goto(draft_url)
    page.click("[data-testid=start-impact]")
    page.wait_for_selector("#impact-progress")
    # the page polls the job and reloads itself with the results: wait for them, not for a time
    page.wait_for_selector("[data-testid=impact-counts]", timeout=600_000)
    assert page.inner_text("[data-testid=impact-summary]").startswith("finished:")
    assert int(page.inner_text("[data-count=no_longer_suspected]")) >= 1
    assert sid in page.inner_text("[data-testid=impact-changed]")
    shot(page, "curator-impact")

    page.goto(draft_url)
    message = f"PanelApp revision without {gene}"
    page.fill("[data-testid=publish-form] input[name=message]", message)
    page.click("[data-testid=publish-form] button[type=submit]")
    page.wait_for_url(f"{site.url}/curator/panels/{panel_id}/7.2")
    assert page.inner_text("[data-testid=panel-sha256]") == draft_sha
    assert page.inner_text("[data-testid=change-message]") == message
    assert "published" in page.inner_text(".flash")
    shot(page, "curator-published")
    rows = query_all(
        site.pipeline.settings.database_url,
        "SELECT a.actor FROM audit_log a JOIN panel_version pv ON a.entity = 'panel_version' "
        "AND a.entity_id = pv.id::text WHERE pv.panel_id = %(p)s AND pv.major = 7 AND pv.minor = 2",
        {"p": panel_id},
    )
    assert rows == [(f"web:{USERS['curator']}",)]


def test_review_a_flagged_baby_to_the_referral_pack_pdf(site, page_as, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed: scripts/ensure-system-packages")
    sid = site.flagged()[0]
    truth = site.truth[sid]
    who = site.identities[sid]
    page = page_as("reviewer")
    shot(page, "review-queue")
    page.click(f"[data-testid=queue] >> text={sid}")
    page.wait_for_selector("[data-testid=identity]")
    assert who["family_name"] in page.inner_text("[data-testid=identity]")
    assert page.inner_text("[data-testid=reported-outcome]") == "awaiting review"
    shot(page, "review-case-before")
    for finding in truth["findings"]:
        section = page.locator(f"[data-testid=finding-{finding['symbol']}]")
        section.locator("select[name=decision]").select_option("confirmed")
        section.locator("select[name=acmg_class]").select_option("likely_pathogenic")
        section.locator("input[name=reason]").fill("variant and genotype confirmed on review")
        section.locator("button[type=submit]").click()
        page.wait_for_load_state()
        decision = page.inner_text(f"[data-testid=decision-{finding['symbol']}]")
        assert "confirmed" in decision
        assert "Likely pathogenic" in decision
    page.select_option("select[name=outcome]", "condition_suspected")
    page.fill("form[action$='/outcome'] input[name=reason]", "confirmed findings: refer")
    page.click("form[action$='/outcome'] button[type=submit]")
    page.wait_for_selector("[data-testid=case-outcome]")
    # four eyes: the first reviewer's "condition suspected" is not final, and no referral pack is offered
    page.wait_for_selector("[data-testid=awaiting-second-reviewer]")
    assert page.inner_text("[data-testid=reported-outcome]") == "awaiting review"
    assert page.locator("[data-testid=confirm-outcome]").count() == 0
    assert page.locator("[data-testid=prepare-referral_pack]").count() == 0
    assert "second reviewer" in page.inner_text("[data-testid=letters-wait]")
    shot(page, "review-case-awaiting-second-reviewer")
    case_url = page.url

    second = page_as("reviewer", SECOND_REVIEWER)
    awaiting = second.locator("[data-testid=awaiting]")
    assert sid in awaiting.inner_text()
    shot(second, "review-queue-awaiting-second-reviewer")
    awaiting.locator(f"text={sid}").click()
    second.wait_for_selector("[data-testid=confirm-outcome]")
    second.fill("form[action$='/confirm'] input[name=reason]", "second review: findings and outcome agreed")
    second.click("[data-testid=confirm-outcome]")
    second.wait_for_selector("[data-testid=confirmation]")
    assert f"web:{SECOND_REVIEWER}" in second.inner_text("[data-testid=confirmation]")
    assert second.inner_text("[data-testid=reported-outcome]") == "condition suspected"
    shot(second, "review-case-confirmed-by-second-reviewer")

    page.goto(case_url)
    page.click("[data-testid=prepare-referral_pack]")
    page.wait_for_selector("[data-testid=letter-confirmation]")
    assert "regional newborn screening result coordinator" in page.inner_text(
        "[data-testid=confirm-recipient]"
    )
    shown_sha = page.inner_text("[data-testid=confirm-sha256]")
    frame = page.frame_locator("[data-testid=letter-preview]")
    assert who["family_name"] in frame.locator("body").inner_text()
    shot(page, "review-letter-confirmation")
    page.click("[data-testid=confirm-issue]")
    page.wait_for_selector("[data-testid=letters]")
    shot(page, "review-case-after")
    with page.expect_download() as download:
        page.click("[data-testid=pdf-referral_pack]")
    pdf = tmp_path / "referral.pdf"
    download.value.save_as(pdf)
    pdf_sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert page.locator(f"[data-testid=letters] code[title='{pdf_sha}']").count() == 1  # sha256 beside it
    html_sha = query_one(
        site.pipeline.settings.database_url,
        "SELECT sha256 FROM issued_letters WHERE pdf_sha256 = %(p)s",
        {"p": pdf_sha},
    )[0]
    assert html_sha == shown_sha  # what was confirmed is what was issued
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert who["given_name"] in text
    assert who["family_name"] in text
    for finding in truth["findings"]:
        assert finding["symbol"] in text
    assert f"Confirmed by web:{SECOND_REVIEWER}" in text
    others = [site.identities[s]["family_name"] for s in site.truth if s != sid]
    assert not [name for name in others if name in text]
    page.goto(f"{site.url}/review/batches/{site.batch_id}/letters")
    assert pdf_sha in page.inner_text("[data-testid=batch-letters]")
    shot(page, "review-batch-letters")


def test_api_docs_render_offline_from_the_package(site, browser):
    """Swagger UI from the package's assets: every request stays on the server (no CDN)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    page.goto(site.url + "/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Newborn genome screening" in page.inner_text(".swagger-ui .info .title")
    page.get_by_text("/api/v1/batches", exact=True).first.wait_for()
    assert set(hosts) == {site.url.split("/")[2]}, hosts
    shot(page, "api-docs")
    context.close()


def test_a_re_screen_carries_the_reviewers_decisions_forward(site, page_as):
    """Last (it re-screens the batch): a reviewer decides a flagged baby's findings in the browser; the
    batch is re-screened by real workers under a new version with the same genes; the new run's case
    page shows each decision carried forward ("decided on … under panel …, unchanged")."""
    from screening.db import connection
    from screening.db import curation as db_curation
    from screening.db import panels as db_panels
    from screening.domain import Version

    sid = site.flagged()[-1]
    old_run = _run_id(site, sid)
    page = page_as("reviewer")
    page.goto(f"{site.url}/review/cases/{old_run}")
    symbols = sorted({f["symbol"] for f in site.truth[sid]["findings"]})
    for symbol in symbols:
        section = page.locator(f"[data-testid=finding-{symbol}]")
        section.locator("select[name=decision]").select_option("confirmed")
        section.locator("select[name=acmg_class]").select_option("pathogenic")
        section.locator("input[name=reason]").fill("reviewed before the re-screen")
        section.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "confirmed" in page.inner_text(f"[data-testid=decision-{symbol}]")
    settings = site.pipeline.settings
    with connection.session(settings) as conn:
        v1_row = db_curation.require_version(conn, site.panel_label)
        v1 = db_panels.load_panel_version(conn, v1_row.id)
        clinvar = db_panels.load_clinvar(conn, v1_row.id)
        same = dataclasses.replace(v1, version=Version(v1.version.major, v1.version.minor + 1))
        same = panel_content.sealed(same)
        with connection.transaction(conn, "pytest"):
            db_curation.set_change_message(conn, "same genes, new version")
            row, _ = db_panels.publish(conn, same, clinvar, "pytest")
    site.pipeline.start(1)
    try:
        site.pipeline.cli("panel", "rescreen", site.batch_id, "--panel", row.label, "--wait", "600")
    finally:
        site.pipeline.stop()
    new_run = query_one(
        settings.database_url,
        "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id "
        "AND s.panel_version_id = r.panel_version_id JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = %(b)s AND s.sample_id = %(s)s",
        {"b": site.batch_id, "s": sid},
    )[0]
    assert new_run != old_run  # a new run under the new version; the old one stays
    page.goto(f"{site.url}/review/cases/{new_run}")
    for symbol in symbols:
        carried = page.inner_text(f"[data-testid=carried-{symbol}]")
        assert re.fullmatch(
            rf"decided on [0-9-]+ [0-9:]+ under panel {re.escape(site.panel_label)}, unchanged", carried
        )
    shot(page, "review-case-carried-forward")
