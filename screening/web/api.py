"""The JSON API, ``/api/v1``, for laboratory and programme systems (OpenAPI at /api/v1/openapi.json).

Callers authenticate with HTTP Basic (a web user) or ``Authorization: Bearer <token>`` (a machine
token, ``screening token create``); each endpoint is open to the roles whose pages show the same
thing: batches and samples to lab and admin (findings left out for the lab, as on its pages),
findings and letter records to reviewer and admin (the case page), letter PDFs to reviewers only,
panels to curator and admin. What the pages audit is audited the same way (a case's findings and a
letter's PDF write an ``identity_views`` row, hence an audit row, in the same transaction).

Every document is the one the rest of the system writes: a sample's findings are
``screening screen --format json`` (``report.result_to_dict``), a batch is ``screening batch status
--format json``, panels are ``screening panel list|show|diff --format json``. Re-queueing is the lab
page's (``batch.retry``); a submission goes through ``screening.web.submission`` as the upload page's.
Errors are one JSON shape (``api_models.Error``): ``detail`` and ``problems``.

Submission takes the manifest either as an upload (``manifest``; its relative VCF paths resolve
inside ``folder``) or as a path on shared storage (``manifest_path``); both resolve inside
SCREENING_DATA_ROOT (by default $SCREENING_HOME/data). The whole manifest is validated first and
every problem is returned at once (422); nothing is written when there is any.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from screening import batches, curation, report
from screening.db import batches as db_batches
from screening.db import connection, review
from screening.db import curation as db_curation
from screening.db import panels as db_panels
from screening.domain import Outcome, Version
from screening.errors import NotFoundError
from screening.web import submission
from screening.web.api_models import (
    BatchPage,
    BatchStatus,
    Error,
    LetterList,
    PanelDiff,
    PanelSummary,
    PanelVersionDoc,
    Requeue,
    Requeued,
    SampleStatus,
    ScreenResult,
    Submitted,
)
from screening.web.auth import ApiCaller, api_caller
from screening.web.common import Conn, acting, state

router = APIRouter(prefix="/api/v1")
Lab = Annotated[ApiCaller, Depends(api_caller("lab", "admin"))]
CaseReader = Annotated[ApiCaller, Depends(api_caller("reviewer", "admin"))]
LetterReader = Annotated[ApiCaller, Depends(api_caller("reviewer"))]
Curator = Annotated[ApiCaller, Depends(api_caller("curator", "admin"))]

BatchId = Annotated[str, Path(max_length=200, description="The lab's batch id")]
SampleId = Annotated[str, Path(max_length=200, description="The lab's sample id (unique in its batch)")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "Bad input",
        401: "No or wrong credentials, or an unknown or revoked token",
        403: "Not open to the caller's role",
        404: "Not found",
        409: "Not possible in the current state",
        413: "Too large",
        422: "Invalid request",
        429: "Too many failed sign-ins",
    }
    return {c: {"model": Error, "description": words[c]} for c in (400, 401, 403, 422, 429, *codes)}


def _actor(caller: ApiCaller) -> str:
    return f"web:{caller.username}"


def _plain(value: Any) -> Any:
    """As the CLI writes JSON (datetimes and enums as text)."""
    return json.loads(json.dumps(value, default=str))


# ---------------------------------------------------------------- batches and samples

LAB_HIDDEN = ("findings", "flagged_genes", "unreported_candidates", "karyotype", "provenance")


def _sample_for(caller: ApiCaller, doc: dict[str, Any]) -> dict[str, Any]:
    """A sample document as the caller's pages would show it: the lab sees states, outcomes and what
    it can act on, never the findings (nor the karyotype, also in the provenance); reasons only for
    testing not possible."""
    if caller.role != "lab":
        return doc
    shown = {k: v for k, v in doc.items() if k not in LAB_HIDDEN}
    if doc.get("outcome") != Outcome.TESTING_NOT_POSSIBLE.value:
        shown["reasons"] = []
    return shown


@router.get(
    "/batches",
    response_model=BatchPage,
    responses=_errors(),
    tags=["batches"],
    summary="List batches, newest first",
)
def list_batches(
    request: Request,
    caller: Lab,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    batch_state: Annotated[Literal["running", "finalised"] | None, Query(alias="state")] = None,
    panel_id: Annotated[str | None, Query(max_length=64, description="Panel id (any version)")] = None,
    since: Annotated[datetime | None, Query(description="Submitted at or after (ISO 8601)")] = None,
):
    filters = {"state": batch_state, "panel_id": panel_id, "since": since}
    rows, total = batches.list_batch_page(state(request).settings, limit, offset, **filters)
    items = [
        {
            "batch_id": s.batch.lab_batch_id,
            "programme": s.batch.programme,
            "state": s.batch.state,
            "panel": s.panel_label,
            "submitted_at": s.batch.submitted_at.isoformat(),
            "submitted_by": s.batch.submitted_by,
            "finalised_at": s.batch.finalised_at.isoformat() if s.batch.finalised_at else None,
            "samples": s.batch.samples_total,
            "counts": s.counts,
            "status_url": f"/api/v1/batches/{s.batch.lab_batch_id}",
        }
        for s in rows
    ]
    more = offset + len(items) < total and bool(items)
    body = {"items": items, "total": total, "limit": limit, "offset": offset}
    return JSONResponse({**body, "next_offset": offset + len(items) if more else None})


@router.post(
    "/batches",
    status_code=201,
    response_model=Submitted,
    responses={200: {"model": Submitted, "description": "Already submitted"}, **_errors(413)},
    tags=["batches"],
    summary="Submit a batch",
)
async def submit_batch(
    request: Request,
    caller: Lab,
    panel: Annotated[str, Form(description="Published panel version, <panel_id>@<MAJOR.MINOR>")],
    manifest: Annotated[UploadFile | None, File(description="Manifest CSV (sample_id,vcf,sex,...)")] = None,
    manifest_path: Annotated[
        str | None,
        Form(description="Manifest path relative to the data root (absolute without SCREENING_DATA_ROOT)"),
    ] = None,
    folder: Annotated[
        str,
        Form(
            description="For an upload: folder of its VCFs on shared storage, relative to the data root "
            "(absolute when SCREENING_DATA_ROOT is not set)"
        ),
    ] = ".",
    batch_id: Annotated[
        str | None, Form(description="The lab's batch id [default: from the manifest]")
    ] = None,
    programme: Annotated[
        str | None,
        Form(
            pattern=r"^[a-z][a-z0-9_-]{0,31}$",
            description="The programme the batch belongs to [default: the deployment's default programme]",
        ),
    ] = None,
):
    upload = None
    if manifest is not None:
        data = await manifest.read(submission.MAX_MANIFEST_BYTES + 1)
        if len(data) > submission.MAX_MANIFEST_BYTES:
            raise HTTPException(status_code=413, detail="the manifest is larger than 5 MB")
        upload = (data, manifest.filename or "manifest.csv")
    from starlette.concurrency import run_in_threadpool

    from screening import tasks

    sub = await run_in_threadpool(
        lambda: submission.submit(
            acting(request, caller),
            panel,
            tasks.enqueue_samples,
            upload=upload,
            folder=folder,
            manifest_path=manifest_path or "",
            batch_id=batch_id,
            programme=programme,
        )
    )
    body = Submitted(
        batch_id=sub.lab_batch_id,
        created=sub.created,
        samples=len(sub.sample_ids),
        programme=sub.programme,
        status_url=f"/api/v1/batches/{sub.lab_batch_id}",
    )
    return JSONResponse(body.model_dump(), status_code=201 if sub.created else 200)


@router.get(
    "/batches/{batch_id}",
    response_model=BatchStatus,
    responses=_errors(404),
    tags=["batches"],
    summary="Status of a batch and its samples",
)
def batch_status(request: Request, caller: Lab, batch_id: BatchId):
    doc = _plain(report.batch_status_to_dict(batches.status(state(request).settings, batch_id)))
    doc["samples"] = [_sample_for(caller, s) for s in doc["samples"]]
    return JSONResponse(doc)


def _requeue(
    request: Request, conn: Any, caller: ApiCaller, batch_id: str, sample_ids: tuple[str, ...] | None
):
    from screening import tasks  # the broker client only when something is sent
    from screening.web.letter_jobs import batch_pk

    names = {s.sample.id: s.sample.sample_id for s in db_batches.list_samples(conn, batch_pk(conn, batch_id))}
    ids = batches.retry(acting(request, caller), batch_id, ("failed",), tasks.enqueue_samples, sample_ids)
    return JSONResponse({"batch_id": batch_id, "requeued": [names[i] for i in ids]})


@router.post(
    "/batches/{batch_id}/requeue",
    response_model=Requeued,
    responses=_errors(404),
    tags=["batches"],
    summary="Re-queue the batch's failed samples (all, or those listed), as the lab page does",
)
def requeue_batch(
    request: Request,
    conn: Conn,
    caller: Lab,
    batch_id: BatchId,
    body: Annotated[Requeue | None, Body()] = None,
):
    chosen = tuple(body.sample_ids) if body is not None and body.sample_ids is not None else None
    return _requeue(request, conn, caller, batch_id, chosen)


@router.get(
    "/batches/{batch_id}/samples/{sample_id}",
    response_model=SampleStatus,
    responses=_errors(404),
    tags=["samples"],
    summary="Status of one sample (its result once screened)",
)
def sample_status(request: Request, caller: Lab, batch_id: BatchId, sample_id: SampleId):
    st = batches.status(state(request).settings, batch_id, sample_id)
    ((status, result),) = st.samples
    doc = _plain(report.sample_status_to_dict(status, result, st.milestones(status)))
    return JSONResponse(_sample_for(caller, doc))


@router.post(
    "/batches/{batch_id}/samples/{sample_id}/requeue",
    response_model=Requeued,
    responses=_errors(404, 409),
    tags=["samples"],
    summary="Re-queue one failed sample, as the lab page does",
)
def requeue_sample(request: Request, conn: Conn, caller: Lab, batch_id: BatchId, sample_id: SampleId):
    st = batches.status(state(request).settings, batch_id, sample_id)
    sample = st.samples[0][0].sample
    if sample.state != "failed":
        raise HTTPException(
            status_code=409, detail=f"sample {sample_id} is {sample.state}: only failed samples are re-queued"
        )
    return _requeue(request, conn, caller, batch_id, (sample_id,))


@router.get(
    "/batches/{batch_id}/samples/{sample_id}/findings",
    response_model=ScreenResult,
    responses=_errors(404, 409),
    tags=["samples"],
    summary="The sample's current result: the `screening screen --format json` object",
)
def sample_findings(request: Request, conn: Conn, caller: CaseReader, batch_id: BatchId, sample_id: SampleId):
    st = batches.status(state(request).settings, batch_id, sample_id)
    ((status, result),) = st.samples
    if result is None or status.run_id is None:
        raise HTTPException(
            status_code=409, detail=f"sample {sample_id} is {status.sample.state}: it has no results"
        )
    with connection.transaction(conn, _actor(caller)):  # a case view, as the case page records it
        review.log_identity_view(conn, status.sample.id, _actor(caller), f"API findings run {status.run_id}")
    doc = _plain(report.result_to_dict(result))
    doc["sample_id"] = status.sample.sample_id  # the lab's id, as in the batch status
    return JSONResponse(doc)


# ---------------------------------------------------------------- letters


def _letter_doc(letter: review.IssuedLetter, batch_id: str, sample_id: str) -> dict[str, Any]:
    return {
        "id": letter.id,
        "batch_id": batch_id,
        "sample_id": sample_id,
        "run_id": letter.run_id,
        "kind": letter.kind,
        "sha256": letter.sha256,
        "pdf_sha256": letter.pdf_sha256,
        "template_version": letter.template_version,
        "issued_by": letter.issued_by,
        "issued_at": letter.issued_at.isoformat(),
        "issued_on": letter.issued_on.isoformat(),
        "pdf_url": f"/api/v1/letters/{letter.id}.pdf",
    }


@router.get(
    "/batches/{batch_id}/letters",
    response_model=LetterList,
    responses=_errors(404),
    tags=["letters"],
    summary="Letters issued for the babies of a batch, newest first",
)
def batch_letters(conn: Conn, caller: CaseReader, batch_id: BatchId):
    from screening.web.letter_jobs import batch_pk

    rows = review.batch_letters(conn, batch_pk(conn, batch_id))
    letters = [_letter_doc(r, batch_id, r.sample_id) for r in rows]
    return JSONResponse({"batch_id": batch_id, "letters": letters})


@router.get(
    "/batches/{batch_id}/samples/{sample_id}/letters",
    response_model=LetterList,
    responses=_errors(404),
    tags=["letters"],
    summary="Letters issued for one baby, oldest first",
)
def sample_letters(conn: Conn, caller: CaseReader, batch_id: BatchId, sample_id: SampleId):
    pk = review.sample_of_batch(conn, batch_id, sample_id).sample_pk
    letters = [_letter_doc(m, batch_id, sample_id) for m in review.list_letters(conn, pk)]
    return JSONResponse({"batch_id": batch_id, "sample_id": sample_id, "letters": letters})


@router.get(
    "/letters/{letter_id}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **_errors(404, 409),
    },
    tags=["letters"],
    summary="An issued letter's PDF (refused, 409, when its bytes no longer match their sha256)",
)
def letter_pdf(conn: Conn, caller: LetterReader, letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)]):
    meta, pdf, _ = review.get_letter(conn, letter_id)
    with connection.transaction(conn, _actor(caller)):
        review.log_identity_view(conn, meta.sample_pk, _actor(caller), f"letter {letter_id} PDF")
    name = f"{meta.kind}-{letter_id}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Letter-SHA256": meta.pdf_sha256}
    return Response(pdf, media_type="application/pdf", headers=headers)


# ---------------------------------------------------------------- panels


def _version(conn: Any, panel_id: str, version: str):
    try:
        parsed = Version.parse(version)
    except ValueError:
        raise NotFoundError(f"panel version {panel_id[:64]}@{version[:16]} is not published") from None
    row = db_panels.find_version(conn, panel_id, parsed)
    if row is None:
        raise NotFoundError(f"panel version {panel_id[:64]}@{version[:16]} is not published")
    return row


@router.get(
    "/panels",
    response_model=list[PanelSummary],
    responses=_errors(),
    tags=["panels"],
    summary="Published panel versions (integer version order), with their use",
)
def list_panels(conn: Conn, caller: Curator, panel_id: Annotated[str | None, Query(max_length=64)] = None):
    rows = db_curation.list_versions(conn, panel_id)
    return JSONResponse(_plain([curation.version_summary_to_dict(r) for r in rows]))


@router.get(
    "/panels/{panel_id}/versions/{version}",
    response_model=PanelVersionDoc,
    responses=_errors(404),
    tags=["panels"],
    summary="One published version with its settings and gene entries",
)
def show_panel(conn: Conn, caller: Curator, panel_id: str, version: str):
    row = _version(conn, panel_id, version)
    info = db_curation.summary(conn, row.panel_id, row.version)
    doc = curation.version_to_dict(info, db_panels.load_panel_version(conn, row.id), row.origin, True)
    return JSONResponse(_plain(doc))


@router.get(
    "/panels/{panel_id}/diff",
    response_model=PanelDiff,
    responses=_errors(404),
    tags=["panels"],
    summary="Differences between two published versions (?old=1.0&new=1.1)",
)
def diff_panels(
    conn: Conn,
    caller: Curator,
    panel_id: str,
    old: Annotated[str, Query(max_length=32)],
    new: Annotated[str, Query(max_length=32)],
):
    before, after = (db_panels.load_panel_version(conn, _version(conn, panel_id, v).id) for v in (old, new))
    return JSONResponse(_plain(curation.diff_to_dict(curation.diff_panels(before, after))))
