"""Reviewer pages: the review queue, the case page (findings with evidence, decisions, case outcome),
letters issued from the case, and batch rendering of "no condition suspected" letters.

Carriers are never shown: the case page shows a :class:`CaseView`, which holds findings only.
Identities are loaded only for the reviewer role, and every load is recorded (who, when, what for).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from screening import letters
from screening.cases import AcmgClass, CaseView, FindingCall, LetterKind
from screening.db import connection, review
from screening.db.review import User
from screening.domain import Outcome
from screening.web import letter_jobs
from screening.web.auth import can_see_identity, check_csrf, require
from screening.web.common import Conn, flash, render, state

router = APIRouter(prefix="/review", include_in_schema=False)
Reviewer = Annotated[User, Depends(require("reviewer", "admin"))]
LetterIssuer = Annotated[User, Depends(require("reviewer"))]


def _actor(user: User) -> str:
    return f"web:{user.username}"


def _case(conn: Any, run_id: int, user: User, purpose: str) -> CaseView:
    who = (_actor(user), purpose) if can_see_identity(user) else None
    return review.load_case(conn, run_id, who)


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
        reviewed=review.reviewed_cases(conn),
        batches=_batches_with_letters(request),
    )


def _batches_with_letters(request: Request) -> list[Any]:
    from screening import batch as batches

    return [b for b in batches.list_batches(state(request).settings, limit=20) if b.counts.get("screened")]


@router.get("/cases/{run_id}")
def case_page(request: Request, user: Reviewer, conn: Conn, run_id: int):
    case = _case(conn, run_id, user, f"case page run {run_id}")
    header = review.case_header(conn, run_id)
    return render(
        request,
        "review/case.html",
        case=case,
        header=header,
        history=review.finding_decisions(conn, run_id),
        outcomes=review.case_decisions(conn, run_id),
        issued=review.list_letters(conn, header["sample_pk"]),
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
        raise HTTPException(status_code=404, detail=f"{hgnc_id} is not a finding of this case")
    values = {
        "hgnc_id": hgnc_id,
        "moi": moi,
        "decision": decision,
        "acmg_class": acmg_class,
        "reason": reason,
    }
    with connection.transaction(conn, _actor(user)):
        review.record_finding_decision(conn, run_id, values, _actor(user))
    flash(request, f"{finding.symbol}: {decision.replace('_', ' ')} recorded.")
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
    problems = review.load_case(conn, run_id, None)
    from screening.cases import case_problems

    found = case_problems(problems)
    note = " Check: " + "; ".join(p.message for p in found) if found else ""
    flash(request, f"Case outcome recorded: {outcome.replace('_', ' ')}.{note}")
    return RedirectResponse(f"/review/cases/{run_id}", status_code=303)


@router.post("/cases/{run_id}/letters", dependencies=[Depends(check_csrf)])
def issue_letter(request: Request, user: LetterIssuer, conn: Conn, run_id: int, kind: Annotated[str, Form()]):
    try:
        letter_kind = LetterKind(kind)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"unknown letter kind {kind!r}") from None
    case = _case(conn, run_id, user, f"{letter_kind.value} letter run {run_id}")
    rendered = letters.render_letter(letter_kind, case, user.username, date.today())
    header = review.case_header(conn, run_id)
    with connection.transaction(conn, _actor(user)):
        letter_id = review.store_letter(conn, header["sample_pk"], run_id, rendered)
    flash(request, f"{letter_kind.value.replace('_', ' ').capitalize()} issued (letter {letter_id}).")
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
    progress = letter_jobs.progress(request.app, conn, lab_batch_id)
    return render(request, "review/batch_letters.html", progress=progress, lab_batch_id=lab_batch_id)


@router.get("/batches/{lab_batch_id}/letters/progress.json")
def batch_letters_progress(request: Request, user: LetterIssuer, conn: Conn, lab_batch_id: str):
    return letter_jobs.progress(request.app, conn, lab_batch_id)


@router.post("/batches/{lab_batch_id}/letters", dependencies=[Depends(check_csrf)])
def batch_letters_start(request: Request, user: LetterIssuer, lab_batch_id: str):
    started = letter_jobs.start(request.app, lab_batch_id, user.username)
    flash(request, "Rendering started." if started else "Rendering is already running for this batch.")
    return RedirectResponse(f"/review/batches/{lab_batch_id}/letters", status_code=303)


def _fhir_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("screening.fhir") is not None


@router.get("/cases/{run_id}/fhir.json")
def fhir_export(user: LetterIssuer, conn: Conn, run_id: int):
    """The FHIR bundle of a reviewed case (screening/fhir.py), as a download."""
    import json

    from screening import fhir

    case = _case(conn, run_id, user, f"FHIR export run {run_id}")
    if not case.reviewed:
        raise HTTPException(
            status_code=409, detail="the case has no reviewed outcome yet: no export before review"
        )
    bundle = fhir.case_bundle(case)
    body = bundle if isinstance(bundle, str) else json.dumps(bundle, indent=2, default=str)
    headers = {"Content-Disposition": f'attachment; filename="case-{run_id}.fhir.json"'}
    return Response(body, media_type="application/fhir+json", headers=headers)
