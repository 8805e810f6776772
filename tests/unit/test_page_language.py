"""The web pages' language: Danish in a Danish-only deployment, else the browser's Accept-Language."""

from __future__ import annotations

from screening import programmes
from screening.web.common import page_language


def _hosted(*languages: str) -> programmes.Programmes:
    doc = {
        "programmes": {
            f"p{n}": {
                "name": f"Programme {n}",
                "identity_scheme": "cpr" if language == "da" else "nhs",
                "language": language,
                "doctor": "family_doctor" if language == "da" else "gp",
                "panels": ["newborn-*"],
                "sender": {"organisation": "Org", "team": "Team", "contact": ["Telephone 1"]},
            }
            for n, language in enumerate(languages)
        }
    }
    if len(languages) > 1:
        doc["default"] = "p0"
    return programmes.parse(doc, "programmes.toml")


def test_danish_only_deployment_shows_danish_whatever_the_browser_prefers():
    for header in ("", "en-GB,en;q=0.9", "de"):
        assert page_language(header, _hosted("da")) == "da"
        assert page_language(header, _hosted("da", "da")) == "da"


def test_mixed_or_english_deployment_follows_the_browser_english_by_default():
    for hosted in (_hosted("en", "da"), _hosted("en"), programmes.builtin(), None):
        assert page_language("", hosted) == "en"
        assert page_language("de-DE,fr;q=0.8", hosted) == "en"
        assert page_language("da-DK,da;q=0.9,en;q=0.8", hosted) == "da"
        assert page_language("en;q=0.5,da;q=0.9", hosted) == "da"
        assert page_language("da;q=0.1,en", hosted) == "en"
        assert page_language("da;q=bad,en", hosted) == "en"
