"""Lab pages: batches with live progress, per-sample state and errors; re-queue failed samples.

No identity is ever shown here: lab pages know babies by their lab sample id only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from screening import batch as batches
from screening import turnaround
from screening.db.review import User
from screening.turnaround import duration
from screening.web.auth import check_csrf, require
from screening.web.common import acting, flash, render, state

router = APIRouter(prefix="/lab", include_in_schema=False)
Lab = Annotated[User, Depends(require("lab", "admin"))]
DONE_STATES = ("screened", "failed", "held")


def progress_document(st: batches.BatchStatus) -> dict[str, Any]:
    """What the batch page polls: counts, percentage done, each sample's state, error and turnaround
    (receipt → screened, screened → reviewed, receipt → letter), and the batch's turnaround figures."""
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
            "turnaround": {k: duration(v) for k, v in st.milestones(s).spans().items()},
        }
        for s, result in st.samples
    ]
    summary = {
        name: {k: (duration(v) if k != "n" else v) for k, v in span.items()}
        for name, span in turnaround.summary([st.milestones(s) for s, _ in st.samples]).items()
    }
    return {
        "batch_id": st.batch.lab_batch_id,
        "state": st.batch.state,
        "counts": counts,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        "samples": samples,
        "turnaround": summary,
    }


@router.get("/batches")
def batch_list(request: Request, user: Lab):
    rows = batches.list_batches(state(request).settings, limit=100)
    return render(request, "lab/batches.html", batches=rows, done_states=DONE_STATES)


@router.get("/batches/{lab_batch_id}")
def batch_page(request: Request, user: Lab, lab_batch_id: str):
    st = batches.status(state(request).settings, lab_batch_id)
    return render(request, "lab/batch.html", st=st, progress=progress_document(st))


@router.get("/batches/{lab_batch_id}/progress.json")
def batch_progress(request: Request, user: Lab, lab_batch_id: str):
    return JSONResponse(progress_document(batches.status(state(request).settings, lab_batch_id)))


@router.post("/batches/{lab_batch_id}/requeue", dependencies=[Depends(check_csrf)])
def requeue(request: Request, user: Lab, lab_batch_id: str):
    from screening import tasks  # the broker client only when something is sent

    ids = batches.retry(acting(request, user), lab_batch_id, ("failed",), tasks.enqueue_samples)
    flash(request, f"Re-queued {len(ids)} failed sample(s).")
    return RedirectResponse(f"/lab/batches/{lab_batch_id}", status_code=303)
