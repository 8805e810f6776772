"""Letters: every kind renders to HTML and PDF/A, deterministically, safely and never before review."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest

from screening import letters
from screening.cases import CaseView, LetterKind
from screening.domain import CandidateRole, Karyotype, Outcome, SampleResult
from screening.letters import LetterError, html_to_pdf, render_batch, render_html, render_letter
from tests.unit.case_builders import (
    CARRIER_VARIANT,
    GALT,
    ISSUED_ON,
    case,
    identity,
    not_possible_case,
    positive_case,
    provenance,
)

PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
needs_pdfinfo = pytest.mark.skipif(PDFINFO is None, reason="pdfinfo (poppler-utils) is not installed")
ISSUER = "coordinator.a"
KINDS_AND_CASES = [
    (LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case),
    (LetterKind.NO_CONDITION_SUSPECTED_GP, case),
    (LetterKind.REFERRAL_PACK, positive_case),
    (LetterKind.TESTING_NOT_POSSIBLE, not_possible_case),
]


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run([PDFTOTEXT, "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


@needs_pdftotext
@pytest.mark.parametrize(("kind", "build"), KINDS_AND_CASES)
def test_each_kind_renders_a_pdf_naming_the_baby(kind, build):
    letter = render_letter(kind, build(), ISSUER, ISSUED_ON)
    text = pdf_text(letter.pdf)
    assert letter.pdf.startswith(b"%PDF-")
    assert "B07" in text
    assert "Olivia Testbaby" in text
    assert "943 476 5919" in text
    assert letter.kind is kind
    assert letter.template_version == letters.TEMPLATE_VERSION


@needs_pdftotext
def test_referral_pack_shows_confirmed_finding_with_evidence_and_provenance():
    text = pdf_text(render_letter(LetterKind.REFERRAL_PACK, positive_case(), ISSUER, ISSUED_ON).pdf)
    for expected in (
        "GALT",
        "HGNC:4135",
        "Galactosaemia",
        "autosomal recessive",
        "possible compound heterozygous phase unknown",
        "Pathogenic",
        "trans configuration to be confirmed",
        "9:34648168",
        "A>G",
        "0.51",
        "clinvar",
        "P/LP 12",
        "gs-newborn version 2.10",
        "a" * 64,
        "2026-01-05",
        "newborn-screening 0.1.0",
        "dr.reviewer",
        "97.2 %",
        "XX",
    ):
        assert expected in text, expected
    assert "OTC" not in text  # reviewed and not confirmed: counted, not shown
    assert "1 further screen finding(s) were reviewed and not confirmed" in text


def test_parents_letter_uses_very_unlikely_wording_not_a_clean_bill_of_health():
    html = render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(), ISSUER, ISSUED_ON)
    assert "did not find any of the conditions we screen for" in html
    assert "very unlikely" in html
    assert "does not rule out every condition" in html.replace("it does not rule", "does not rule")
    assert "speak to your GP or health visitor" in html
    assert "Dr A. Practitioner" in html  # GP copy mentioned


def test_gp_copy_is_clinical_with_panel_version():
    html = render_html(LetterKind.NO_CONDITION_SUSPECTED_GP, case(), ISSUER, ISSUED_ON)
    assert "gs-newborn" in html
    assert "version 2.10" in html
    assert "Carrier status for recessive conditions is not reported" in html
    assert "1 River Street" in html


def test_testing_not_possible_says_why_in_plain_words_and_what_next():
    html = render_html(LetterKind.TESTING_NOT_POSSIBLE, not_possible_case(), ISSUER, ISSUED_ON)
    assert "check that the sample we tested came from your baby" in html
    assert "new sample" in html
    assert "will contact you" in html
    assert "XY" not in html  # technical reason not shown to parents
    assert "sample swap" not in html


@pytest.mark.parametrize(("kind", "build"), KINDS_AND_CASES)
def test_same_inputs_same_sha256_and_same_pdf(kind, build):
    first = render_letter(kind, build(), ISSUER, ISSUED_ON)
    second = render_letter(kind, build(), ISSUER, ISSUED_ON)
    assert first.sha256 == second.sha256
    assert first.html == second.html
    assert first.pdf_sha256 == second.pdf_sha256
    assert first.pdf == second.pdf
    assert len(first.sha256) == 64


def test_a_different_issue_date_changes_the_sha256():
    a = render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(), ISSUER, ISSUED_ON)
    b = render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(), ISSUER, ISSUED_ON.replace(day=4))
    assert a != b


def test_a_missing_value_raises_and_the_message_holds_no_identity():
    no_gp = case(identity=identity(gp_practice=""))
    with pytest.raises(LetterError) as caught:
        render_html(LetterKind.NO_CONDITION_SUSPECTED_GP, no_gp, ISSUER, ISSUED_ON)
    message = str(caught.value)
    assert "missing value" in message
    assert "practice" in message
    for secret in ("Olivia", "Testbaby", "9434765919", "Example Road", "2026-02-14"):
        assert secret not in message


def test_strict_undefined_is_on():
    template = letters._environment("en").from_string("{{ nothing.here }}")
    with pytest.raises(Exception, match="undefined"):
        template.render({})


def test_a_name_with_script_is_escaped():
    evil = case(identity=identity(given_name="<script>alert(1)</script>"))
    html = render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, evil, ISSUER, ISSUED_ON)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_carriers_never_appear():
    with_carrier = replace(GALT, variants=(*GALT.variants, replace(CARRIER_VARIANT, hgnc_id=GALT.hgnc_id)))
    flagged = positive_case(findings=(with_carrier, *positive_case().findings[1:]))
    html = render_html(LetterKind.REFERRAL_PACK, flagged, ISSUER, ISSUED_ON)
    assert str(CARRIER_VARIANT.pos) not in html
    assert "CARRIERGENE" not in html


def test_case_from_result_drops_carriers():
    result = SampleResult(
        sample_id="B07",
        outcome=Outcome.NO_CONDITION_SUSPECTED,
        karyotype=Karyotype.XX,
        reasons=("no gene's inheritance rule met",),
        not_evaluated=(),
        findings=(),
        candidates=(CARRIER_VARIANT,),
        provenance=provenance(),
    )
    view = CaseView.from_result(result, "batch-1")
    assert CARRIER_VARIANT.role is CandidateRole.CARRIER
    assert "CARRIERGENE" not in repr(view)
    assert view.reported_outcome is Outcome.NO_CONDITION_SUSPECTED


def test_no_letter_for_a_flagged_baby_before_review():
    flagged = positive_case(case_decision=None)
    assert flagged.reported_outcome is None
    for kind in LetterKind:
        with pytest.raises(LetterError, match="not yet reviewed"):
            render_html(kind, flagged, ISSUER, ISSUED_ON)


def test_letter_kind_must_match_the_reported_outcome():
    with pytest.raises(LetterError, match="reported outcome is condition_suspected"):
        render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, positive_case(), ISSUER, ISSUED_ON)
    with pytest.raises(LetterError, match="reported outcome is no_condition_suspected"):
        render_html(LetterKind.REFERRAL_PACK, case(), ISSUER, ISSUED_ON)


def test_reviewer_can_clear_a_flagged_baby_and_then_only_the_negative_letter_goes():
    from screening.cases import CaseDecision, FindingCall
    from tests.unit.case_builders import WHEN, decision

    cleared = positive_case(
        decisions=(
            decision("HGNC:4135", FindingCall.NOT_CONFIRMED, reason="artefact in IGV"),
            decision("HGNC:8512", FindingCall.NOT_CONFIRMED, reason="artefact"),
        ),
        case_decision=CaseDecision(Outcome.NO_CONDITION_SUSPECTED, "no finding confirmed", "dr.r", WHEN),
    )
    html = render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, cleared, ISSUER, ISSUED_ON)
    assert "GALT" not in html
    with pytest.raises(LetterError):
        render_html(LetterKind.REFERRAL_PACK, cleared, ISSUER, ISSUED_ON)


def test_inconsistent_review_is_refused_with_every_problem():
    bad = positive_case(decisions=())  # findings without decisions, nothing confirmed
    with pytest.raises(LetterError) as caught:
        render_html(LetterKind.REFERRAL_PACK, bad, ISSUER, ISSUED_ON)
    text = str(caught.value)
    assert "no reviewer decision on finding(s) GALT, OTC" in text
    assert "no finding is confirmed" in text


def test_no_identity_no_letter():
    with pytest.raises(LetterError, match="no identity"):
        render_html(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(identity=None), ISSUER, ISSUED_ON)
    with pytest.raises(LetterError, match="another sample"):
        render_html(
            LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(identity=identity("C01")), ISSUER, ISSUED_ON
        )


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="http://example.org/pixel.png">',
        '<img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="https://example.org/x.css">',
    ],
)
def test_pdf_rendering_fetches_no_url(tag):
    with pytest.raises(LetterError, match="letters fetch no URLs"):
        html_to_pdf(f"<html><body><p>x</p>{tag}</body></html>")


@needs_pdfinfo
def test_pdf_claims_pdf_a_3u_and_carries_the_issue_date():
    pdf = render_letter(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(), ISSUER, ISSUED_ON).pdf
    meta = subprocess.run([PDFINFO, "-meta", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert 'pdfaid:part="3"' in meta
    assert 'pdfaid:conformance="U"' in meta
    assert "<xmp:CreateDate>2026-03-03</xmp:CreateDate>" in meta


def test_batch_renders_in_order_with_progress():
    cases = [case(sample_id=f"S{i}", identity=identity(f"S{i}")) for i in range(3)]
    seen = []
    rendered = render_batch(
        cases,
        LetterKind.NO_CONDITION_SUSPECTED_PARENTS,
        ISSUER,
        ISSUED_ON,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert [r.sample_id for r in rendered] == ["S0", "S1", "S2"]
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_batch_checks_every_case_before_rendering_any():
    good = case(sample_id="S0", identity=identity("S0"))
    flagged = positive_case(sample_id="S1", identity=identity("S1"), case_decision=None)
    nameless = case(sample_id="S2", identity=None)
    seen = []
    with pytest.raises(LetterError) as caught:
        render_batch(
            [good, flagged, nameless],
            LetterKind.NO_CONDITION_SUSPECTED_PARENTS,
            ISSUER,
            ISSUED_ON,
            progress=lambda d, t: seen.append(d),
        )
    assert len(caught.value.problems) == 2
    assert seen == []


def test_cases_for_letter_picks_the_reportable_negatives_only():
    batch = [case(), positive_case(case_decision=None), not_possible_case()]
    picked = letters.cases_for_letter(batch, LetterKind.NO_CONDITION_SUSPECTED_PARENTS)
    assert picked == (batch[0],)


def test_identity_and_letters_do_not_leak_through_repr():
    letter = render_letter(LetterKind.NO_CONDITION_SUSPECTED_PARENTS, case(), ISSUER, ISSUED_ON)
    for text in (repr(identity()), str(identity()), repr(case()), repr(letter)):
        for secret in ("Olivia", "Testbaby", "9434765919", "Example Road", "2026, 2, 14", "LS1"):
            assert secret not in text


def test_template_version_follows_the_template_files(tmp_path):
    copy = tmp_path / "letters"
    shutil.copytree(letters.TEMPLATE_DIR, copy)
    assert letters.template_version(copy) == letters.TEMPLATE_VERSION
    (copy / "base.html").write_text((copy / "base.html").read_text() + "<!-- edited -->\n")
    assert letters.template_version(copy) != letters.TEMPLATE_VERSION


def test_referral_pack_lists_hgvs_consequence_and_transcript_and_says_when_not_annotated():
    from tests.unit.case_builders import OTC, variant

    annotated = variant(34_648_168, hgvsc="ENST00000378842.8:c.563A>G", hgvsp="ENSP00000368120.3:p.Gln188Arg")
    bare = variant(34_649_442, ref="C", alt="T", clinvar_id="25120", consequence=None, transcript=None)
    galt = replace(GALT, variants=(annotated, bare))
    html = render_html(LetterKind.REFERRAL_PACK, positive_case(findings=(galt, OTC)), ISSUER, ISSUED_ON)
    rows = html.split("9:34648168")[1].split("</tr>")[0], html.split("9:34649442")[1].split("</tr>")[0]
    assert "missense_variant (ENST00000378842)" in rows[0]
    assert "c.: ENST00000378842.8:c.563A&gt;G" in rows[0]
    assert "p.: ENSP00000368120.3:p.Gln188Arg" in rows[0]
    assert "<td>not annotated</td>" in rows[1]
    assert "c.: not annotated" in rows[1]
    assert "p.: not annotated" in rows[1]
