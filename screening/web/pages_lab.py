"""Lab pages: batches with live progress, per-sample state and errors; re-queue failed samples.

No identity is ever shown here: lab pages know babies by their lab sample id only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from screening import batch as batches
from screening.cases import SWAP_HOLD_WORDS, IdentityResolution
from screening.db import batches as db_batches
from screening.db import connection, review
from screening.db.review import User
from screening.domain import Outcome
from screening.web.auth import check_csrf, require
from screening.web.common import Conn, acting, flash, render, state

router = APIRouter(prefix="/lab", include_in_schema=False)
Lab = Annotated[User, Depends(require("lab", "admin"))]
DONE_STATES = ("screened", "failed", "held")


def progress_document(st: batches.BatchStatus) -> dict[str, Any]:
    """What the batch page polls: counts, percentage done, and each sample's state and error."""
    counts = st.counts
    total = sum(counts.values())
    done = sum(counts[s] for s in DONE_STATES)
    samples = [
        {
            "sample_id": s.sample.sample_id,
            "state": s.sample.state,
            "attempts": s.sample.attempts,
            "reason": s.sample.reason or "",
            "outcome": result.outcome.value if result else "",
        }
        for s, result in st.samples
    ]
    return {
        "batch_id": st.batch.lab_batch_id,
        "state": st.batch.state,
        "counts": counts,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        "samples": samples,
    }


@router.get("/batches")
def batch_list(request: Request, user: Lab):
    rows = batches.list_batches(state(request).settings, limit=100)
    return render(request, "lab/batches.html", batches=rows, done_states=DONE_STATES)


def swap_holds(st: batches.BatchStatus) -> list[dict[str, Any]]:
    """Samples the screen held for a possible sample swap (recorded sex contradicts the VCF)."""
    out = []
    for s, result in st.samples:
        if result is None or result.outcome is not Outcome.TESTING_NOT_POSSIBLE:
            continue
        reasons = [r for r in result.reasons if SWAP_HOLD_WORDS in r]
        if reasons:
            out.append({"sample_id": s.sample.sample_id, "reason": reasons[0]})
    return out


@router.get("/batches/{lab_batch_id}")
def batch_page(request: Request, user: Lab, conn: Conn, lab_batch_id: str):
    st = batches.status(state(request).settings, lab_batch_id)
    return render(
        request,
        "lab/batch.html",
        st=st,
        progress=progress_document(st),
        swaps=swap_holds(st),
        identity_checks=review.batch_identity_checks(conn, lab_batch_id),
        resolutions=list(IdentityResolution),
    )


@router.post("/batches/{lab_batch_id}/samples/{sample_id}/identity-check", dependencies=[Depends(check_csrf)])
def identity_check(
    request: Request,
    user: Lab,
    conn: Conn,
    lab_batch_id: str,
    sample_id: str,
    resolution: Annotated[str, Form()] = "",
    corrected_sex: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
):
    """The lab records how it resolved a possible sample swap; a confirmed identity re-screens the
    sample with the corrected sex (its letters wait for the new result), a new sample releases the
    "testing not possible" letter asking for one."""
    values = {"resolution": resolution, "corrected_sex": corrected_sex, "note": note}
    actor = f"web:{user.username}"
    with connection.transaction(conn, actor):
        ids = review.record_identity_check(conn, lab_batch_id, sample_id, values, actor)
    if ids:
        from screening import tasks  # the broker client only when something is sent

        tasks.enqueue_samples(ids)
        db_batches.mark_enqueued(conn, ids)
        flash(request, f"Identity check recorded for {sample_id}: re-screening with sex {corrected_sex}.")
    else:
        flash(request, f"Identity check recorded for {sample_id}: a new sample is requested.")
    return RedirectResponse(f"/lab/batches/{lab_batch_id}#identity-checks", status_code=303)


@router.get("/batches/{lab_batch_id}/progress.json")
def batch_progress(request: Request, user: Lab, lab_batch_id: str):
    return JSONResponse(progress_document(batches.status(state(request).settings, lab_batch_id)))


@router.post("/batches/{lab_batch_id}/requeue", dependencies=[Depends(check_csrf)])
def requeue(request: Request, user: Lab, lab_batch_id: str):
    from screening import tasks  # the broker client only when something is sent

    ids = batches.retry(acting(request, user), lab_batch_id, ("failed",), tasks.enqueue_samples)
    flash(request, f"Re-queued {len(ids)} failed sample(s).")
    return RedirectResponse(f"/lab/batches/{lab_batch_id}", status_code=303)
