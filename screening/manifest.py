"""A batch manifest: read it and check every row (every problem at once, named by file and line).

Manifest CSV columns: ``sample_id,vcf,sex`` required; optional ``vcf_sample`` (default: sample_id),
``pct_autosomal_15x``, ``q30_gb``, ``contamination_pct``, ``smn1_copies``. VCF paths are relative to
the manifest's folder and must resolve (symbolic links followed) inside the data root:
``SCREENING_DATA_ROOT`` when set, else the manifest's own folder (the CLI; the web upload and the API
pass theirs, ``Settings.shared_data_root``). Each VCF is inspected and hashed here, in threads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from screening import vcf
from screening.db.batches import NewSample
from screening.domain import N_, PanelVersion, Reason, Sex
from screening.errors import ManifestError, Problem, VcfError
from screening.inputs import decimal, field_problem, is_plain_id, plain_id_problem, whole

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
class Manifest:
    path: Path
    sha256: str
    rows: tuple[dict[str, str], ...]  # with the CSV line number under "_line"
    base_dir: Path  # where relative VCF paths resolve: the manifest's folder unless given


def read_manifest(path: Path, base_dir: Path | None = None) -> tuple[Manifest, list[Problem]]:
    """Parse the CSV; header and row-shape problems are returned (with the line), not raised."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.is_file() else None
    except (OSError, ValueError):
        data = None
    if data is None:
        raise ManifestError(str(path), [Problem(str(path), Reason(N_("manifest file not found")))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(str(path), [Problem(str(path), Reason(N_("not UTF-8 text")))]) from None
    header, records, problems = _records(text, path.name)
    rows = []
    for line, fields in records:
        if len(fields) != len(header):
            message = Reason(
                N_("{n} field(s) but the header has {header}"), n=len(fields), header=len(header)
            )
            problems.append(Problem(f"{path.name}:{line}", message))
            continue
        row = dict(zip(header, (f.strip() for f in fields), strict=True))
        if any(row.values()):
            rows.append({**row, "_line": str(line)})
    if not rows and not problems:
        problems.append(Problem(path.name, Reason(N_("the manifest has no samples"))))
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
        problems.append(
            Problem(f"{name}:{start}", Reason(N_("not readable as CSV ({error})"), error=str(exc)))
        )
    header = header or []
    return header, records, _header_problems(header, name) + problems


def _header_problems(header: list[str], name: str) -> list[Problem]:
    where = f"{name}:1"
    problems = [
        Problem(where, Reason(N_("required column {column!r} is missing"), column=c))
        for c in REQUIRED
        if c not in header
    ]
    for c in header:
        bad = field_problem("a column name", c, 100)
        if bad:
            problems.append(Problem(where, bad))
        elif c not in REQUIRED + OPTIONAL:
            known = ", ".join(REQUIRED + OPTIONAL)
            problems.append(
                Problem(
                    where, Reason(N_("unknown column {column!r} (known: {known})"), column=c, known=known)
                )
            )
    for c in sorted({c for c in header if header.count(c) > 1}):
        problems.append(
            Problem(where, Reason(N_("column {column!r} is given {n} times"), column=c, n=header.count(c)))
        )
    return problems


def _where(manifest: Manifest, row: dict[str, str]) -> str:
    sample = row.get("sample_id") or "?"
    if not is_plain_id(sample):
        sample = "?"
    return Reason(
        N_("{where} (sample {sample})"), where=f"{manifest.path.name}:{row['_line']}", sample=sample
    )


def _numbers(row: dict[str, str], where: str, problems: list[Problem]) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for name, (low, high) in NUMBERS.items():
        text = row.get(name, "")
        value, problem = decimal(text, low, high) if text else (None, None)
        if problem:
            problems.append(Problem(where, Reason(N_("{name} {problem}"), name=name, problem=problem)))
        out[name] = value
    text = row.get("smn1_copies", "")
    value, problem = whole(text, 0, SMN1_MAX) if text else (None, None)
    if problem:
        problems.append(Problem(where, Reason(N_("{name} {problem}"), name="smn1_copies", problem=problem)))
    out["smn1_copies"] = value
    return out


def _vcf_path(manifest: Manifest, row: dict[str, str], data_root: Path) -> tuple[Path | None, str]:
    text = row.get("vcf", "")
    if not text:
        return None, Reason(N_("vcf is empty"))
    try:
        path = (manifest.base_dir / text).resolve()
        if not path.is_relative_to(data_root):
            return None, Reason(
                N_(
                    "VCF {vcf!r} resolves outside the data root (SCREENING_DATA_ROOT; without it, the "
                    "manifest's folder for the CLI, SCREENING_HOME/data for the web and API): give a "
                    "path inside it"
                ),
                vcf=text,
            )
        if not path.is_file():
            return None, Reason(
                N_("VCF {vcf!r} not found in the data root (looked for {looked})"),
                vcf=text,
                looked=str(path.relative_to(data_root)),
            )
    except (OSError, ValueError) as exc:  # a name too long for the file system, a loop of links
        return None, Reason(
            N_("VCF {vcf!r} cannot be looked up ({error})"), vcf=text, error=type(exc).__name__
        )
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
        problems.append(
            Problem(where, Reason(N_("sex {sex!r} is not one of {sexes}"), sex=sex, sexes=", ".join(SEXES)))
        )
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
            problems.append(Problem(where, exc.reason))
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
                Problem(
                    _where(manifest, row),
                    Reason(N_("duplicate sample_id (first on line {line})"), line=seen[sid]),
                )
            )
        seen.setdefault(sid, row["_line"])
        key = _vcf_column(manifest, row)
        if key is None:
            continue
        if key in columns and seen[sid] == row["_line"]:
            message = Reason(
                N_("the same VCF and VCF column as line {line} under another sample_id"), line=columns[key]
            )
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
