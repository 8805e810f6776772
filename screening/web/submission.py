"""Submitting a batch from the web (lab pages and the JSON API): the manifest arrives as an upload (its
VCFs already on shared storage) or as a path on shared storage, and goes through
``screening.batches.submit`` like the CLI's — every problem found at once, nothing written when any.

Paths resolve as the README says: against the data root, ``SCREENING_DATA_ROOT`` or by default
``$SCREENING_HOME/data`` (``Settings.shared_data_root``) — a manifest path, an upload's folder of VCFs,
and the VCF paths inside the manifest; an absolute path is accepted only inside it. Anything outside
is refused.
Errors name the uploaded file and the paths as the lab wrote them, never a server-side path.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import replace
from pathlib import Path

from screening import batches
from screening.config import Settings
from screening.domain import N_, Reason
from screening.errors import ManifestError, Problem, ValidationError

MAX_MANIFEST_BYTES = 5_000_000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


SUBMISSION = N_("batch submission")


def refused(where: Reason, message: Reason) -> ValidationError:
    """A submission refused before its manifest is read (the form, the paths): one problem."""
    return ValidationError(Reason(SUBMISSION), [Problem(where, message)])


def _refuse(message: Reason) -> ValidationError:
    return refused(Reason(SUBMISSION), message)


def shared_path(settings: Settings, given: str, what: Reason) -> tuple[Path, Path]:
    """(resolved path, data root) of a path the lab gave; raises ValidationError, naming no server path."""
    given = (given or "").strip()
    if not given:
        raise _refuse(Reason(N_("{what} is empty"), what=what))
    root = settings.shared_data_root
    if not root.is_dir():
        raise _refuse(
            Reason(
                N_(
                    "the data root does not exist on this server: the operator sets SCREENING_DATA_ROOT, "
                    "or creates the default data folder (SCREENING_HOME/data)"
                )
            )
        )
    try:
        path = (root / given).resolve()
    except (OSError, ValueError):  # a loop of links, a name too long
        raise _refuse(
            Reason(N_("{what} {given!r} cannot be looked up on shared storage"), what=what, given=given)
        ) from None
    if not path.is_relative_to(root):
        raise _refuse(
            Reason(
                N_("{what} {given!r} is outside the data root: give a path inside it"), what=what, given=given
            )
        )
    return path, root


def stage_upload(settings: Settings, data: bytes, filename: str) -> Path:
    """Keep an uploaded manifest, byte for byte, under SCREENING_HOME/uploads/<sha256 prefix>/."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise _refuse(Reason(N_("the manifest is larger than {mb} MB"), mb=MAX_MANIFEST_BYTES // 1_000_000))
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
        raise _refuse(Reason(N_("give exactly one of a manifest upload or a manifest path")))
    if upload is not None:
        data, filename = upload
        base_dir, root = shared_path(settings, folder or ".", Reason(N_("folder")))
        if not base_dir.is_dir():
            raise _refuse(Reason(N_("folder {folder!r} does not exist on shared storage"), folder=folder))
        path, shown = stage_upload(settings, data, filename), Path(filename).name or "manifest.csv"
    else:
        path, root = shared_path(settings, manifest_path, Reason(N_("manifest path")))
        base_dir, shown = None, manifest_path
        if not path.is_file():
            raise _refuse(Reason(N_("manifest {path!r} not found on shared storage"), path=manifest_path))
    try:
        return batches.submit(
            replace(settings, data_root=root), path, panel, enqueue, batch_id, base_dir, programme
        )
    except ManifestError as exc:  # name the lab's file, not the staged copy's server path
        raise ManifestError(shown, [_rename(p, path, shown, root) for p in exc.problems]) from None


def _rename(problem: Problem, path: Path, shown: str, root: Path) -> Problem:
    """A problem naming the lab's file for the staged copy, and a VCF (whose error names the file)
    by its path in the data root, never by the server's path to it."""
    where = _unstaged(problem.where, str(path), shown)
    message = _unstaged(_unstaged(problem.message, str(path), shown), f"{root}{os.sep}", "")
    return Problem(_unstaged(where, path.name, Path(shown).name), message)


def _unstaged(text, staged: str, shown: str):
    """A message with the staged copy's path as the lab's file name; a ``Reason`` stays one (its
    parameters renamed), so it is still shown in the reader's language."""
    if isinstance(text, Reason):
        return Reason(text.template, **{k: _unstaged(v, staged, shown) for k, v in text.params.items()})
    if isinstance(text, tuple):
        return tuple(_unstaged(v, staged, shown) for v in text)
    return text.replace(staged, shown) if isinstance(text, str) else text
