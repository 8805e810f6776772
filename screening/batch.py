"""Batch submission: validate the whole manifest (every problem at once), commit, then enqueue.

Manifest CSV columns: ``sample_id,vcf,sex`` required; optional ``vcf_sample`` (default: sample_id),
``pct_autosomal_15x``, ``q30_gb``, ``contamination_pct``, ``smn1_copies``. VCF paths are relative to
the manifest's folder and must resolve (symbolic links followed) inside the data root:
``SCREENING_DATA_ROOT`` when set, else the manifest's own folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from screening import vcf
from screening.config import Settings
from screening.db import batches, connection, panels, results
from screening.db import curation as db_curation
from screening.db import turnaround as db_turnaround
from screening.db.batches import NewBatch, NewSample
from screening.domain import PanelVersion, SampleResult, Sex
from screening.errors import ManifestError, NotFoundError, Problem, StateError, VcfError
from screening.turnaround import Milestones

NO_MILESTONES = Milestones(None, None, None, None)
VALIDATION_THREADS = min(4, os.cpu_count() or 1)

REQUIRED = ("sample_id", "vcf", "sex")
OPTIONAL = ("vcf_sample", "pct_autosomal_15x", "q30_gb", "contamination_pct", "smn1_copies")
SEXES = tuple(s.value for s in Sex)
PERCENT_RANGE = (0.0, 100.0)
NUMBERS = {
    "pct_autosomal_15x": PERCENT_RANGE,
    "q30_gb": (0.0, float("inf")),
    "contamination_pct": PERCENT_RANGE,
}


@dataclass(frozen=True)
class Submission:
    lab_batch_id: str
    batch_pk: int
    created: bool  # False: this manifest was already submitted under this batch id
    sample_ids: tuple[int, ...]


@dataclass(frozen=True)
class Manifest:
    path: Path
    sha256: str
    rows: tuple[dict[str, str], ...]  # with the CSV line number under "_line"
    base_dir: Path  # where relative VCF paths resolve: the manifest's folder unless given


def default_batch_id(manifest_sha256: str) -> str:
    return f"manifest-{manifest_sha256[:16]}"


def read_manifest(path: Path, base_dir: Path | None = None) -> tuple[Manifest, list[Problem]]:
    """Parse the CSV; header problems (missing or unknown columns) are returned, not raised."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(str(path), [Problem(str(path), "manifest file not found")])
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(str(path), [Problem(str(path), "not UTF-8 text")]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    problems = [
        Problem(f"{path.name}:1", f"required column {c!r} is missing") for c in REQUIRED if c not in header
    ]
    problems += [
        Problem(f"{path.name}:1", f"unknown column {c!r} (known: {', '.join(REQUIRED + OPTIONAL)})")
        for c in header
        if c not in REQUIRED + OPTIONAL
    ]
    rows = []
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if any(row.values()):
            rows.append({**row, "_line": str(reader.line_num)})
    if not rows and not problems:
        problems.append(Problem(path.name, "the manifest has no samples"))
    folder = (base_dir or path.parent).resolve()
    return Manifest(path, hashlib.sha256(data).hexdigest(), tuple(rows), folder), problems


def _where(manifest: Manifest, row: dict[str, str]) -> str:
    sample = row.get("sample_id") or "?"
    return f"{manifest.path.name}:{row['_line']} (sample {sample})"


def _numbers(row: dict[str, str], where: str, problems: list[Problem]) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for name, (low, high) in NUMBERS.items():
        text = row.get(name, "")
        try:
            out[name] = float(text) if text else None
        except ValueError:
            problems.append(Problem(where, f"{name} {text!r} is not a number"))
            continue
        if out[name] is not None and not low <= out[name] <= high:
            problems.append(Problem(where, f"{name} {text} is outside {low:g}..{high:g}"))
    text = row.get("smn1_copies", "")
    out["smn1_copies"] = int(text) if text.isdigit() else None
    if text and not text.isdigit():
        problems.append(Problem(where, f"smn1_copies {text!r} is not a whole number >= 0"))
    return out


def _vcf_path(
    manifest: Manifest, row: dict[str, str], data_root: Path, where: str
) -> tuple[Path | None, str]:
    text = row.get("vcf", "")
    if not text:
        return None, "vcf is empty"
    path = (manifest.base_dir / text).resolve()
    if not path.is_relative_to(data_root):
        return None, f"VCF {text!r} resolves outside the data root {data_root} (set SCREENING_DATA_ROOT)"
    if not path.is_file():
        return None, f"VCF {text!r} not found (looked for {path})"
    return path, ""


def _check_row(
    manifest: Manifest, row: dict[str, str], panel: PanelVersion | None, data_root: Path
) -> tuple[NewSample | None, list[Problem]]:
    where, problems = _where(manifest, row), []
    if not row.get("sample_id"):
        problems.append(Problem(where, "sample_id is empty"))
    sex = row.get("sex", "")
    if sex not in SEXES:
        problems.append(Problem(where, f"sex {sex!r} is not one of {', '.join(SEXES)}"))
    numbers = _numbers(row, where, problems)
    path, problem = _vcf_path(manifest, row, data_root, where)
    if problem:
        problems.append(Problem(where, problem))
    vcf_sample = row.get("vcf_sample") or row.get("sample_id", "")
    facts = None
    if path is not None and panel is not None:
        try:
            facts = vcf.inspect_vcf(path, vcf_sample, panel.genome_build, panel.settings.population_af_fields)
        except VcfError as exc:
            problems.append(Problem(where, str(exc)))
    if problems or facts is None:
        return None, problems
    sample = NewSample(row["sample_id"], str(path), vcf_sample, facts.sha256, sex, **numbers)
    return sample, []


def _duplicates(manifest: Manifest) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for row in manifest.rows:
        sid = row.get("sample_id", "")
        if sid and sid in seen:
            problems.append(
                Problem(_where(manifest, row), f"duplicate sample_id (first on line {seen[sid]})")
            )
        seen.setdefault(sid, row["_line"])
    return problems


def validate(
    manifest: Manifest, panel: PanelVersion | None, data_root: Path
) -> tuple[list[NewSample], list[Problem]]:
    """Every row checked; VCFs inspected only when the panel (its genome build) is known.

    Rows are checked in threads (the sha256 of each VCF, the bulk of the work, releases the GIL),
    results kept in manifest order."""
    samples, problems = [], _duplicates(manifest)
    with ThreadPoolExecutor(max_workers=VALIDATION_THREADS, thread_name_prefix="manifest") as pool:
        checked = list(pool.map(lambda row: _check_row(manifest, row, panel, data_root), manifest.rows))
    for sample, row_problems in checked:
        problems += row_problems
        if sample is not None:
            samples.append(sample)
    return samples, problems


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
) -> Submission:
    """Validate everything, write the batch and its samples in one transaction, then enqueue them.

    ``base_dir``: where the manifest's relative VCF paths resolve (default: the manifest's folder; an
    uploaded manifest is stored elsewhere, unchanged, so its sha256 stays the lab's file's).
    """
    manifest, problems = read_manifest(manifest_path, base_dir)
    batch_id = lab_batch_id or default_batch_id(manifest.sha256)
    data_root = settings.data_root or manifest.base_dir
    conn = connection.connect(connection.database_url(settings))
    try:
        existing = _existing(conn, batch_id, manifest)
        if existing is not None:
            return existing
        panel, pv_id, panel_problems = _panel(conn, panel_label)
        samples, row_problems = validate(manifest, panel, data_root)
        problems += panel_problems + row_problems
        if problems:
            raise ManifestError(str(manifest.path), problems)
        new = NewBatch(batch_id, pv_id, manifest.path.name, manifest.sha256, tuple(samples))
        try:
            with connection.transaction(conn, settings.actor):
                batch_pk, sample_ids = batches.insert_batch(conn, new, settings.actor)
        except StateError:  # submitted concurrently under the same id
            return _existing(conn, batch_id, manifest)
        enqueue(sample_ids)
        batches.mark_enqueued(conn, sample_ids)
        return Submission(batch_id, batch_pk, True, tuple(sample_ids))
    finally:
        conn.close()


def _existing(conn, batch_id: str, manifest: Manifest) -> Submission | None:
    row = batches.find_batch(conn, batch_id)
    if row is None:
        return None
    if row.manifest_sha256 != manifest.sha256:
        problem = Problem(
            "--batch-id", f"batch {batch_id} already exists with another manifest ({row.manifest_name})"
        )
        raise ManifestError(str(manifest.path), [problem])
    return Submission(batch_id, row.id, False, ())


# ---------------------------------------------------------------- status and retry


@dataclass(frozen=True)
class BatchStatus:
    batch: batches.BatchRow
    panel_label: str
    samples: tuple[tuple[batches.SampleStatus, SampleResult | None], ...]
    turnaround: dict[int, Milestones] = field(default_factory=dict)  # by sample pk

    def milestones(self, status: batches.SampleStatus) -> Milestones:
        return self.turnaround.get(status.sample.id, NO_MILESTONES)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(batches.SAMPLE_STATES, 0)
        for status, _ in self.samples:
            counts[status.sample.state] += 1
        return counts


def _find(conn, lab_batch_id: str) -> batches.BatchRow:
    row = batches.find_batch(conn, lab_batch_id)
    if row is None:
        raise NotFoundError(f"batch {lab_batch_id} does not exist (screening batch list)")
    return row


def status(settings: Settings, lab_batch_id: str) -> BatchStatus:
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row = _find(conn, lab_batch_id)
        samples = batches.list_samples(conn, row.id)
        runs = results.load_results(conn, [s.run_id for s in samples if s.run_id is not None])
        label = panels.get_version(conn, row.panel_version_id).label
        milestones = db_turnaround.for_batch(conn, row.id)
    pairs = tuple((s, runs.get(s.run_id) if s.sample.state == "screened" else None) for s in samples)
    return BatchStatus(row, label, pairs, milestones)


def progress(settings: Settings, lab_batch_id: str) -> batches.BatchSummary:
    """The batch's state and counts per sample state, without loading results."""
    with connection.session(settings) as conn:
        summary = batches.progress(conn, lab_batch_id)
    if summary is None:
        raise NotFoundError(f"batch {lab_batch_id} does not exist (screening batch list)")
    return summary


def list_batches(settings: Settings, limit: int = 50) -> list[batches.BatchSummary]:
    with connection.session(settings) as conn:
        return batches.list_batches(conn, limit)


def retry(
    settings: Settings, lab_batch_id: str, states: tuple[str, ...], enqueue: Callable[[list[int]], None]
) -> list[int]:
    """Re-queue a batch's failed (and/or held) samples with a fresh attempt budget; enqueue after commit."""
    with connection.session(settings) as conn:
        with connection.transaction(conn, settings.actor):
            ids = batches.requeue(conn, _find(conn, lab_batch_id).id, states)
        if ids:
            enqueue(ids)
            batches.mark_enqueued(conn, ids)
    return ids
