"""JSON API for laboratory systems (HTTP Basic, lab or admin users): submit a batch, read its status.

``POST /api/v1/batches`` takes the manifest either as an upload (``manifest``; its relative VCF paths
resolve inside ``folder``) or as a path on shared storage (``manifest_path``); both resolve as
``screening.web.submission`` says (inside SCREENING_DATA_ROOT, else the manifest's folder).
Submission goes through ``screening.batch.submit``: the whole manifest is validated
first and every problem is returned at once (422), nothing is written when there is any.
``GET /api/v1/batches/{batch_id}`` returns the same document as ``screening batch status --format json``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from screening import batch as batches
from screening import report
from screening.db.review import User
from screening.web import submission
from screening.web.auth import api_user
from screening.web.common import acting, state

router = APIRouter(prefix="/api/v1", tags=["batches"])
ApiUser = Annotated[User, Depends(api_user)]


class Submitted(BaseModel):
    batch_id: str = Field(description="The lab's batch identifier (given, or derived from the manifest)")
    created: bool = Field(description="False when this manifest was already submitted under this id")
    samples: int = Field(description="Samples queued by this request")
    programme: str = Field(description="The programme the batch belongs to")
    status_url: str


class BatchStatus(BaseModel):
    """As ``screening batch status --format json``; each sample carries the ``screening screen`` shape."""

    batch_id: str
    programme: str = Field(description="The programme the batch belongs to (england, denmark, …)")
    state: str = Field(description="running | finalised")
    panel: str = Field(description="<panel_id>@<MAJOR.MINOR>")
    submitted_at: str
    finalised_at: str | None
    counts: dict[str, int] = Field(description="samples per state: queued, running, screened, failed, held")
    turnaround: dict[str, Any] = Field(
        description="receipt_to_screened, screened_to_reviewed, receipt_to_letter: n, median_s, p90_s, max_s"
    )
    samples: list[dict[str, Any]]


class Problems(BaseModel):
    detail: str
    problems: list[str]


@router.post(
    "/batches",
    status_code=201,
    response_model=Submitted,
    responses={200: {"model": Submitted, "description": "Already submitted"}, 422: {"model": Problems}},
    summary="Submit a batch",
)
async def submit_batch(
    request: Request,
    user: ApiUser,
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
        Form(description="The programme the batch belongs to [default: the deployment's default programme]"),
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
            acting(request, user),
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


@router.get("/batches/{batch_id}", response_model=BatchStatus, summary="Status of a batch and its samples")
def batch_status(request: Request, user: ApiUser, batch_id: str):
    doc = report.batch_status_to_dict(batches.status(state(request).settings, batch_id))
    return JSONResponse(_jsonable(doc))


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
