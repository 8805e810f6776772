"""Batches as use cases: submit a manifest (validate everything, commit, then enqueue), its status and
progress, the batch list, and retrying what failed. The manifest itself is read and checked in
``manifest.py``; the SQL is ``db/batches.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening import programmes as programmes_config
from screening.config import Settings
from screening.db import batches, connection, panels, results, workers
from screening.db import curation as db_curation
from screening.db import turnaround as db_turnaround
from screening.db.batches import NewBatch
from screening.domain import N_, PanelVersion, Reason, SampleResult
from screening.errors import ManifestError, NotFoundError, Problem, StateError, ValidationError
from screening.inputs import is_plain_id, plain_id_problem
from screening.manifest import Manifest, read_manifest, validate
from screening.turnaround import Milestones

NO_MILESTONES = Milestones(None, None, None, None)


@dataclass(frozen=True)
class Submission:
    lab_batch_id: str
    batch_pk: int
    created: bool  # False: this manifest was already submitted under this batch id
    sample_ids: tuple[int, ...]
    programme: str = "england"


def default_batch_id(manifest_sha256: str) -> str:
    return f"manifest-{manifest_sha256[:16]}"


def _panel(conn, label: str) -> tuple[PanelVersion | None, int | None, list[Problem]]:
    try:
        panel_id, version = panels.parse_label(label)
    except ValueError as exc:
        return None, None, [Problem("--panel", str(exc))]
    row = panels.find_version(conn, panel_id, version)
    if row is None:
        return (
            None,
            None,
            [Problem("--panel", f"panel version {label} is not published (screening panel publish)")],
        )
    retired = db_curation.summary(conn, panel_id, version).retired_at
    if retired is not None:
        message = f"panel version {label} was retired on {retired:%Y-%m-%d}: choose a current version"
        return None, None, [Problem("--panel", message)]
    return panels.load_panel_version(conn, row.id), row.id, []


def submit(
    settings: Settings,
    manifest_path: Path,
    panel_label: str,
    enqueue: Callable[[list[int]], None],
    lab_batch_id: str | None = None,
    base_dir: Path | None = None,
    programme: str | None = None,
) -> Submission:
    """Validate everything, write the batch and its samples in one transaction, then enqueue them.

    ``base_dir``: where the manifest's relative VCF paths resolve (default: the manifest's folder; an
    uploaded manifest is stored elsewhere, unchanged, so its sha256 stays the lab's file's).
    ``programme``: the programme the batch belongs to (a key of the deployment's programmes; default:
    the deployment's default programme); its panels must include the panel's id.
    """
    manifest, problems = read_manifest(manifest_path, base_dir)
    chosen, programme_problems = _programme(settings, programme, panel_label)
    problems += programme_problems
    batch_id = lab_batch_id or default_batch_id(manifest.sha256)
    bad_id = plain_id_problem("batch id", batch_id)
    if bad_id:
        raise ManifestError(str(manifest.path), [Problem("--batch-id", bad_id)])
    data_root = settings.data_root or manifest.base_dir
    conn = connection.connect(connection.database_url(settings))
    try:
        existing = _existing(conn, batch_id, manifest, chosen)
        if existing is not None and programme_problems:
            raise ManifestError(str(manifest.path), programme_problems)
        if existing is not None:
            return existing
        panel, pv_id, panel_problems = _panel(conn, panel_label)
        samples, row_problems = validate(manifest, panel, data_root)
        problems += panel_problems + row_problems
        if problems:
            raise ManifestError(str(manifest.path), problems)
        new = NewBatch(batch_id, pv_id, manifest.path.name, manifest.sha256, tuple(samples), chosen.key)
        try:
            with connection.transaction(conn, settings.actor):
                batch_pk, sample_ids = batches.insert_batch(conn, new, settings.actor)
        except StateError:  # submitted concurrently under the same id
            return _existing(conn, batch_id, manifest, chosen)
        enqueue(sample_ids)
        batches.mark_enqueued(conn, sample_ids)
        return Submission(batch_id, batch_pk, True, tuple(sample_ids), chosen.key)
    finally:
        conn.close()


def _programme(
    settings: Settings, key: str | None, panel_label: str
) -> tuple[programmes_config.Programme | None, list[Problem]]:
    """The batch's programme, and the problems with it: unknown, or not screening with this panel."""
    try:
        chosen = programmes_config.for_settings(settings).choose(key)
    except NotFoundError as exc:
        return None, [Problem("--programme", str(exc))]
    except ValidationError as exc:
        return None, list(exc.problems)
    panel_id = panel_label.split("@", 1)[0]
    if is_plain_id(panel_id) and not chosen.screens_with(panel_id):
        allowed = ", ".join(chosen.panels)
        message = f"programme {chosen.key} does not screen with panel {panel_id} (its panels: {allowed})"
        return chosen, [Problem("--panel", message)]
    return chosen, []


def _existing(conn, batch_id: str, manifest: Manifest, programme) -> Submission | None:
    row = batches.find_batch(conn, batch_id)
    if row is None:
        return None
    if row.manifest_sha256 != manifest.sha256:
        problem = Problem(
            "--batch-id", f"batch {batch_id} already exists with another manifest ({row.manifest_name})"
        )
        raise ManifestError(str(manifest.path), [problem])
    if programme is not None and row.programme != programme.key:
        problem = Problem("--programme", f"batch {batch_id} already exists in programme {row.programme}")
        raise ManifestError(str(manifest.path), [problem])
    return Submission(batch_id, row.id, False, (), row.programme)


# ---------------------------------------------------------------- status and retry


NO_WORKER_SECONDS = 60.0  # warn when samples wait and no worker has beaten for this long


@dataclass(frozen=True)
class BatchStatus:
    batch: batches.BatchRow
    panel_label: str
    samples: tuple[tuple[batches.SampleStatus, SampleResult | None], ...]
    worker_seen_seconds: float | None = None  # since any worker's last heartbeat; None: never
    turnaround: dict[int, Milestones] = field(default_factory=dict)  # by sample pk

    def milestones(self, status: batches.SampleStatus) -> Milestones:
        return self.turnaround.get(status.sample.id, NO_MILESTONES)

    @property
    def worker_warning(self) -> str | None:
        """A warning when samples wait but no worker has been seen for a while (or ever)."""
        counts = self.counts
        if not counts["queued"] and not counts["running"]:
            return None
        if self.worker_seen_seconds is None:
            return Reason(
                N_("no worker has been seen: queued samples wait until one runs (screening worker)")
            )
        if self.worker_seen_seconds > NO_WORKER_SECONDS:
            return Reason(
                N_(
                    "no worker has been seen for {seconds:.0f} s: queued samples wait until one runs "
                    "(screening worker)"
                ),
                seconds=self.worker_seen_seconds,
            )
        return None

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(batches.SAMPLE_STATES, 0)
        for status, _ in self.samples:
            counts[status.sample.state] += 1
        return counts


def _shown(lab_batch_id: str) -> str:
    return lab_batch_id if is_plain_id(lab_batch_id) else ascii(lab_batch_id)[:80]


def _find(conn, lab_batch_id: str) -> batches.BatchRow:
    row = batches.find_batch(conn, lab_batch_id) if is_plain_id(lab_batch_id) else None
    if row is None:
        raise NotFoundError(
            Reason(N_("batch {shown} does not exist (screening batch list)"), shown=_shown(lab_batch_id))
        )
    return row


def status(settings: Settings, lab_batch_id: str, sample_id: str | None = None) -> BatchStatus:
    """The batch and its samples with their results; with ``sample_id``, that sample only
    (NotFoundError when the batch has no such sample)."""
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row = _find(conn, lab_batch_id)
        samples = batches.list_samples(conn, row.id)
        if sample_id is not None:
            samples = [s for s in samples if s.sample.sample_id == sample_id]
            if not samples:
                raise NotFoundError(
                    Reason(
                        N_("batch {lab_batch_id} has no sample {shown}"),
                        lab_batch_id=lab_batch_id,
                        shown=_shown(sample_id),
                    )
                )
        runs = results.load_results(conn, [s.run_id for s in samples if s.run_id is not None])
        label = panels.get_version(conn, row.panel_version_id).label
        seen = workers.seconds_since_seen(conn)
        milestones = db_turnaround.for_batch(conn, row.id)
    pairs = tuple((s, runs.get(s.run_id) if s.sample.state == "screened" else None) for s in samples)
    return BatchStatus(row, label, pairs, seen, milestones)


def progress(settings: Settings, lab_batch_id: str) -> batches.BatchSummary:
    """The batch's state and counts per sample state, without loading results."""
    if not is_plain_id(lab_batch_id):
        raise NotFoundError(
            Reason(N_("batch {shown} does not exist (screening batch list)"), shown=_shown(lab_batch_id))
        )
    with connection.session(settings) as conn:
        summary = batches.progress(conn, lab_batch_id)
    if summary is None:
        raise NotFoundError(
            Reason(
                N_("batch {lab_batch_id} does not exist (screening batch list)"), lab_batch_id=lab_batch_id
            )
        )
    return summary


def list_batches(settings: Settings, limit: int = 50) -> list[batches.BatchSummary]:
    with connection.session(settings) as conn:
        return batches.list_batches(conn, limit)


def list_batch_page(
    settings: Settings, limit: int, offset: int, **filters: Any
) -> tuple[list[batches.BatchSummary], int]:
    """A page of batches newest first and how many match (filters: state, panel_id, since)."""
    with connection.session(settings) as conn:
        return batches.list_batches_page(conn, limit, offset, filters)


def retry(
    settings: Settings,
    lab_batch_id: str,
    states: tuple[str, ...],
    enqueue: Callable[[list[int]], None],
    sample_ids: tuple[str, ...] | None = None,
) -> list[int]:
    """Re-queue a batch's failed (and/or held) samples — all, or those of ``sample_ids`` — with a fresh
    attempt budget; enqueue after commit."""
    with connection.session(settings) as conn:
        with connection.transaction(conn, settings.actor):
            ids = batches.requeue(conn, _find(conn, lab_batch_id).id, states, sample_ids)
        if ids:
            enqueue(ids)
            batches.mark_enqueued(conn, ids)
    return ids
