"""Reviewer pages: the review queue, the case page (findings with evidence, decisions, case outcome),
letters issued from the case, and batch rendering of "no condition suspected" letters.

Carriers are never shown: the case page shows a :class:`CaseView`, which holds findings only.
Identities are loaded only for the reviewer role, and every load is recorded (who, when, what for).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening import letters
from screening.cases import AcmgClass, CaseView, FindingCall, LetterKind, case_problems, finding_signature
from screening.db import connection, review
from screening.db.review import User
from screening.domain import N_, Outcome, Reason
from screening.web import letter_jobs
from screening.web.auth import can_see_identity, check_csrf, require
from screening.web.common import Conn, flash, gettext, language, render, state

router = APIRouter(prefix="/review", include_in_schema=False)
Reviewer = Annotated[User, Depends(require("reviewer", "admin"))]
LetterIssuer = Annotated[User, Depends(require("reviewer"))]


def _actor(user: User) -> str:
    return f"web:{user.username}"


def _four_eyes(request: Request) -> bool:
    return state(request).settings.four_eyes


def _case(request: Request, conn: Any, run_id: int, user: User, purpose: str) -> CaseView:
    who = (_actor(user), purpose) if can_see_identity(user) else None
    return review.load_case(conn, run_id, who, _four_eyes(request))


def _programme(request: Request, case: CaseView):
    """The programme of the case's batch, as this deployment configures it (language, sender, doctor)."""
    from screening import programmes

    return letters.programme_of(case, programmes.for_settings(state(request).settings))


def _letter_kind(kind: str) -> LetterKind:
    try:
        return LetterKind(kind)
    except ValueError:
        raise HTTPException(
            status_code=422, detail=Reason(N_("unknown letter kind {kind!r}"), kind=kind)
        ) from None


RECIPIENTS = {
    LetterKind.NO_CONDITION_SUSPECTED_PARENTS: N_("the parents"),
    LetterKind.TESTING_NOT_POSSIBLE: N_("the parents"),
    LetterKind.NO_CONDITION_SUSPECTED_GP: N_("the baby's GP"),
    LetterKind.REFERRAL_PACK: N_("the regional newborn screening result coordinator"),
}
DOCTOR_RECIPIENTS = {"gp": N_("the baby's GP"), "family_doctor": N_("the baby's family doctor (egen læge)")}


def _recipient(kind: LetterKind, case: CaseView, doctor: str = "gp", translate=str) -> dict[str, Any]:
    """Who a letter goes to, and the address it is sent to (reviewer pages only); ``doctor``: who the
    programme sends the doctor's copy to; ``translate``: the page language's gettext."""
    role = DOCTOR_RECIPIENTS[doctor] if kind is LetterKind.NO_CONDITION_SUSPECTED_GP else RECIPIENTS[kind]
    role = translate(role)
    i = case.identity
    if i is None:
        return {"role": role, "name": "", "address": []}
    if kind is LetterKind.NO_CONDITION_SUSPECTED_GP:
        return {
            "role": role,
            "name": f"{i.gp_name}, {i.gp_practice}",
            "address": list(i.gp_address_lines),
        }
    if kind is LetterKind.REFERRAL_PACK:
        return {"role": role, "name": translate(N_("confidential screen-positive referral")), "address": []}
    return {
        "role": RECIPIENTS[kind],
        "name": translate(N_("the parent or guardian of %(name)s")) % {"name": i.full_name},
        "address": [*i.address_lines, i.postcode],
    }


def _letter_options(case: CaseView) -> list[dict[str, Any]]:
    """Each letter kind for the reported outcome, with the problems that stop it being issued."""
    reported = case.reported_outcome
    kinds = [k for k in LetterKind if reported is not None and k.outcome is reported]
    return [{"kind": k, "problems": letters.letter_problems(k, case)} for k in kinds]


@router.get("")
def queue(request: Request, user: Reviewer, conn: Conn):
    return render(
        request,
        "review/queue.html",
        queue=review.review_queue(conn),
        awaiting=review.awaiting_confirmation(conn) if _four_eyes(request) else [],
        reviewed=review.reviewed_cases(conn),
        batches=_batches_with_letters(request),
    )


def _batches_with_letters(request: Request) -> list[Any]:
    from screening import batches

    return [b for b in batches.list_batches(state(request).settings, limit=20) if b.counts.get("screened")]


@router.get("/cases/{run_id}")
def case_page(request: Request, user: Reviewer, conn: Conn, run_id: int):
    case = _case(request, conn, run_id, user, f"case page run {run_id}")
    header = review.case_header(conn, run_id)
    return render(
        request,
        "review/case.html",
        case=case,
        header=header,
        history=review.sample_finding_decisions(conn, header.sample_pk),
        outcomes=review.case_decisions(conn, run_id),
        identity_checks=review.identity_checks(conn, header.sample_pk),
        four_eyes=_four_eyes(request),
        issued=review.list_letters(conn, header.sample_pk),
        letter_options=_letter_options(case) if case.identity else [],
        show_identity=can_see_identity(user),
        decisions=[c.value for c in FindingCall],
        acmg_classes=list(AcmgClass),
        outcome_choices=[o.value for o in Outcome],
        fhir_available=_fhir_available(),
    )


@router.post("/cases/{run_id}/findings", dependencies=[Depends(check_csrf)])
def decide_finding(
    request: Request,
    user: Reviewer,
    conn: Conn,
    run_id: int,
    hgnc_id: Annotated[str, Form()],
    moi: Annotated[str, Form()],
    decision: Annotated[str, Form()],
    acmg_class: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
):
    case = review.load_case(conn, run_id, None)
    finding = next((f for f in case.findings if f.hgnc_id == hgnc_id and f.moi.value == moi), None)
    if finding is None:
        raise HTTPException(
            status_code=404, detail=Reason(N_("{hgnc_id} is not a finding of this case"), hgnc_id=hgnc_id)
        )
    label = review.case_header(conn, run_id).panel_label
    values = {
        "hgnc_id": hgnc_id,
        "moi": moi,
        "decision": decision,
        "acmg_class": acmg_class,
        "reason": reason,
    }
    with connection.transaction(conn, _actor(user)):
        review.record_finding_decision(
            conn, run_id, values, _actor(user), (finding_signature(finding), label)
        )
    _ = gettext(request)
    flash(
        request,
        _("%(gene)s: %(decision)s recorded.", gene=finding.symbol, decision=_(decision.replace("_", " "))),
    )
    return RedirectResponse(f"/review/cases/{run_id}#finding-{finding.symbol}", status_code=303)


@router.post("/cases/{run_id}/outcome", dependencies=[Depends(check_csrf)])
def decide_case(
    request: Request,
    user: Reviewer,
    conn: Conn,
    run_id: int,
    outcome: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
):
    review.case_header(conn, run_id)  # 404 for an unknown run
    with connection.transaction(conn, _actor(user)):
        review.record_case_decision(conn, run_id, outcome, reason, _actor(user))
    case = review.load_case(conn, run_id, None, _four_eyes(request))
    found = case_problems(case)
    _ = gettext(request)
    note = " " + _("Check: %(problems)s", problems="; ".join(p.message for p in found)) if found else ""
    second = (
        " " + _("It is final once a second reviewer (another account) confirms it.")
        if case.awaiting_second_reviewer
        else ""
    )
    flash(
        request,
        _("Case outcome recorded: %(outcome)s.", outcome=_(outcome.replace("_", " "))) + second + note,
    )
    return RedirectResponse(f"/review/cases/{run_id}", status_code=303)


@router.post("/cases/{run_id}/confirm", dependencies=[Depends(check_csrf)])
def confirm_outcome(
    request: Request,
    user: LetterIssuer,
    conn: Conn,
    run_id: int,
    case_decision_id: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
):
    """The second reviewer (a different account) confirms the condition_suspected outcome in force."""
    review.case_header(conn, run_id)
    with connection.transaction(conn, _actor(user)):
        review.confirm_case(conn, run_id, case_decision_id, reason, _actor(user))
    _ = gettext(request)
    flash(request, _("Condition suspected confirmed by a second reviewer: the outcome is final."))
    return RedirectResponse(f"/review/cases/{run_id}", status_code=303)


def _preview_html(request: Request, conn: Any, run_id: int, user: User, kind: LetterKind, purpose: str):
    case = _case(request, conn, run_id, user, f"{kind.value} letter {purpose} run {run_id}")
    html = letters.render_html(kind, case, user.username, date.today(), programme=_programme(request, case))
    return case, html


@router.get("/cases/{run_id}/letters/{kind}")
def confirm_letter_page(request: Request, user: LetterIssuer, conn: Conn, run_id: int, kind: str):
    """The confirmation step: what will be sent, to whom; issuing needs this page's sha256."""
    letter_kind = _letter_kind(kind)
    case, html = _preview_html(request, conn, run_id, user, letter_kind, "confirmation")
    return render(
        request,
        "review/confirm_letter.html",
        case=case,
        header=review.case_header(conn, run_id),
        kind=letter_kind,
        recipient=_recipient(letter_kind, case, _programme(request, case).doctor, gettext(request)),
        programme=_programme(request, case),
        sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
    )


@router.get("/cases/{run_id}/letters/{kind}/preview.html")
def letter_preview(request: Request, user: LetterIssuer, conn: Conn, run_id: int, kind: str):
    """The letter's HTML exactly as it will be issued, for the confirmation page's frame (same origin)."""
    _, html = _preview_html(request, conn, run_id, user, _letter_kind(kind), "preview")
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'",
        "X-Frame-Options": "SAMEORIGIN",
    }
    return HTMLResponse(html, headers=headers)


@router.post("/cases/{run_id}/letters", dependencies=[Depends(check_csrf)])
def issue_letter(
    request: Request,
    user: LetterIssuer,
    conn: Conn,
    run_id: int,
    kind: Annotated[str, Form()],
    confirm_sha256: Annotated[str, Form()] = "",
):
    """Issue the letter confirmed on its confirmation page: the letter rendered now must be the one
    shown there (same sha256), else nothing is issued."""
    letter_kind = _letter_kind(kind)
    case = _case(request, conn, run_id, user, f"{letter_kind.value} letter run {run_id}")
    rendered = letters.render_letter(
        letter_kind, case, user.username, date.today(), programme=_programme(request, case)
    )
    if not confirm_sha256:
        raise HTTPException(
            status_code=409,
            detail=N_("a letter is issued from its confirmation page (what will be sent, to whom)"),
        )
    if confirm_sha256 != rendered.sha256:
        raise HTTPException(
            status_code=409,
            detail=N_("the letter changed since its confirmation page was shown: nothing issued, look again"),
        )
    header = review.case_header(conn, run_id)
    with connection.transaction(conn, _actor(user)):
        letter_id = review.store_letter(conn, header.sample_pk, run_id, rendered)
    kind_words = letter_kind.value.replace("_", " ").capitalize()
    _ = gettext(request)
    flash(request, _("%(kind)s issued (letter %(letter)s).", kind=kind_words, letter=letter_id))
    return RedirectResponse(f"/review/cases/{run_id}#letters", status_code=303)


@router.get("/letters/{letter_id}.pdf")
def letter_pdf(user: LetterIssuer, conn: Conn, letter_id: int):
    meta, pdf, _ = review.get_letter(conn, letter_id)
    with connection.transaction(conn, _actor(user)):
        review.log_identity_view(conn, meta.sample_pk, _actor(user), f"letter {letter_id} PDF")
    name = f"{meta.kind}-{letter_id}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Letter-SHA256": meta.pdf_sha256}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/batches/{lab_batch_id}/letters")
def batch_letters_page(request: Request, user: LetterIssuer, conn: Conn, lab_batch_id: str):
    progress = letter_jobs.progress(request.app, conn, lab_batch_id, language(request))
    pk = letter_jobs.batch_pk(conn, lab_batch_id)
    return render(
        request,
        "review/batch_letters.html",
        progress=progress,
        lab_batch_id=lab_batch_id,
        pending=[(row.sample_id, kind) for row, _, kind in letter_jobs.pending(conn, pk)[0]],
        issued_letters=review.batch_letters(conn, pk),
    )


@router.get("/batches/{lab_batch_id}/letters/progress.json")
def batch_letters_progress(request: Request, user: LetterIssuer, conn: Conn, lab_batch_id: str):
    return letter_jobs.progress(request.app, conn, lab_batch_id, language(request))


@router.post("/batches/{lab_batch_id}/letters", dependencies=[Depends(check_csrf)])
def batch_letters_start(
    request: Request,
    user: LetterIssuer,
    conn: Conn,
    lab_batch_id: str,
    confirm_count: Annotated[int, Form()] = -1,
):
    """Start rendering the letters listed on the page; the count confirmed must still be the count due."""
    due = len(letter_jobs.pending(conn, letter_jobs.batch_pk(conn, lab_batch_id))[0])
    if confirm_count != due:
        raise HTTPException(
            status_code=409,
            detail=Reason(
                N_("{due} letter(s) are due, not the {confirmed} confirmed: look again"),
                due=due,
                confirmed=max(confirm_count, 0),
            ),
        )
    started = letter_jobs.start(request.app, lab_batch_id, user.username)
    _ = gettext(request)
    flash(request, _("Rendering started.") if started else _("Rendering is already running for this batch."))
    return RedirectResponse(f"/review/batches/{lab_batch_id}/letters", status_code=303)


def _fhir_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("screening.fhir") is not None


@router.get("/cases/{run_id}/fhir.json")
def fhir_export(request: Request, user: LetterIssuer, conn: Conn, run_id: int):
    """The FHIR bundle of a reviewed case (screening/fhir.py), as a download."""
    import json

    from screening import fhir

    case = _case(request, conn, run_id, user, f"FHIR export run {run_id}")
    if not case.reviewed or case.reported_outcome is None:
        raise HTTPException(
            status_code=409,
            detail=N_(
                "the case has no final reviewed outcome yet (a second reviewer may be awaited): "
                "no export before review"
            ),
        )
    bundle = fhir.case_bundle(case)
    body = bundle if isinstance(bundle, str) else json.dumps(bundle, indent=2, default=str)
    headers = {"Content-Disposition": f'attachment; filename="case-{run_id}.fhir.json"'}
    return Response(body, media_type="application/fhir+json", headers=headers)
