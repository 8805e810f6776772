"""Programmes as configuration: the built-in England and Denmark, a deployment's own file, every
problem of a file reported at once, and where the file is read from."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from screening import programmes
from screening.config import load_settings
from screening.errors import NotFoundError, ValidationError

DEPLOYMENT = """
[programmes.wales]
name = "Newborn Genome Screening Wales"
identity_scheme = "nhs"
language = "en"
doctor = "gp"
panels = ["newborn-actionable", "wales-*"]

[programmes.wales.sender]
organisation = "Public Health Wales"
team = "Newborn Screening Wales"
contact = ["Telephone 029 0000 0000", "newborn.screening@example.wales"]
"""


def test_built_in_england_and_denmark():
    hosted = programmes.builtin()
    assert hosted.keys == ("denmark", "england")
    assert hosted.default == "england"
    england, denmark = hosted.get("england"), hosted.get("denmark")
    assert (england.identity_scheme, england.language, england.doctor) == ("nhs", "en", "gp")
    assert (denmark.identity_scheme, denmark.language, denmark.doctor) == ("cpr", "da", "family_doctor")
    assert denmark.sender.team == "Screeningteamet for nyfødte"
    assert hosted.choose(None) is england
    assert hosted.choose("denmark") is denmark


def test_unknown_programme_is_named_with_the_known_ones():
    with pytest.raises(
        NotFoundError, match=r"programme narnia is not configured here \(known: denmark, england\)"
    ):
        programmes.builtin().get("narnia")


def test_a_deployment_file_with_one_programme_makes_it_the_default(tmp_path):
    path = tmp_path / "programmes.toml"
    path.write_text(DEPLOYMENT)
    hosted = programmes.load(path)
    wales = hosted.choose(None)
    assert wales.key == "wales"
    assert wales.sender.contact == ("Telephone 029 0000 0000", "newborn.screening@example.wales")
    assert wales.screens_with("newborn-actionable")
    assert wales.screens_with("wales-2026")
    assert not wales.screens_with("newborn-actionable-extra")
    with pytest.raises(NotFoundError):
        hosted.get("england")  # a deployment's file replaces the built-in programmes whole


def test_several_programmes_without_a_default_need_one_named():
    doc = tomllib.loads((programmes.BUILTIN).read_text())
    del doc["default"]
    hosted = programmes.parse(doc, "programmes.toml")
    with pytest.raises(ValidationError, match="name one"):
        hosted.choose(None)
    assert hosted.choose("england").key == "england"


def test_every_problem_of_a_file_is_reported_at_once():
    doc = {
        "default": "scotland",
        "colour": "blue",
        "programmes": {
            "Bad Key": {},
            "x": {
                "name": "",
                "identity_scheme": "ssn",
                "language": "fr",
                "doctor": "nurse",
                "panels": [],
                "sender": {"organisation": "o", "team": "", "contact": "not a list", "fax": "1"},
                "motto": "",
            },
        },
    }
    with pytest.raises(ValidationError) as caught:
        programmes.parse(doc, "p.toml")
    text = str(caught.value)
    for expected in (
        "unknown key(s): colour",
        "p.toml [programmes.Bad Key]: the key must be lower-case",
        "name must be non-empty text",
        "identity_scheme must be one of nhs, cpr",
        "language must be one of en, da",
        "doctor must be one of gp, family_doctor",
        "panels must be a non-empty list",
        "p.toml [programmes.x.sender]: unknown key(s): fax",
        "contact must be a list of non-empty lines",
        "team must be non-empty text",
        "[programmes.x]: unknown key(s): motto",
        "default 'scotland' is not one of the programmes",
    ):
        assert expected in text, (expected, text)


def test_a_file_that_is_not_toml_is_one_plain_problem(tmp_path):
    path = tmp_path / "programmes.toml"
    path.write_text("[programmes.england\n")
    with pytest.raises(ValidationError, match="not valid TOML"):
        programmes.load(path)
    with pytest.raises(ValidationError, match="programmes file not found"):
        programmes.load(tmp_path / "absent.toml")


def test_where_the_programmes_come_from(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings({"SCREENING_HOME": str(home)})
    assert programmes.source_path(settings.programmes_file, settings.home) == programmes.BUILTIN
    (home / "programmes.toml").write_text(DEPLOYMENT)
    assert programmes.for_settings(settings).keys == ("wales",)
    other = tmp_path / "elsewhere.toml"
    other.write_text(DEPLOYMENT.replace("wales", "cymru"))
    settings = load_settings({"SCREENING_HOME": str(home), "SCREENING_PROGRAMMES": str(other)})
    assert settings.programmes_file == other.resolve()
    assert settings.as_environment()["SCREENING_PROGRAMMES"] == str(other.resolve())
    assert programmes.for_settings(settings).keys == ("cymru",)


def test_the_built_in_file_is_shipped_with_the_package():
    assert Path(programmes.__file__).with_name("programmes.toml") == programmes.BUILTIN
    assert programmes.BUILTIN.is_file()


def test_each_programme_has_its_own_positive_rate_band_and_the_setting_is_the_fallback():
    hosted = programmes.builtin()
    deployment = (2.0, 5.0)
    assert hosted.get("england").positive_rate_band == (0.5, 1.5)
    assert hosted.get("denmark").positive_rate_band == (1.0, 3.7)
    assert hosted.band("england", deployment) == (0.5, 1.5)
    assert hosted.band("denmark", deployment) == (1.0, 3.7)
    assert hosted.band(None, deployment) == deployment  # every programme together
    assert hosted.band("narnia", deployment) == deployment  # not configured here: no figures of its own
    wales = programmes.parse(tomllib.loads(DEPLOYMENT), "p.toml")
    assert wales.get("wales").positive_rate_band is None
    assert wales.band("wales", deployment) == deployment


@pytest.mark.parametrize("band", [[3.7, 1.0], [1.0], "1-3.7", [-1, 2], [1, 101], [True, 2], [1.0, "3.7"]])
def test_a_bad_positive_rate_band_is_named(band):
    doc = tomllib.loads(DEPLOYMENT)
    doc["programmes"]["wales"]["positive_rate_band"] = band
    with pytest.raises(
        ValidationError, match=r"p.toml \[programmes.wales\]: positive_rate_band must be \[LOW, HIGH\]"
    ):
        programmes.parse(doc, "p.toml")
