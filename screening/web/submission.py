"""Submitting a batch from the web (lab pages and the JSON API): the manifest arrives as an upload (its
VCFs already on shared storage) or as a path on shared storage, and goes through
``screening.batch.submit`` like the CLI's — every problem found at once, nothing written when any.

Paths resolve as the README says: inside ``SCREENING_DATA_ROOT`` when it is set (relative paths are
relative to it); without it, the data root is the manifest's folder — for a path, the folder of the
manifest; for an upload, the folder of its VCFs, given as an absolute path on shared storage.
Errors name the uploaded file and the paths as the lab wrote them, never a server-side path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

from screening import batch as batches
from screening.config import Settings
from screening.errors import ManifestError, Problem, ValidationError

MAX_MANIFEST_BYTES = 5_000_000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _refuse(message: str) -> ValidationError:
    return ValidationError("batch submission", [Problem("batch submission", message)])


def shared_path(settings: Settings, given: str, what: str) -> tuple[Path, Path]:
    """(resolved path, data root) of a path the lab gave; raises ValidationError, naming no server path."""
    given = (given or "").strip()
    if not given:
        raise _refuse(f"{what} is empty")
    root = settings.data_root
    if root is None:
        path = Path(given)
        if not path.is_absolute():
            raise _refuse(
                f"{what} {given!r}: without SCREENING_DATA_ROOT give the absolute path on shared storage"
            )
        path = path.resolve()
        return path, (path if path.is_dir() else path.parent)
    path = (root / given).resolve()
    if not path.is_relative_to(root):
        raise _refuse(f"{what} {given!r} is outside the data root: give a path inside it")
    return path, root


def stage_upload(settings: Settings, data: bytes, filename: str) -> Path:
    """Keep an uploaded manifest, byte for byte, under SCREENING_HOME/uploads/<sha256 prefix>/."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise _refuse("the manifest is larger than 5 MB")
    target = settings.home / "uploads" / hashlib.sha256(data).hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    path = target / (_SAFE_NAME.sub("_", Path(filename).name) or "manifest.csv")
    path.write_bytes(data)
    return path


def submit(
    settings: Settings,
    panel: str,
    enqueue,
    *,
    upload: tuple[bytes, str] | None = None,
    folder: str = "",
    manifest_path: str = "",
    batch_id: str | None = None,
    programme: str | None = None,
) -> batches.Submission:
    """Validate and submit; ``upload`` = (bytes, file name) with ``folder`` of its VCFs, or
    ``manifest_path`` on shared storage. Raises ValidationError listing every problem."""
    if (upload is None) == (not manifest_path.strip()):
        raise _refuse("give exactly one of a manifest upload or a manifest path")
    if upload is not None:
        data, filename = upload
        base_dir, root = shared_path(settings, folder or ".", "folder")
        if not base_dir.is_dir():
            raise _refuse(f"folder {folder!r} does not exist on shared storage")
        path, shown = stage_upload(settings, data, filename), Path(filename).name or "manifest.csv"
    else:
        path, root = shared_path(settings, manifest_path, "manifest path")
        base_dir, shown = None, manifest_path
        if not path.is_file():
            raise _refuse(f"manifest {manifest_path!r} not found on shared storage")
    try:
        return batches.submit(
            replace(settings, data_root=root), path, panel, enqueue, batch_id, base_dir, programme
        )
    except ManifestError as exc:  # name the lab's file, not the staged copy's server path
        raise ManifestError(shown, [_rename(p, path, shown) for p in exc.problems]) from None


def _rename(problem: Problem, path: Path, shown: str) -> Problem:
    where = problem.where.replace(str(path), shown).replace(path.name, Path(shown).name)
    return Problem(where, problem.message.replace(str(path), shown))
