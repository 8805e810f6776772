"""Review that cannot be clicked through, as pure rules: four eyes for a positive, the sample-swap
hold, and decisions carried forward over a re-screen only for an unchanged finding."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from screening.cases import (
    CaseConfirmation,
    CaseDecision,
    FindingCall,
    IdentityCheck,
    IdentityResolution,
    LetterKind,
    finding_signature,
)
from screening.db.review import SampleFindingDecision, decision_in_force, decisions_in_force
from screening.domain import Outcome
from screening.letters import letter_problems
from tests.unit.case_builders import GALT, OTC, WHEN, not_possible_case, positive_case, variant


def _messages(kind, case) -> str:
    return "; ".join(p.message for p in letter_problems(kind, case))


def test_a_positive_is_final_only_after_a_second_account_confirms_it():
    confirmed = positive_case()
    assert confirmed.reported_outcome is Outcome.CONDITION_SUSPECTED
    assert not letter_problems(LetterKind.REFERRAL_PACK, confirmed)
    first_only = replace(confirmed.case_decision, confirmations=())
    pending = replace(confirmed, case_decision=first_only)
    assert pending.awaiting_second_reviewer
    assert pending.reported_outcome is None
    assert "second reviewer" in _messages(LetterKind.REFERRAL_PACK, pending)
    same_account = replace(first_only, confirmations=(CaseConfirmation("self", first_only.decided_by, WHEN),))
    assert replace(confirmed, case_decision=same_account).awaiting_second_reviewer
    assert not replace(pending, four_eyes=False).awaiting_second_reviewer  # a deployment without four eyes
    assert replace(pending, four_eyes=False).reported_outcome is Outcome.CONDITION_SUSPECTED


def test_four_eyes_does_not_apply_to_other_outcomes():
    case = positive_case(
        decisions=(),
        findings=(),
        case_decision=CaseDecision(Outcome.NO_CONDITION_SUSPECTED, "artefact", "dr.reviewer", WHEN),
    )
    assert not case.awaiting_second_reviewer
    assert case.reported_outcome is Outcome.NO_CONDITION_SUSPECTED


def test_a_sample_swap_hold_gives_no_parents_letter_until_the_lab_resolves_it():
    resolved = not_possible_case()
    assert resolved.swap_hold
    assert not letter_problems(LetterKind.TESTING_NOT_POSSIBLE, resolved)
    unresolved = replace(resolved, identity_check=None)
    assert "identity check" in _messages(LetterKind.TESTING_NOT_POSSIBLE, unresolved)
    rescreen = IdentityCheck(IdentityResolution.CONFIRMED_IDENTITY, "male", "re-checked", "lab.one", WHEN)
    pending = replace(resolved, identity_check=rescreen)
    assert "re-screen" in _messages(LetterKind.TESTING_NOT_POSSIBLE, pending)


def _row(finding, run_id, at, signature="same", panel="p@1.0", call="confirmed", **kw):
    return SampleFindingDecision(
        id=kw.get("id", 1),
        run_id=run_id,
        hgnc_id=finding.hgnc_id,
        moi=str(finding.moi),
        decision=call,
        acmg_class="pathogenic",
        reason="r",
        decided_by="web:rev1",
        decided_at=at,
        signature=finding_signature(finding) if signature == "same" else signature,
        panel_label=panel,
    )


def test_an_unchanged_finding_carries_its_decision_forward_a_changed_one_needs_review():
    screened = WHEN + timedelta(days=30)  # the re-screen, run 2
    rows = [_row(GALT, 1, WHEN, panel="p@1.0"), _row(OTC, 1, WHEN, panel="p@1.0")]
    changed_otc = replace(OTC, variants=(variant(38_368_999, hgnc_id="HGNC:8512", symbol="OTC", chrom="X"),))
    assert finding_signature(changed_otc) != finding_signature(OTC)
    found = decisions_in_force(rows, (GALT, changed_otc), 2, screened)
    assert [(d.hgnc_id, d.carried_from) for d in found] == [("HGNC:4135", "p@1.0")]
    assert found[0].decision is FindingCall.CONFIRMED
    # a later decision on the new run wins and is not "carried"
    rows.append(_row(GALT, 2, screened + timedelta(hours=1), call="not_confirmed", panel="p@1.1"))
    (latest,) = decisions_in_force(rows, (GALT,), 2, screened)
    assert latest.decision is FindingCall.NOT_CONFIRMED
    assert latest.carried_from is None


def test_a_decision_without_a_basis_holds_on_its_run_until_the_results_are_rewritten():
    legacy = [_row(GALT, 1, WHEN, signature=None)]
    assert decisions_in_force(legacy, (GALT,), 1, WHEN - timedelta(minutes=5))
    assert not decisions_in_force(legacy, (GALT,), 1, WHEN + timedelta(minutes=5))
    assert not decisions_in_force(legacy, (GALT,), 2, WHEN - timedelta(minutes=5))


def test_a_rescreen_reopens_the_case_outcome():
    earlier = CaseDecision(Outcome.CONDITION_SUSPECTED, "x", "a", WHEN)
    later = CaseDecision(Outcome.NO_CONDITION_SUSPECTED, "y", "b", WHEN + timedelta(hours=2))
    assert decision_in_force([earlier, later], WHEN - timedelta(hours=1)) is later
    assert decision_in_force([earlier, later], WHEN + timedelta(hours=1)) is later
    assert decision_in_force([earlier, later], datetime(2030, 1, 1)) is None
