"""Lab pages: batches with live progress, per-sample state and errors; re-queue failed samples.

No identity is ever shown here: lab pages know babies by their lab sample id only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from screening import batches, i18n, turnaround
from screening.cases import SWAP_HOLD_WORDS, IdentityResolution
from screening.db import batches as db_batches
from screening.db import connection, review, workers
from screening.db import curation as db_curation
from screening.db.review import User
from screening.domain import N_, Outcome, Reason
from screening.errors import ValidationError
from screening.turnaround import duration
from screening.web import labels, submission
from screening.web.auth import check_csrf, require
from screening.web.common import Conn, acting, flash, gettext, language, render, state

router = APIRouter(prefix="/lab", include_in_schema=False)
Lab = Annotated[User, Depends(require("lab", "admin"))]
DONE_STATES = ("screened", "failed", "held")


# the states of a batch and of its samples, as the batch page shows them (the codes stay in the JSON)
STATE_WORDS = {
    "running": N_("running"),
    "finalised": N_("finalised"),
    "queued": N_("queued"),
    "screened": N_("screened"),
    "failed": N_("failed"),
    "held": N_("held"),
}


def _untranslated(message: str, **values: Any) -> str:
    return message % values if values else message


def progress_summary(counts: dict[str, int], batch_state: str, translate=_untranslated) -> tuple[str, str]:
    """(summary, state label) that count failed and held samples honestly: a finished batch with a
    failed sample is not "all done", and the label says what the lab can do. ``translate``: the page
    language's gettext (English when not given)."""
    total = sum(counts.values())
    parts = [
        translate(N_("%(screened)s of %(total)s screened"), screened=counts.get("screened", 0), total=total)
    ]
    if counts.get("failed"):
        parts.append(translate(N_("%(n)s failed"), n=counts["failed"]))
    if counts.get("held"):
        parts.append(translate(N_("%(n)s held (input to fix)"), n=counts["held"]))
    pending = counts.get("queued", 0) + counts.get("running", 0)
    if pending:
        parts.append(translate(N_("%(n)s still to screen"), n=pending))
    label = translate(STATE_WORDS[batch_state]) if batch_state in STATE_WORDS else batch_state
    if batch_state == "finalised" and (counts.get("failed") or counts.get("held")):
        label = translate(
            N_("finished with problems: re-queue the failed samples; fix the held samples' input")
        )
    return ", ".join(parts), label


def progress_document(st: batches.BatchStatus, language: str = i18n.SOURCE_LANGUAGE) -> dict[str, Any]:
    """What the batch page polls: counts, percentage done, each sample's state, error and turnaround
    (receipt → screened, screened → reviewed, receipt → letter), and the batch's turnaround figures;
    the codes as they are, and the words the page shows in ``language`` (``*_label``, ``*_text``)."""
    gettext = i18n.translations(language).gettext
    translate = _untranslated if language == i18n.SOURCE_LANGUAGE else _translating(gettext)
    counts = st.counts
    total = sum(counts.values())
    done = sum(counts[s] for s in DONE_STATES)
    summary, state_label = progress_summary(counts, st.batch.state, translate)
    samples = [
        {
            "sample_id": s.sample.sample_id,
            "state": s.sample.state,
            "state_label": gettext(STATE_WORDS.get(s.sample.state, s.sample.state)),
            "attempts": s.sample.attempts,
            "reason": s.sample.reason or "",
            "reason_text": labels.reason_text(s.sample.reason, language, gettext) if s.sample.reason else "",
            "outcome": result.outcome.value if result else "",
            "outcome_label": gettext(result.outcome.value.replace("_", " ")) if result else "",
            "turnaround": {k: duration(v) for k, v in st.milestones(s).spans().items()},
        }
        for s, result in st.samples
    ]
    figures = {
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
        "screened_percent": round(100 * counts.get("screened", 0) / total) if total else 100,
        "summary": summary,
        "state_label": state_label,
        "attention": counts.get("failed", 0) + counts.get("held", 0),
        "samples": samples,
        "worker_warning": i18n.engine_text(st.worker_warning, language) if st.worker_warning else "",
        "turnaround": figures,
    }


def _translating(gettext):
    return lambda message, **values: gettext(message) % values if values else gettext(message)


def worker_heartbeat(
    seen_seconds: float | None, timeout_seconds: float, translate=_untranslated
) -> dict[str, Any]:
    """What the lab sees of the workers: when one was last seen, and a plain warning when none has
    been within the heartbeat timeout (submitted samples would wait). ``translate``: the page
    language's gettext (English when not given)."""
    if seen_seconds is None:
        return {
            "warning": True,
            "text": translate(
                N_("No worker has ever been seen: submitted samples wait until one runs (screening worker).")
            ),
        }
    if seen_seconds > timeout_seconds:
        return {
            "warning": True,
            "text": translate(
                N_(
                    "No worker has been seen for %(seen)s (heartbeat timeout %(timeout)s): submitted samples "
                    "wait until one runs (screening worker)."
                ),
                seen=duration(seen_seconds),
                timeout=duration(timeout_seconds),
            ),
        }
    return {
        "warning": False,
        "text": translate(N_("Workers running: last heartbeat %(seen)s ago."), seen=duration(seen_seconds)),
    }


def _heartbeat(request: Request, conn: Any) -> dict[str, Any]:
    return worker_heartbeat(
        workers.seconds_since_seen(conn), state(request).settings.heartbeat_timeout_seconds, gettext(request)
    )


@router.get("/batches")
def batch_list(request: Request, user: Lab, conn: Conn):
    rows = batches.list_batches(state(request).settings, limit=100)
    return render(
        request,
        "lab/batches.html",
        batches=rows,
        done_states=DONE_STATES,
        heartbeat=_heartbeat(request, conn),
    )


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


def _panel_labels(conn: Any) -> list[str]:
    return [v.label for v in db_curation.list_versions(conn) if not v.retired_at]


def _programmes(request: Request) -> Any:
    from screening import programmes

    return programmes.for_settings(state(request).settings)


@router.get("/batches/new")
def submit_page(request: Request, user: Lab, conn: Conn):
    """Upload a manifest (its VCFs already on shared storage) and submit the batch."""
    return render(
        request,
        "lab/submit.html",
        panels=_panel_labels(conn),
        heartbeat=_heartbeat(request, conn),
        programmes=_programmes(request),
        problems=[],
        subject="",
        values={"panel": "", "folder": "", "batch_id": "", "programme": _programmes(request).default or ""},
    )


@router.post("/batches/new", dependencies=[Depends(check_csrf)])
async def submit_upload(
    request: Request,
    user: Lab,
    conn: Conn,
    panel: Annotated[str, Form()] = "",
    manifest: Annotated[UploadFile | None, File()] = None,
    folder: Annotated[str, Form()] = "",
    batch_id: Annotated[str, Form()] = "",
    programme: Annotated[str, Form()] = "",
):
    """Validate the whole manifest as the CLI does; every problem is shown at once and nothing is
    written when there is any."""
    from starlette.concurrency import run_in_threadpool

    from screening import tasks

    settings = acting(request, user)
    values = {"panel": panel, "folder": folder, "batch_id": batch_id, "programme": programme}
    try:
        if manifest is None or not manifest.filename:
            raise submission.refused(Reason(N_("manifest")), Reason(N_("choose the manifest CSV")))
        if not panel:
            raise submission.refused(Reason(N_("panel")), Reason(N_("choose the panel version")))
        data = await manifest.read(submission.MAX_MANIFEST_BYTES + 1)
        sub = await run_in_threadpool(
            lambda: submission.submit(
                settings,
                panel,
                tasks.enqueue_samples,
                upload=(data, manifest.filename),
                folder=folder or ".",
                batch_id=batch_id.strip() or None,
                programme=programme.strip() or None,
            )
        )
    except ValidationError as exc:
        return render(
            request,
            "lab/submit.html",
            422,
            panels=_panel_labels(conn),
            heartbeat=_heartbeat(request, conn),
            programmes=_programmes(request),
            problems=list(exc.problems),
            subject=exc.subject,
            values=values,
        )
    if sub.created:
        _ = gettext(request)
        flash(
            request,
            _(
                "Batch %(batch)s submitted: %(n)s sample(s) queued.",
                batch=sub.lab_batch_id,
                n=len(sub.sample_ids),
            ),
        )
    else:
        _ = gettext(request)
        flash(
            request,
            _(
                "Batch %(batch)s was already submitted with this manifest: nothing queued.",
                batch=sub.lab_batch_id,
            ),
        )
    return RedirectResponse(f"/lab/batches/{sub.lab_batch_id}", status_code=303)


@router.get("/batches/{lab_batch_id}")
def batch_page(request: Request, user: Lab, conn: Conn, lab_batch_id: str):
    st = batches.status(state(request).settings, lab_batch_id)
    return render(
        request,
        "lab/batch.html",
        st=st,
        progress=progress_document(st, language(request)),
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
        _ = gettext(request)
        flash(
            request,
            _(
                "Identity check recorded for %(sample)s: re-screening with sex %(sex)s.",
                sample=sample_id,
                sex=corrected_sex,
            ),
        )
    else:
        _ = gettext(request)
        flash(
            request, _("Identity check recorded for %(sample)s: a new sample is requested.", sample=sample_id)
        )
    return RedirectResponse(f"/lab/batches/{lab_batch_id}#identity-checks", status_code=303)


@router.get("/batches/{lab_batch_id}/progress.json")
def batch_progress(request: Request, user: Lab, lab_batch_id: str):
    st = batches.status(state(request).settings, lab_batch_id)
    return JSONResponse(progress_document(st, language(request)))


@router.post("/batches/{lab_batch_id}/requeue", dependencies=[Depends(check_csrf)])
def requeue(request: Request, user: Lab, lab_batch_id: str):
    from screening import tasks  # the broker client only when something is sent

    ids = batches.retry(acting(request, user), lab_batch_id, ("failed",), tasks.enqueue_samples)
    _ = gettext(request)
    flash(request, _("Re-queued %(n)s failed sample(s).", n=len(ids)))
    return RedirectResponse(f"/lab/batches/{lab_batch_id}", status_code=303)
