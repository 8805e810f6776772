"""JSON API for laboratory systems (HTTP Basic, lab or admin users): submit a batch, read its status.

``POST /api/v1/batches`` takes the manifest either as an upload (``manifest``; its relative VCF paths
resolve inside ``folder`` under the data root) or as a server-side path inside the data root
(``manifest_path``). Submission goes through ``screening.batch.submit``: the whole manifest is validated
first and every problem is returned at once (422), nothing is written when there is any.
``GET /api/v1/batches/{batch_id}`` returns the same document as ``screening batch status --format json``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from screening import batch as batches
from screening import report
from screening.db.review import User
from screening.web.auth import api_user
from screening.web.common import acting, state

router = APIRouter(prefix="/api/v1", tags=["batches"])
ApiUser = Annotated[User, Depends(api_user)]
MAX_MANIFEST_BYTES = 5_000_000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class Submitted(BaseModel):
    batch_id: str = Field(description="The lab's batch identifier (given, or derived from the manifest)")
    created: bool = Field(description="False when this manifest was already submitted under this id")
    samples: int = Field(description="Samples queued by this request")
    status_url: str


class BatchStatus(BaseModel):
    """As ``screening batch status --format json``; each sample carries the ``screening screen`` shape."""

    batch_id: str
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


def _data_root(request: Request) -> Path:
    root = state(request).settings.data_root
    if root is None:
        raise HTTPException(status_code=400, detail="SCREENING_DATA_ROOT is not configured on the server")
    return root


def _inside(root: Path, relative: str, what: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(status_code=422, detail=f"{what} {relative!r} is outside the data root")
    return path


def _stage_upload(request: Request, data: bytes, filename: str) -> Path:
    """Keep an uploaded manifest, byte for byte, under SCREENING_HOME/uploads/<sha256 prefix>/."""
    target = state(request).settings.home / "uploads" / hashlib.sha256(data).hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    path = target / (_SAFE_NAME.sub("_", Path(filename).name) or "manifest.csv")
    path.write_bytes(data)
    return path


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
    manifest_path: Annotated[str | None, Form(description="Manifest path relative to the data root")] = None,
    folder: Annotated[str, Form(description="For an upload: folder (in the data root) of its VCFs")] = ".",
    batch_id: Annotated[
        str | None, Form(description="The lab's batch id [default: from the manifest]")
    ] = None,
):
    root = _data_root(request)
    if (manifest is None) == (manifest_path is None):
        raise HTTPException(
            status_code=422, detail="give exactly one of 'manifest' (upload) or 'manifest_path'"
        )
    if manifest is not None:
        data = await manifest.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise HTTPException(status_code=413, detail="the manifest is larger than 5 MB")
        path = _stage_upload(request, data, manifest.filename or "manifest.csv")
        base_dir = _inside(root, folder, "folder")
    else:
        path = _inside(root, manifest_path, "manifest_path")
        base_dir = None
    from starlette.concurrency import run_in_threadpool

    from screening import tasks

    sub = await run_in_threadpool(
        batches.submit, acting(request, user), path, panel, tasks.enqueue_samples, batch_id, base_dir
    )
    body = Submitted(
        batch_id=sub.lab_batch_id,
        created=sub.created,
        samples=len(sub.sample_ids),
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
