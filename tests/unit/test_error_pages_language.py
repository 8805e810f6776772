"""What the web shows when something is wrong, in the page's language: the plain 500 page (and the
400 of an address with a control character), a manifest's validation problems built from
templates (the file and line stay as they are; the message is translated), and the error pages of
the errors raised on purpose (not found, refused, a database error translated, a panel folder's
problems): Danish when built from a template, the English text in the JSON API."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import HTTPException

from screening import i18n, panels
from screening.config import load_settings
from screening.db import connection
from screening.domain import N_, Reason
from screening.errors import IntegrityError, NotFoundError, PanelError
from screening.manifest import read_manifest, validate
from screening.web.app import create_app
from screening.web.labels import problem_text

DANISH = {"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"}


@pytest.fixture
def get(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "test-secret-error-pages")
    settings = load_settings({"SCREENING_HOME": str(tmp_path)})
    app = create_app(settings, database_url="postgresql://127.0.0.1:1/unused")

    @app.get("/boom")
    def _boom():
        raise RuntimeError("a bug")

    @app.get("/missing-batch")
    def _missing_batch():
        raise NotFoundError(Reason(N_("batch {batch} does not exist"), batch="B-7"))

    @app.get("/api/v1/missing-batch")
    def _missing_batch_api():
        raise NotFoundError(Reason(N_("batch {batch} does not exist"), batch="B-7"))

    @app.get("/lab-only")
    def _lab_only():
        raise HTTPException(
            status_code=403, detail=Reason(N_("This page is not open to the {role} role."), role="lead")
        )

    @app.get("/tampered")
    def _tampered():
        raise IntegrityError("letter 3 sha256 mismatch")  # no template: English, said to be so

    @app.get("/full-disk")
    def _full_disk():
        raise connection.translate(psycopg.errors.DiskFull())

    @app.get("/bad-panel")
    def _bad_panel():
        folder = tmp_path / "bad-panel"
        folder.mkdir(exist_ok=True)
        (folder / "panel.toml").write_text('id = "Bad Panel"\nname = "x"\n', encoding="utf-8")
        raise PanelError(Reason(N_("draft {label}"), label="bad-panel"), panels.validate_panel(folder))

    def get(path: str, headers: dict | None = None) -> httpx.Response:
        async def fetch():
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get(path, headers=headers or {})

        return asyncio.run(fetch())

    return get


def test_the_500_page_is_in_the_browsers_language(get):
    danish = get("/boom", headers=DANISH)
    assert danish.status_code == 500
    assert '<html lang="da">' in danish.text
    assert "Fejl 500" in danish.text
    assert "Something went wrong" not in danish.text
    assert "a bug" not in danish.text  # the exception stays in the server's log
    english = get("/boom")
    assert english.status_code == 500
    assert '<html lang="en">' in english.text
    assert "Something went wrong on the server; it has been logged." in english.text
    api = get("/api/v1/boom-not-there%00")
    assert api.headers["content-type"].startswith("application/json")


def test_a_control_character_in_the_address_is_refused_in_the_browsers_language(get):
    refused = get("/lab/batches%00", headers=DANISH)
    assert refused.status_code == 400
    assert '<html lang="da">' in refused.text
    assert "control character" not in refused.text


def test_manifest_problems_read_in_danish_with_their_file_and_line(tmp_path: Path):
    (tmp_path / "manifest.csv").write_text(
        "sample_id,vcf,sex,colour\nB01,missing.vcf.gz,boy,blue\nB01,missing.vcf.gz,female,red\n",
        encoding="utf-8",
    )
    manifest, problems = read_manifest(tmp_path / "manifest.csv")
    problems += validate(manifest, None, tmp_path.resolve())[1]
    english = [str(p) for p in problems]
    gettext = i18n.translations("da").gettext
    danish = [problem_text(p, "da", gettext) for p in problems]
    assert problem_text(problems[0]) == english[0]  # English: the problem as it always read
    assert any(e.startswith("manifest.csv:1: unknown column 'colour'") for e in english)
    assert any(d.startswith("manifest.csv:1: ukendt kolonne 'colour'") for d in danish), danish
    assert any("duplicate sample_id (first on line 2)" in e for e in english)
    assert any("sample_id angivet to gange (første gang på linje 2)" in d for d in danish), danish
    assert any("køn 'boy' er ikke en af" in d for d in danish), danish
    assert any("ikke fundet i dataroden" in d for d in danish), danish
    for text in ("unknown column", "duplicate sample_id", "is not one of", "not found in the data root"):
        assert not any(text in d for d in danish), (text, danish)


def _message(page: str) -> str:
    return page.split('role="alert">')[1].split("</p>")[0]


def test_errors_raised_on_purpose_read_in_danish_on_the_pages_and_in_english_in_the_api(get):
    missing = get("/missing-batch", headers=DANISH)
    assert missing.status_code == 404
    assert _message(missing.text) == "batch B-7 findes ikke"
    assert _message(get("/missing-batch").text) == "batch B-7 does not exist"
    api = get("/api/v1/missing-batch", headers=DANISH)
    assert api.json() == {"detail": "batch B-7 does not exist", "problems": []}
    full = get("/full-disk", headers=DANISH)
    assert full.status_code == 400
    assert _message(full.text).startswith("databaseserverens disk er fuld: intet fra dette trin blev gemt")
    assert "disk is full" in _message(get("/full-disk").text)
    tampered = get("/tampered", headers=DANISH)
    assert tampered.status_code == 409
    assert _message(tampered.text) == "letter 3 sha256 mismatch (teknisk tekst, kun på engelsk)"
    assert _message(get("/tampered").text) == "letter 3 sha256 mismatch"


def test_a_panel_folders_problems_read_in_danish_on_the_error_page(get):
    danish = get("/bad-panel", headers=DANISH)
    assert danish.status_code == 422
    assert _message(danish.text).startswith("kladde bad-panel: ")
    problems = re.findall(r"<li>(.*?)</li>", danish.text)
    assert any(
        p.endswith("genes.tsv: filen mangler (en tom liste er en fil med kun overskriftslinjen)")
        for p in problems
    )
    assert any(
        "panel.toml:1: id &#39;Bad Panel&#39; må kun indeholde små bogstaver" in p for p in problems
    ), problems
    assert any("&#39;version&#39; mangler" in p for p in problems), problems
    assert "is missing" not in danish.text
    assert "teknisk tekst" not in danish.text
    english = get("/bad-panel")
    assert "genes.tsv: file is missing (an empty list is a file with only the header)" in english.text
    assert _message(english.text).startswith("draft bad-panel: ")


def test_starlettes_own_reasons_read_in_danish(get):
    missing = get("/no-such-page", headers=DANISH)
    assert missing.status_code == 404
    assert _message(missing.text) == "Ikke fundet"
    assert _message(get("/no-such-page").text) == "Not Found"
    assert get("/api/v1/no-such-thing", headers=DANISH).json()["detail"] == "Not Found"


def test_a_page_refused_to_a_role_says_so_in_danish(get):
    refused = get("/lab-only", headers=DANISH)
    assert refused.status_code == 403
    assert _message(refused.text) == "Denne side er ikke åben for rollen lead."
    assert "Ikke tilladt" in refused.text
    assert _message(get("/lab-only").text) == "This page is not open to the lead role."
