"""Letters in English and Danish from one set of templates: every letter rendered in both languages and
read back with pdftotext, byte-identical re-rendering, the PDF's /Lang, dates and numbers per locale,
and a catalogue check that fails when any message of the templates or the code lacks a Danish
translation (or the compiled catalogue is stale)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from screening import i18n, letters, programmes
from screening.cases import LetterKind
from screening.errors import LetterError
from tests.unit.case_builders import ISSUED_ON, case, identity, not_possible_case, positive_case

ROOT = Path(__file__).resolve().parents[2]
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
ISSUER = "coordinator.a"
BUILDERS = {
    LetterKind.NO_CONDITION_SUSPECTED_PARENTS: case,
    LetterKind.NO_CONDITION_SUSPECTED_GP: case,
    LetterKind.REFERRAL_PACK: positive_case,
    LetterKind.TESTING_NOT_POSSIBLE: not_possible_case,
}
DANISH_BABY = identity(
    given_name="Ida",
    family_name="Sørensen",
    national_id="140226-4234",
    id_scheme="cpr",
    address_lines=("Nørregade 1, 2. th.", "København K"),
    postcode="1165",
    gp_name="Læge Hanne Holm",
    gp_practice="Lægehuset Nørreport",
    gp_address_lines=("Frederiksborggade 10", "1360 København K"),
)
# phrases each letter must show, per language: the result, its meaning, and who the copy goes to
PHRASES = {
    ("en", LetterKind.NO_CONDITION_SUSPECTED_PARENTS): (
        "Result: no condition suspected.",
        "it is very unlikely that your baby has one of these conditions",
        "it does not rule out every condition",
        "We have sent a copy of this result to your GP, Dr A. Practitioner",
        "speak to your GP or health visitor",
        "Date 3 March 2026",
        "NHS number 943 476 5919",
    ),
    ("da", LetterKind.NO_CONDITION_SUSPECTED_PARENTS): (
        "Resultat: ingen mistanke om sygdom.",
        "det er meget usandsynligt, at jeres barn har en af disse sygdomme",
        "Den udelukker ikke alle sygdomme",
        "ingen screeningstest er fejlfri",
        "Vi har sendt en kopi af dette resultat til jeres egen læge, Læge Hanne Holm",
        "tal med jeres egen læge eller sundhedsplejersken",
        "Kære forældre",
        "Dato 3. marts 2026",
        "født 14. februar 2026",
        "CPR-nummer 140226-4234",
        "Screeningteamet for nyfødte",
    ),
    ("en", LetterKind.NO_CONDITION_SUSPECTED_GP): (
        "Newborn genome screening result – no condition suspected",
        "Copy for the GP.",
        "very unlikely that their baby has one of the screened conditions",
        "lowers, but does not remove, the chance",
    ),
    ("da", LetterKind.NO_CONDITION_SUSPECTED_GP): (
        "Resultat af genomscreening af nyfødte – ingen mistanke om sygdom",
        "Kopi til egen læge.",
        "meget usandsynligt, at deres barn har en af de sygdomme",
        "mindsker, men fjerner ikke, risikoen",
        "Frederiksborggade 10",
    ),
    ("en", LetterKind.REFERRAL_PACK): (
        "Referral pack – condition suspected",
        "Screen positive after review: 1 confirmed finding(s).",
        "autosomal recessive (biallelic)",
        "Allele balance",
    ),
    ("da", LetterKind.REFERRAL_PACK): (
        "Henvisningspakke – mistanke om sygdom",
        "Antal bekræftede fund: 1.",
        "autosomal recessiv (biallel)",
        "Allelbalance",
        "Egen læge Læge Hanne Holm",
        "Bærerstatus for recessive sygdomme rapporteres aldrig.",
    ),
    ("en", LetterKind.TESTING_NOT_POSSIBLE): (
        "Result: testing was not possible.",
        "This is not a screening result.",
        "speak to your GP or health visitor",
    ),
    ("da", LetterKind.TESTING_NOT_POSSIBLE): (
        "Resultat: testen kunne ikke gennemføres.",
        "Dette er ikke et screeningsresultat.",
        "Det betyder ikke, at der er noget galt med jeres barn.",
        "tal med jeres egen læge eller sundhedsplejersken",
    ),
}
ENGLISH_ONLY = ("very unlikely", "Result:", "Yours sincerely", "your GP", "Dear parent")


def _case(kind: LetterKind, language: str):
    built = BUILDERS[kind]()
    if language == "da":
        return replace(built, programme="denmark", identity=DANISH_BABY)
    return built


def render(kind: LetterKind, language: str):
    return letters.render_letter(kind, _case(kind, language), ISSUER, ISSUED_ON)


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run([PDFTOTEXT, "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def pdf_langs(pdf: bytes) -> set[bytes]:
    """Every /Lang entry of the PDF, in plain and in compressed objects."""
    found = set(re.findall(rb"/Lang\s*\(([^)]*)\)", pdf))
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            found |= set(re.findall(rb"/Lang\s*\(([^)]*)\)", zlib.decompress(pdf[m.end() : end])))
        except zlib.error:
            continue
    return found


@needs_pdftotext
@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_letter_in_both_languages_reads_as_it_should(kind, language):
    letter = render(kind, language)
    text = pdf_text(letter.pdf)
    for phrase in PHRASES[(language, kind)]:
        assert phrase in text, (phrase, text)
    if language == "da":
        leaked = [w for w in ENGLISH_ONLY if w in text]
        assert not leaked, (leaked, text)
    assert f'<html lang="{language}">' in letter.html
    assert pdf_langs(letter.pdf) == {language.encode()}


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("kind", list(LetterKind))
def test_re_rendering_gives_identical_bytes_in_both_languages(kind, language):
    first, second = render(kind, language), render(kind, language)
    assert first.pdf == second.pdf
    assert first.html == second.html
    assert first.pdf_sha256 == second.pdf_sha256


def test_the_two_languages_differ_only_through_the_catalogue():
    english = render(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "en")
    danish = render(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "da")
    assert english.template_version == danish.template_version == letters.TEMPLATE_VERSION
    assert english.pdf_sha256 != danish.pdf_sha256


@needs_pdftotext
def test_numbers_are_written_the_danish_way():
    qc_case = replace(_case(LetterKind.REFERRAL_PACK, "da"), qc=replace(positive_case().qc, q30_gb=98.5))
    text = pdf_text(letters.render_letter(LetterKind.REFERRAL_PACK, qc_case, ISSUER, ISSUED_ON).pdf)
    assert "98,5 Gb" in text
    assert "Side 1 af" in text


def test_a_letter_speaks_for_its_own_programme_only():
    danish_case = _case(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "da")
    england = programmes.builtin().get("england")
    with pytest.raises(LetterError, match="belongs to programme denmark, not england"):
        letters.render_html(
            LetterKind.NO_CONDITION_SUSPECTED_PARENTS, danish_case, ISSUER, ISSUED_ON, programme=england
        )
    gone = replace(danish_case, programme="narnia")
    with pytest.raises(LetterError, match="programme narnia is not configured"):
        letters.render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, gone, ISSUER, ISSUED_ON)


def test_a_deployments_sender_and_contact_lines_are_on_the_letter():
    own = replace(
        programmes.builtin().get("denmark"),
        sender=programmes.Sender("Region Hovedstaden", "Nyfødtscreeningen", ("Telefon 35 45 00 00",)),
    )
    html = letters.render_html(
        LetterKind.NO_CONDITION_SUSPECTED_PARENTS,
        _case(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "da"),
        ISSUER,
        ISSUED_ON,
        programme=own,
    )
    assert "Region Hovedstaden" in html
    assert "kontakte Nyfødtscreeningen (Telefon 35 45 00 00)" in html


def _engine_notes():
    """What the screen writes as "not evaluated" for a baby screened without a cohort, a FASTA or an
    SMN1 copy number (the engine's own texts, as a real run stores them)."""
    from screening.domain import N_, Reason

    return (
        Reason(N_("ClinVar internal allele frequency (< cap) not evaluated: no screened cohort given")),
        Reason(N_("SMN1 targeted caller not evaluated: no SMN1 copy number supplied")),
        Reason(N_("QC gate {name} not evaluated: no value supplied"), name="q30_gb"),
        Reason(
            N_("no records in the last fifth of chromosome {chrom} (from {start:,}): the file stops early"),
            chrom="7",
            start=127_473_531,
        ),
    )


@needs_pdftotext
@pytest.mark.parametrize("kind", [LetterKind.NO_CONDITION_SUSPECTED_GP, LetterKind.REFERRAL_PACK])
def test_the_engines_not_evaluated_items_are_in_the_letters_language(kind):
    notes = _engine_notes()
    english = pdf_text(letters.render_letter(kind, replace(_case(kind, "en"), not_evaluated=notes), ISSUER,
                                             ISSUED_ON).pdf)  # fmt: skip
    danish = pdf_text(letters.render_letter(kind, replace(_case(kind, "da"), not_evaluated=notes), ISSUER,
                                            ISSUED_ON).pdf)  # fmt: skip
    for note in notes:
        assert str(note) in english
        assert str(note) not in danish
    for phrase in (
        "intern allelfrekvens for ClinVar-varianter (< loftet) ikke vurderet: ingen screenet kohorte angivet",
        "målrettet SMN1-analyse ikke vurderet: intet SMN1-kopiantal angivet",
        "QC-grænsen q30_gb ikke vurderet: ingen værdi angivet",
        "ingen poster i den sidste femtedel af kromosom 7 (fra 127.473.531): filen slutter for tidligt",
    ):
        assert phrase in danish
    leaked = [w for w in ("not evaluated", "supplied", "given", "the file stops early") if w in danish]
    assert not leaked, leaked


@needs_pdftotext
def test_a_danish_address_puts_the_postcode_before_the_town_and_an_english_one_last():
    danish = pdf_text(render(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "da").pdf)
    assert "Nørregade 1, 2. th. 1165 København K" in danish
    assert "København K 1165" not in danish
    gp = pdf_text(render(LetterKind.NO_CONDITION_SUSPECTED_GP, "da").pdf)
    assert "Nørregade 1, 2. th., 1165 København K." in gp
    english = render(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "en")
    baby = _case(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, "en").identity
    assert pdf_text(english.pdf).count(baby.postcode) == 1
    lines = [*baby.address_lines, baby.postcode]
    assert "<br>".join(lines) in english.html  # the lines as given, then the postcode on its own


@pytest.mark.parametrize(
    ("lines", "postcode", "style", "expected"),
    [
        (("Nørregade 1, 2. th.", "København K"), "1165", "dk", ("Nørregade 1, 2. th.", "1165 København K")),
        (("Nørregade 1", "1165 København K"), "1165", "dk", ("Nørregade 1", "1165 København K")),
        (("Nørregade 1",), "1165", "dk", ("Nørregade 1", "1165")),
        (("1 High Street", "Leeds"), "LS1 1AA", "uk", ("1 High Street", "Leeds", "LS1 1AA")),
    ],
)
def test_postal_lines(lines, postcode, style, expected):
    assert letters.postal_lines(lines, postcode, style) == expected


def test_a_cpr_programme_writes_danish_addresses():
    hosted = programmes.builtin()
    assert (hosted.get("denmark").address_style, hosted.get("england").address_style) == ("dk", "uk")


# ----------------------------------------------------------------------------- the catalogue


def _danish_catalogue():
    po, _ = i18n.catalogue_paths("da")
    with po.open("rb") as handle:
        return read_po(handle, locale="da")


def _extracted() -> dict[str, str]:
    """Every message of the templates and the Python code, as ``make messages`` extracts them."""
    method_map = [("screening/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map=options
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, filename)
    return found


def test_every_message_has_a_danish_translation():
    catalogue = _danish_catalogue()
    problems = []
    for msgid, filename in sorted(_extracted().items()):
        entry = catalogue.get(msgid)
        if entry is None or not entry.string:
            problems.append(f"{filename}: no Danish translation of {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{filename}: the Danish translation of {msgid!r} is fuzzy")
    assert not problems, "run make messages, then translate:\n" + "\n".join(problems)


def test_translations_keep_every_placeholder():
    placeholder = re.compile(r"%\((\w+)\)s")
    problems = [
        m.id
        for m in _danish_catalogue()
        if m.id and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))
    ]
    assert not problems


def test_the_compiled_catalogue_is_the_po_file():
    """The .mo loaded at run time says what the .po says (make compiles it; a stale one would not)."""
    runtime = i18n.translations("da")
    stale = [m.id for m in _danish_catalogue() if m.id and runtime.gettext(m.id) != m.string]
    assert not stale


def test_a_catalogue_that_is_not_compiled_is_an_error_not_english(tmp_path, monkeypatch):
    from screening.errors import ScreeningError

    (tmp_path / "da" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with pytest.raises(ScreeningError, match="catalogue is not compiled"):
            i18n.translations("da")
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("da", "da"),
        ("da-DK,da;q=0.9,en-GB;q=0.8", "da"),
        ("en-GB,en;q=0.9,da;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,da;q=0.5", "da"),
        ("fr-FR", "en"),
        ("en;q=0.2,da;q=0.7", "da"),
        ("da;q=nonsense,en", "en"),
    ],
)
def test_the_page_language_follows_the_browser(header, expected):
    """In a deployment of England and Denmark (the built-in programmes) the browser decides; a
    Danish-only deployment: tests/unit/test_page_language.py."""
    from screening import programmes
    from screening.web import common

    assert common.page_language(header, programmes.builtin()) == expected
