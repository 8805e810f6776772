"""What the web shows when something is wrong, in the page's language: the plain 500 page (and the
400 of an address with a control character), and a manifest's validation problems built from
templates (the file and line stay as they are; the message is translated)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from screening import i18n
from screening.config import load_settings
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
