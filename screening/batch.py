"""Batch submission: validate the whole manifest (every problem at once), commit, then enqueue.

Manifest CSV columns: ``sample_id,vcf,sex`` required; optional ``vcf_sample`` (default: sample_id),
``pct_autosomal_15x``, ``q30_gb``, ``contamination_pct``, ``smn1_copies``. VCF paths are relative to
the manifest's folder and must resolve (symbolic links followed) inside the data root:
``SCREENING_DATA_ROOT`` when set, else the manifest's own folder (the CLI; the web upload and the API
pass theirs, ``Settings.shared_data_root``).
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
from typing import Any

from screening import programmes as programmes_config
from screening import vcf
from screening.config import Settings
from screening.db import batches, connection, panels, results, workers
from screening.db import curation as db_curation
from screening.db import turnaround as db_turnaround
from screening.db.batches import NewBatch, NewSample
from screening.domain import PanelVersion, SampleResult, Sex
from screening.errors import ManifestError, NotFoundError, Problem, StateError, ValidationError, VcfError
from screening.inputs import decimal, field_problem, is_plain_id, plain_id_problem, whole
from screening.turnaround import Milestones

NO_MILESTONES = Milestones(None, None, None, None)
VALIDATION_THREADS = min(4, os.cpu_count() or 1)

REQUIRED = ("sample_id", "vcf", "sex")
OPTIONAL = ("vcf_sample", "pct_autosomal_15x", "q30_gb", "contamination_pct", "smn1_copies")
SEXES = tuple(s.value for s in Sex)
PERCENT_RANGE = (0.0, 100.0)
Q30_GB_MAX = 100_000.0  # gigabases; a whole genome at 30x is about 100
SMN1_MAX = 99
NUMBERS = {
    "pct_autosomal_15x": PERCENT_RANGE,
    "q30_gb": (0.0, Q30_GB_MAX),
    "contamination_pct": PERCENT_RANGE,
}


@dataclass(frozen=True)
class Submission:
    lab_batch_id: str
    batch_pk: int
    created: bool  # False: this manifest was already submitted under this batch id
    sample_ids: tuple[int, ...]
    programme: str = "england"


@dataclass(frozen=True)
class Manifest:
    path: Path
    sha256: str
    rows: tuple[dict[str, str], ...]  # with the CSV line number under "_line"
    base_dir: Path  # where relative VCF paths resolve: the manifest's folder unless given


def default_batch_id(manifest_sha256: str) -> str:
    return f"manifest-{manifest_sha256[:16]}"


def read_manifest(path: Path, base_dir: Path | None = None) -> tuple[Manifest, list[Problem]]:
    """Parse the CSV; header and row-shape problems are returned (with the line), not raised."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.is_file() else None
    except (OSError, ValueError):
        data = None
    if data is None:
        raise ManifestError(str(path), [Problem(str(path), "manifest file not found")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(str(path), [Problem(str(path), "not UTF-8 text")]) from None
    header, records, problems = _records(text, path.name)
    rows = []
    for line, fields in records:
        if len(fields) != len(header):
            message = f"{len(fields)} field(s) but the header has {len(header)}"
            problems.append(Problem(f"{path.name}:{line}", message))
            continue
        row = dict(zip(header, (f.strip() for f in fields), strict=True))
        if any(row.values()):
            rows.append({**row, "_line": str(line)})
    if not rows and not problems:
        problems.append(Problem(path.name, "the manifest has no samples"))
    folder = (base_dir or path.parent).resolve()
    return Manifest(path, hashlib.sha256(data).hexdigest(), tuple(rows), folder), problems


def _records(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    """The header and the (line, fields) records; a CSV the csv module cannot read is one problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    start = 1  # the line the next record starts on (a quoted field may span lines)
    try:
        for fields in reader:
            if header is None:
                header = [h.strip() for h in fields]
            elif fields:
                records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        problems.append(Problem(f"{name}:{start}", f"not readable as CSV ({exc})"))
    header = header or []
    return header, records, _header_problems(header, name) + problems


def _header_problems(header: list[str], name: str) -> list[Problem]:
    where = f"{name}:1"
    problems = [Problem(where, f"required column {c!r} is missing") for c in REQUIRED if c not in header]
    for c in header:
        bad = field_problem("a column name", c, 100)
        if bad:
            problems.append(Problem(where, bad))
        elif c not in REQUIRED + OPTIONAL:
            problems.append(Problem(where, f"unknown column {c!r} (known: {', '.join(REQUIRED + OPTIONAL)})"))
    for c in sorted({c for c in header if header.count(c) > 1}):
        problems.append(Problem(where, f"column {c!r} is given {header.count(c)} times"))
    return problems


def _where(manifest: Manifest, row: dict[str, str]) -> str:
    sample = row.get("sample_id") or "?"
    if not is_plain_id(sample):
        sample = "?"
    return f"{manifest.path.name}:{row['_line']} (sample {sample})"


def _numbers(row: dict[str, str], where: str, problems: list[Problem]) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for name, (low, high) in NUMBERS.items():
        text = row.get(name, "")
        value, problem = decimal(text, low, high) if text else (None, None)
        if problem:
            problems.append(Problem(where, f"{name} {problem}"))
        out[name] = value
    text = row.get("smn1_copies", "")
    value, problem = whole(text, 0, SMN1_MAX) if text else (None, None)
    if problem:
        problems.append(Problem(where, f"smn1_copies {problem}"))
    out["smn1_copies"] = value
    return out


def _vcf_path(manifest: Manifest, row: dict[str, str], data_root: Path) -> tuple[Path | None, str]:
    text = row.get("vcf", "")
    if not text:
        return None, "vcf is empty"
    try:
        path = (manifest.base_dir / text).resolve()
        if not path.is_relative_to(data_root):
            return None, (
                f"VCF {text!r} resolves outside the data root (SCREENING_DATA_ROOT; without it, the "
                "manifest's folder for the CLI, SCREENING_HOME/data for the web and API): give a path "
                "inside it"
            )
        if not path.is_file():
            return None, f"VCF {text!r} not found in the data root (looked for {path.relative_to(data_root)})"
    except (OSError, ValueError) as exc:  # a name too long for the file system, a loop of links
        return None, f"VCF {text!r} cannot be looked up ({type(exc).__name__})"
    return path, ""


def _field_problems(row: dict[str, str], where: str) -> list[Problem]:
    """Control characters and oversized fields; sample ids must be plain identifiers."""
    problems = []
    for name, value in row.items():
        if name == "_line":
            continue
        bad = field_problem(name, value)
        if bad:
            problems.append(Problem(where, bad))
    if not problems:
        bad = plain_id_problem("sample_id", row.get("sample_id", ""))
        if bad:
            problems.append(Problem(where, bad))
    return problems


def _check_row(
    manifest: Manifest, row: dict[str, str], panel: PanelVersion | None, data_root: Path
) -> tuple[NewSample | None, list[Problem]]:
    where = _where(manifest, row)
    problems = _field_problems(row, where)
    if problems:
        return None, problems  # nothing else is looked at: the row is not text a lab wrote
    sex = row.get("sex", "")
    if sex not in SEXES:
        problems.append(Problem(where, f"sex {sex!r} is not one of {', '.join(SEXES)}"))
    numbers = _numbers(row, where, problems)
    path, problem = _vcf_path(manifest, row, data_root)
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
    """A sample id given twice, and one VCF column given under two sample ids (the same baby twice)."""
    seen: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    problems = []
    for row in manifest.rows:
        sid = row.get("sample_id", "")
        if sid and sid in seen:
            problems.append(
                Problem(_where(manifest, row), f"duplicate sample_id (first on line {seen[sid]})")
            )
        seen.setdefault(sid, row["_line"])
        key = _vcf_column(manifest, row)
        if key is None:
            continue
        if key in columns and seen[sid] == row["_line"]:
            message = f"the same VCF and VCF column as line {columns[key]} under another sample_id"
            problems.append(Problem(_where(manifest, row), message))
        columns.setdefault(key, row["_line"])
    return problems


def _vcf_column(manifest: Manifest, row: dict[str, str]) -> tuple[str, str] | None:
    text = row.get("vcf", "")
    if not text or any(field_problem(k, v) for k, v in row.items() if k != "_line"):
        return None
    try:
        path = str((manifest.base_dir / text).resolve())
    except (OSError, ValueError):
        return None
    return path, row.get("vcf_sample") or row.get("sample_id", "")


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
            return "no worker has been seen: queued samples wait until one runs (screening worker)"
        if self.worker_seen_seconds > NO_WORKER_SECONDS:
            return (
                f"no worker has been seen for {self.worker_seen_seconds:.0f} s: queued samples wait "
                "until one runs (screening worker)"
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
        raise NotFoundError(f"batch {_shown(lab_batch_id)} does not exist (screening batch list)")
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
                raise NotFoundError(f"batch {lab_batch_id} has no sample {_shown(sample_id)}")
        runs = results.load_results(conn, [s.run_id for s in samples if s.run_id is not None])
        label = panels.get_version(conn, row.panel_version_id).label
        seen = workers.seconds_since_seen(conn)
        milestones = db_turnaround.for_batch(conn, row.id)
    pairs = tuple((s, runs.get(s.run_id) if s.sample.state == "screened" else None) for s in samples)
    return BatchStatus(row, label, pairs, seen, milestones)


def progress(settings: Settings, lab_batch_id: str) -> batches.BatchSummary:
    """The batch's state and counts per sample state, without loading results."""
    if not is_plain_id(lab_batch_id):
        raise NotFoundError(f"batch {_shown(lab_batch_id)} does not exist (screening batch list)")
    with connection.session(settings) as conn:
        summary = batches.progress(conn, lab_batch_id)
    if summary is None:
        raise NotFoundError(f"batch {lab_batch_id} does not exist (screening batch list)")
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
