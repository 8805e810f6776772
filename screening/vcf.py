"""VCF boundary: the only module importing cyvcf2 (pysam is used here for writing and indexing).

``inspect_vcf`` validates a file before anything is read; ``read_calls`` reads only the requested
regions through the tabix/CSI index into the calls and annotation frames; ``read_sex_evidence``
counts sex-chromosome calls; ``read_clinvar`` loads a ClinVar snapshot. Every problem becomes an
``errors.VcfError`` (``ClinVarError`` for ClinVar) naming the file, never a bare library exception.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cyvcf2
import polars as pl
import pysam

from screening import annotations as ann
from screening.domain import (
    CONTIG_LENGTHS,
    PARS_Y,
    SCREENED_CONTIGS,
    ClinVarSnapshot,
    SexEvidence,
    VcfFacts,
    canonical_chrom,
    in_par,
)
from screening.errors import ClinVarError, ScreeningError, VcfError

Region = tuple[str, int, int]  # canonical chrom, 1-based inclusive start, end

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_INDEX_MTIME_TOLERANCE_S = 1.0  # filesystem timestamp granularity when both are copied together
_INT_MISSING = -2147483647  # htslib int32 missing (-2^31) and vector_end (-2^31 + 1) are <= this
_CONTIG = re.compile(r"^##contig=<ID=([^,>]+)(?:.*?[<,]length=(\d+))?", re.MULTILINE)
_FILEDATE = re.compile(r"^##fileDate=(\S+)", re.MULTILINE)
_REFERENCE = re.compile(r"^##reference=(\S+)", re.MULTILINE)
_BUILD_ALIASES = {"GRCh37": ("grch37", "hg19", "b37", "hs37"), "GRCh38": ("grch38", "hg38", "b38")}

CALLS_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "chrom": pl.String(),
    "pos": pl.Int64(),
    "ref": pl.String(),
    "alt": pl.String(),
    "end": pl.Int64(),
    "filter": pl.String(),
    "gt": pl.String(),
    "alt_copies": pl.Int8(),
    "ploidy": pl.Int8(),
    "phased": pl.Boolean(),
    "phase_set": pl.String(),
    "phase_hap": pl.Int8(),
    "gq": pl.Int32(),
    "dp": pl.Int32(),
    "ad_ref": pl.Int32(),
    "ad_alt": pl.Int32(),
    "ad_total": pl.Int32(),
}
CLINVAR_SCHEMA: dict[str, pl.DataType] = {
    "chrom": pl.String(),
    "pos": pl.Int64(),
    "ref": pl.String(),
    "alt": pl.String(),
    "clinvar_id": pl.String(),
    "clnsig": pl.String(),
    "plp_count": pl.Int32(),
    "blb_count": pl.Int32(),
    "stars": pl.Int8(),
    "gene": pl.String(),
}


# ---------------------------------------------------------------- files


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_bgzf(path: str, error: type[VcfError]) -> None:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(18)
        fh.seek(max(0, size - len(BGZF_EOF)))
        tail = fh.read()
    if head[:2] != b"\x1f\x8b":
        raise error(path, "is not compressed; compress it with `bgzip` and index it with `tabix -p vcf`")
    if head[3] & 4 == 0 or head[12:14] != b"BC":
        raise error(path, "is plain gzip, not BGZF; recompress it with `bgzip` (then `tabix -p vcf`)")
    if tail != BGZF_EOF:
        raise error(path, "is truncated (no BGZF end-of-file block); copy the complete file again")


def _find_index(path: str, error: type[VcfError]) -> str:
    for suffix in (".tbi", ".csi"):
        index = path + suffix
        if os.path.exists(index):
            if os.path.getmtime(index) + _INDEX_MTIME_TOLERANCE_S < os.path.getmtime(path):
                raise error(path, f"index {os.path.basename(index)} is older than the VCF; re-run `tabix`")
            return index
    raise error(path, "has no index (.tbi or .csi) beside it; create one with `tabix -p vcf`")


def _check_file(path: str, error: type[VcfError] = VcfError) -> str:
    """Existence, BGZF with EOF block, and a fresh index; returns the index path."""
    if not os.path.isfile(path):
        raise error(path, "file not found")
    _check_bgzf(path, error)
    return _find_index(path, error)


def _open(path: str, samples: list[str] | None = None, error: type[VcfError] = VcfError) -> cyvcf2.VCF:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return cyvcf2.VCF(path, samples=samples, lazy=True)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
        raise error(path, f"cannot read the VCF header ({exc}); check the file is a valid VCF") from exc


# ---------------------------------------------------------------- header


@dataclass(frozen=True)
class _Header:
    samples: tuple[str, ...]
    contigs: dict[str, int | None]  # name as written -> length
    info: dict[str, tuple[str, str, str]]  # ID -> (Number, Type, Description)
    formats: dict[str, tuple[str, str]]  # ID -> (Number, Type)
    file_date: str | None
    reference: str | None

    def names(self) -> dict[str, str]:
        """canonical chrom -> name as written in this file."""
        return {canonical_chrom(name): name for name in self.contigs}


def _header(vcf: cyvcf2.VCF) -> _Header:
    info: dict[str, tuple[str, str, str]] = {}
    formats: dict[str, tuple[str, str]] = {}
    for rec in vcf.header_iter():
        if rec.type not in ("INFO", "FORMAT"):
            continue
        fields = rec.info()
        if rec.type == "INFO":
            info[fields["ID"]] = (
                fields.get("Number", "."),
                fields.get("Type", ""),
                fields.get("Description", ""),
            )
        else:
            formats[fields["ID"]] = (fields.get("Number", "."), fields.get("Type", ""))
    raw = vcf.raw_header
    contigs = {m.group(1): int(m.group(2)) if m.group(2) else None for m in _CONTIG.finditer(raw)}
    file_date = _FILEDATE.search(raw)
    reference = _REFERENCE.search(raw)
    return _Header(
        samples=tuple(vcf.samples),
        contigs=contigs,
        info=info,
        formats=formats,
        file_date=file_date.group(1) if file_date else None,
        reference=reference.group(1) if reference else None,
    )


def _annotation_format(header: _Header) -> ann.AnnotationFormat | None:
    return ann.annotation_format({k: v[2].strip('"') for k, v in header.info.items()})


def _looks_like(contigs: Mapping[str, int | None]) -> str | None:
    for build, lengths in CONTIG_LENGTHS.items():
        if all(contigs.get(c) == lengths[c] for c in SCREENED_CONTIGS):
            return build
    return None


def _build_problems(header: _Header, build: str) -> list[str]:
    if build not in CONTIG_LENGTHS:
        return [f"unknown genome build {build!r}; expected one of {', '.join(CONTIG_LENGTHS)}"]
    contigs = {canonical_chrom(n): length for n, length in header.contigs.items()}
    missing = [c for c in SCREENED_CONTIGS if c not in contigs]
    if missing:
        return [
            f"the header declares no ##contig line for chromosome(s) {', '.join(missing)}, so the "
            f"genome build cannot be checked against the panel's {build}; add the ##contig lines"
        ]
    no_length = [c for c in SCREENED_CONTIGS if contigs[c] is None]
    if no_length:
        return [f"##contig lines without length for {', '.join(no_length)}; the build cannot be checked"]
    wrong = [c for c in SCREENED_CONTIGS if contigs[c] != CONTIG_LENGTHS[build][c]]
    if not wrong:
        return []
    looks = _looks_like(contigs)
    what = f"they match {looks}" if looks else "they match no supported build"
    return [
        f"contig lengths differ from {build} (chromosome(s) {', '.join(wrong[:5])}); {what}: "
        f"use a panel for the VCF's build or a VCF called on {build}"
    ]


def _choose_sample(header: _Header, sample: str | None) -> tuple[str | None, list[str]]:
    if sample is None:
        if len(header.samples) == 1:
            return header.samples[0], []
        return None, [f"the VCF has {len(header.samples)} sample columns; name the one to screen"]
    if sample not in header.samples:
        return None, [f"sample column {sample!r} is not in the VCF ({len(header.samples)} sample columns)"]
    return sample, []


def _has_records(vcf: cyvcf2.VCF, path: str) -> bool:
    try:
        return next(iter(vcf), None) is not None
    except Exception as exc:
        raise VcfError(path, f"the first record cannot be read ({exc})") from exc


def inspect_vcf(
    path: str | os.PathLike[str],
    sample: str | None,
    build: str,
    af_fields: Mapping[str, str],
    sha256: str | None = None,
) -> VcfFacts:
    """Validate a VCF before reading: BGZF, index, header, sample, genome build, not empty.

    Header-level problems are collected and reported together in one ``VcfError``.
    ``af_fields`` (population -> INFO field) is accepted for symmetry with ``read_calls``: an AF
    field missing from the header is not an error (its column is all null). ``sha256``: the file's
    digest when the caller has just verified it (a worker does), to avoid hashing it twice.
    """
    path = os.fspath(path)
    _check_file(path)
    vcf = _open(path)
    try:
        header = _header(vcf)
        _chosen, problems = _choose_sample(header, sample)
        problems += _build_problems(header, build)
        if not _has_records(vcf, path):
            problems.append("the VCF has no records (header only)")
    finally:
        vcf.close()
    if problems:
        raise VcfError(path, "; ".join(problems))
    fmt = _annotation_format(header)
    return VcfFacts(
        path=path,
        sha256=sha256 or sha256_file(path),
        annotation=fmt.tag if fmt else None,
        format_fields=frozenset(header.formats),
        info_fields=frozenset(header.info),
        chrom_style="chr" if any(n.lower().startswith("chr") for n in header.contigs) else "plain",
    )


def list_samples(path: str | os.PathLike[str]) -> list[str]:
    """Sample columns of a VCF (for manifest validation)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise VcfError(path, "file not found")
    vcf = _open(path)
    try:
        return list(vcf.samples)
    finally:
        vcf.close()


# ---------------------------------------------------------------- region iteration


class _Cursor:
    """Last record reached, for error messages."""

    def __init__(self) -> None:
        self.last = "the start of the region"


@contextmanager
def _translated(path: str, cursor: _Cursor, error: type[VcfError] = VcfError) -> Iterator[None]:
    """Library exceptions (pysam, cyvcf2, malformed values) become errors naming the record."""
    try:
        yield
    except ScreeningError:
        raise
    except Exception as exc:
        raise error(
            path, f"malformed or unreadable record (last record reached: {cursor.last}; {exc})"
        ) from exc


def _sorted_regions(regions: Sequence[Region], names: Mapping[str, str]) -> list[tuple[Region, str]]:
    """Regions on contigs the file declares, in the file's contig order, each with the contig name
    as the file writes it."""
    rank = {canon: i for i, canon in enumerate(names)}
    out = []
    for chrom, start, end in regions:
        canon = canonical_chrom(chrom)
        if canon in names:
            out.append(((canon, max(1, int(start)), int(end)), names[canon]))
    return sorted(out, key=lambda r: (rank[r[0][0]], r[0][1], r[0][2]))


def _region_lines(
    path: str, regions: Sequence[Region], names: Mapping[str, str], cursor: _Cursor
) -> Iterator[tuple[str, list[str]]]:
    """(canonical chrom, tab-split record) for every record overlapping the regions, each once.

    Records come through the index as text (pysam's tabix iterator raises on a corrupt block or an
    unparsable line, where cyvcf2's region iterator stops silently). A record overlapping two nearby
    regions is kept only in the first: only records reaching past their region's end can come back,
    and only records starting before a region's start can be repeats.
    """
    spill: set[tuple[str, str, str, str]] = set()
    with pysam.TabixFile(path, index=_find_index(path, VcfError)) as tbx:
        indexed = set(tbx.contigs)
        for (chrom, start, end), name in _sorted_regions(regions, names):
            if name not in indexed:
                continue
            for line in tbx.fetch(name, start - 1, end):
                f = line.split("\t")
                if len(f) < 8:
                    raise VcfError(
                        path, f"record {line[:40]!r} has {len(f)} columns; a VCF record has 8 or more"
                    )
                cursor.last = f"{f[0]}:{f[1]}"
                pos = int(f[1])
                if pos < start or pos + len(f[3]) - 1 > end or "<" in f[4]:
                    key = (chrom, f[1], f[3], f[4])
                    if pos < start and key in spill:
                        continue
                    spill.add(key)
                yield chrom, f


# ---------------------------------------------------------------- calls

_MISSING = ("", ".")


def _int(text: str | None) -> int | None:
    if text is None or text in _MISSING:
        return None
    try:
        return int(text)
    except ValueError:
        return math.floor(float(text))  # a Float-typed GQ; floor is the conservative side


def _ints(text: str | None) -> list[int | None] | None:
    if text is None or text in _MISSING:
        return None
    return [None if x in _MISSING else int(x) for x in text.split(",")]


def _info_value(info: str, key: str) -> str | None:
    """Value of one INFO key in the raw INFO column (None when absent)."""
    if info.startswith(key + "="):
        start = len(key) + 1
    else:
        at = info.find(";" + key + "=")
        if at < 0:
            return None
        start = at + len(key) + 2
    stop = info.find(";", start)
    return info[start:] if stop < 0 else info[start:stop]


def _af_value(raw: str | None, number: str, allele: int) -> float | None:
    if raw is None:
        return None
    values = raw.split(",")
    i = allele if number == "R" else allele - 1
    if len(values) == 1 and number not in ("A", "R"):
        i = 0
    text = values[i] if i < len(values) else "."
    if text in _MISSING:
        return None
    value = float(text)
    return None if math.isnan(value) else value


def _parse_gt(gt: str) -> tuple[list[int], bool]:
    """Allele indices (-1 missing) and phasing; a haploid call is never phased."""
    if "|" in gt:
        alleles = [-1 if a == "." else int(a) for a in re.split(r"[/|]", gt)]
        return alleles, len(alleles) == 2 and "/" not in gt
    return [-1 if a == "." else int(a) for a in gt.split("/")], False


@dataclass(frozen=True)
class _Plan:
    path: str
    sample_column: int  # index of the sample in the tab-split record
    fmt: ann.AnnotationFormat | None
    has: frozenset[str]  # FORMAT fields declared among GQ DP AD PS PGT PID
    af_specs: tuple[tuple[str, str] | None, ...]  # per population: (INFO field, Number) or None
    af_pops: tuple[str, ...]


class _Collector:
    """Row tuples for the calls frame, plus the annotation strings to parse in bulk afterwards."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.rows: list[tuple[object, ...]] = []
        self.ann_records: list[tuple[int, str]] = []
        self.ann_alleles: list[tuple[int, int, str, int]] = []  # rec, allele_num, key, row
        self._format_keys: dict[str, dict[str, int]] = {}

    def _sample_values(self, f: list[str]) -> dict[str, str]:
        keys = self._format_keys.get(f[8])
        if keys is None:
            keys = self._format_keys[f[8]] = {k: i for i, k in enumerate(f[8].split(":"))}
        values = f[self.plan.sample_column].split(":")
        return {k: values[i] for k, i in keys.items() if i < len(values)}

    def add(self, chrom: str, f: list[str]) -> None:
        if len(f) <= self.plan.sample_column:
            raise VcfError(self.plan.path, f"{f[0]}:{f[1]}: {len(f)} columns, the sample column is missing")
        sample = self._sample_values(f)
        alleles, phased = _parse_gt(sample.get("GT", "."))
        alts = f[4].split(",")
        carried = sorted({a for a in alleles if a > 0})
        if not carried:
            return  # hom-ref or no-call: never needed by the rules
        if carried[-1] > len(alts):
            raise VcfError(self.plan.path, f"{f[0]}:{f[1]}: GT allele {carried[-1]} but {len(alts)} ALT(s)")
        keep = [a for a in carried if not (alts[a - 1].startswith("<") or alts[a - 1] in ("*", "."))]
        if keep:
            self._add_rows(chrom, f, sample, (alleles, phased, alts), keep)

    def _phase(
        self, sample: dict[str, str], alleles: list[int], phased: bool
    ) -> tuple[bool, str | None, list]:
        """(phased, phase set, allele per haplotype) from a '|' GT with PS, or from GATK PGT/PID."""
        if phased:
            ps = sample.get("PS")
            return True, None if ps is None or ps in _MISSING else ps, alleles
        pgt, pid = sample.get("PGT", "."), sample.get("PID", ".")
        if len(alleles) == 2 and "|" in pgt and pid not in _MISSING:
            return True, pid, [int(a) if a.isdigit() else -1 for a in pgt.split("|")]
        return False, None, alleles

    def _annotation_keys(self, info: str, ref: str, alts: list[str]) -> tuple[str, ...] | None:
        fmt = self.plan.fmt
        raw = _info_value(info, fmt.tag) if fmt else None
        if raw is None or raw in _MISSING:
            return None
        self.ann_records.append((len(self.ann_records), raw))
        return ann.vep_alleles(ref, alts) if fmt.tag == ann.CSQ else tuple(alts)  # type: ignore[union-attr]

    def _add_rows(
        self, chrom: str, f: list[str], sample: dict[str, str], call: tuple, keep: list[int]
    ) -> None:
        alleles, phased, alts = call
        pos, ref, info = int(f[1]), f[3], f[7]
        gt = sample["GT"]
        phased, phase_set, haps = self._phase(sample, alleles, phased)
        has = self.plan.has
        gq = _int(sample.get("GQ")) if "GQ" in has else None
        dp = _int(sample.get("DP")) if "DP" in has else None
        ad = _ints(sample.get("AD")) if "AD" in has else None
        present = [x for x in ad if x is not None] if ad else []
        ad_total = sum(present) if present else None
        rec = len(self.ann_records)
        keys = self._annotation_keys(info, ref, alts)
        af_raw = [None if s is None else (_info_value(info, s[0]), s[1]) for s in self.plan.af_specs]
        filt = "PASS" if f[6] in ("PASS", ".") else f[6]
        for a in keep:
            row = len(self.rows)
            on = [i for i, h in enumerate(haps) if h == a] if phased else []
            afs = tuple(None if r is None else _af_value(r[0], r[1], a) for r in af_raw)
            self.rows.append((
                row, chrom, pos, ref, alts[a - 1], pos + len(ref) - 1, filt, gt, alleles.count(a),
                len(alleles), phased, phase_set, on[0] if len(on) == 1 else None, gq, dp,
                ad[0] if ad else None, ad[a] if ad and a < len(ad) else None, ad_total, *afs,
            ))  # fmt: skip
            if keys is not None:
                self.ann_alleles.append((rec, a, keys[a - 1], row))

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        schema = dict(CALLS_SCHEMA) | {f"af_{pop}": pl.Float64() for pop in self.plan.af_pops}
        calls = pl.DataFrame(self.rows, schema=schema, orient="row")
        records = pl.DataFrame(self.ann_records, schema={"rec": pl.Int64, "raw": pl.String}, orient="row")
        alleles = pl.DataFrame(
            self.ann_alleles,
            schema={"rec": pl.Int64, "allele_num": pl.Int64, "key": pl.String, "row": pl.Int64},
            orient="row",
        )
        return calls, ann.annotation_frame(self.plan.fmt, records, alleles)


def _plan(path: str, header: _Header, sample: str, af_fields: Mapping[str, str]) -> _Plan:
    if sample not in header.samples:
        raise VcfError(path, f"sample column {sample!r} is not in the VCF ({len(header.samples)} columns)")
    return _Plan(
        path=path,
        sample_column=9 + header.samples.index(sample),
        fmt=_annotation_format(header),
        has=frozenset(f for f in ("GQ", "DP", "AD", "PS", "PGT", "PID") if f in header.formats),
        af_specs=tuple(
            (field, header.info[field][0]) if field in header.info else None for field in af_fields.values()
        ),
        af_pops=tuple(af_fields),
    )


def _read_header(path: str) -> _Header:
    vcf = _open(path)
    try:
        return _header(vcf)
    finally:
        vcf.close()


def read_calls(
    path: str | os.PathLike[str],
    sample: str,
    regions: Sequence[Region],
    facts: VcfFacts | None,
    af_fields: Mapping[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(calls, annotations) frames (frames.md) for one sample, reading only ``regions`` via the index.

    ``regions``: (canonical chrom, start, end), 1-based inclusive, already merged. Run
    ``inspect_vcf`` first: this function trusts the validation it did (``facts`` is not re-read).
    The header is read with cyvcf2; records come as text through pysam's tabix iterator and are
    parsed here (faster than cyvcf2 record access, and every malformed value is an error).
    """
    path = os.fspath(path)
    header = _read_header(path)
    collector = _Collector(_plan(path, header, sample, af_fields))
    cursor = _Cursor()
    with _translated(path, cursor):
        for chrom, fields in _region_lines(path, regions, header.names(), cursor):
            collector.add(chrom, fields)
    return collector.frames()


# ---------------------------------------------------------------- sex evidence


def _windows(windows: Sequence[tuple[int, ...]], chrom: str) -> list[Region]:
    """Accept (start, end) or (chrom, start, end) windows."""
    return [(chrom, int(w[-2]), int(w[-1])) for w in windows]


def _in_par_any(chrom: str, pos: int, build: str) -> bool:
    if chrom == "Y":
        return any(start <= pos <= end for start, end in PARS_Y[build])
    return in_par(chrom, pos, build)


def read_sex_evidence(
    path: str | os.PathLike[str],
    sample: str,
    build: str,
    x_windows: Sequence[tuple[int, ...]],
    y_windows: Sequence[tuple[int, ...]],
) -> SexEvidence:
    """Called non-hom-ref genotypes on X and Y in the given windows (PAR positions are skipped).

    A call counts when no allele is missing and at least one is ALT; ``x_het`` counts diploid X calls
    with two different alleles. Windows are (start, end) or (chrom, start, end), 1-based inclusive.
    """
    path = os.fspath(path)
    header = _read_header(path)
    plan = _plan(path, header, sample, {})
    collector = _Collector(plan)
    counts = {"X": 0, "Y": 0, "het": 0}
    regions = _windows(x_windows, "X") + _windows(y_windows, "Y")
    cursor = _Cursor()
    with _translated(path, cursor):
        for chrom, f in _region_lines(path, regions, header.names(), cursor):
            if len(f) <= plan.sample_column:
                raise VcfError(path, f"{f[0]}:{f[1]}: the sample column is missing")
            alleles, _ = _parse_gt(collector._sample_values(f).get("GT", "."))
            if min(alleles) < 0 or max(alleles) == 0 or _in_par_any(chrom, int(f[1]), build):
                continue
            counts[chrom] += 1
            counts["het"] += chrom == "X" and len(alleles) == 2 and alleles[0] != alleles[1]
    return SexEvidence(
        x_calls=counts["X"],
        x_het=counts["het"],
        y_calls=counts["Y"],
        x_windows=len(x_windows),
        y_windows=len(y_windows),
        has_y_contig="Y" in header.names(),
    )


# ---------------------------------------------------------------- ClinVar


def _clinvar_build_problems(header: _Header, build: str) -> list[str]:
    problems = []
    ref = (header.reference or "").lower()
    for other, aliases in _BUILD_ALIASES.items():
        if other != build and any(a in ref for a in aliases):
            problems.append(f"##reference={header.reference} is {other}, but the panel is {build}")
    canon = {canonical_chrom(n): length for n, length in header.contigs.items()}
    wrong = [c for c in SCREENED_CONTIGS if canon.get(c) and canon[c] != CONTIG_LENGTHS[build][c]]
    if wrong:
        problems.append(f"##contig lengths differ from {build} for chromosome(s) {', '.join(wrong[:5])}")
    return problems


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text.strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


@dataclass(frozen=True)
class _ClinVarRecord:
    chrom: str  # canonical
    pos: int
    vid: str
    ref: str
    alts: list[str]
    info: Mapping[str, str | None]  # only the keys read below


_CLINVAR_KEYS = ("CLNSIG", "CLNSIGCONF", "CLNREVSTAT", "GENEINFO")


def _clinvar_indexed(path: str, regions: Sequence[Region], names: Mapping[str, str], cursor: _Cursor):
    for chrom, f in _region_lines(path, regions, names, cursor):
        info = {k: _info_value(f[7], k) for k in _CLINVAR_KEYS}
        yield _ClinVarRecord(chrom, int(f[1]), f[2], f[3], f[4].split(","), info)


def _clinvar_sequential(vcf: cyvcf2.VCF, regions: Sequence[Region] | None, cursor: _Cursor):
    """One pass over the whole file (no index), keeping records overlapping the regions."""
    wanted: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end in regions or ():
        wanted.setdefault(canonical_chrom(chrom), []).append((start, end))
    for v in vcf:
        cursor.last = f"{v.CHROM}:{v.POS}"
        chrom = canonical_chrom(v.CHROM)
        if regions is None or any(s <= v.end and e >= v.POS for s, e in wanted.get(chrom, ())):
            info = {k: v.INFO.get(k) for k in _CLINVAR_KEYS}
            yield _ClinVarRecord(chrom, v.POS, v.ID or ".", v.REF, v.ALT, info)


def _clinvar_rows(records: Iterator[_ClinVarRecord]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for r in records:
        clnsig = r.info["CLNSIG"]
        plp, blb = ann.clinvar_counts(clnsig, r.info["CLNSIGCONF"])
        stars = ann.review_stars(r.info["CLNREVSTAT"])
        gene = ann.clinvar_genes(r.info["GENEINFO"])
        for alt in r.alts:
            if not (alt.startswith("<") or alt in ("*", ".")):
                rows.append((r.chrom, r.pos, r.ref, alt, r.vid, clnsig, plp, blb, stars, gene))
    return rows


def read_clinvar(
    path: str | os.PathLike[str], build: str, regions: Sequence[Region] | None = None
) -> ClinVarSnapshot:
    """A ClinVar VCF as a snapshot, optionally restricted to regions (canonical, 1-based inclusive).

    The file must be BGZF with its EOF block. With an index and regions, only the regions are read
    through the index; without an index (as in small excerpts) the whole file is read once with
    cyvcf2 and filtered. A ``##reference`` or ``##contig`` length naming another build is an error;
    ``##fileDate`` gives the release date (ISO).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ClinVarError(path, "file not found")
    _check_bgzf(path, ClinVarError)
    indexed = any(os.path.exists(path + s) for s in (".tbi", ".csi"))
    if indexed:
        _find_index(path, ClinVarError)
    vcf = _open(path, error=ClinVarError)
    cursor = _Cursor()
    try:
        header = _header(vcf)
        problems = _clinvar_build_problems(header, build)
        if problems:
            raise ClinVarError(path, "; ".join(problems))
        with _translated(path, cursor, ClinVarError):
            if indexed and regions is not None:
                rows = _clinvar_rows(_clinvar_indexed(path, regions, header.names(), cursor))
            else:
                rows = _clinvar_rows(_clinvar_sequential(vcf, regions, cursor))
    except ScreeningError as exc:
        if isinstance(exc, ClinVarError):
            raise
        raise ClinVarError(path, str(exc).removeprefix(f"{path}: ")) from exc
    finally:
        vcf.close()
    records = pl.DataFrame(rows, schema=CLINVAR_SCHEMA, orient="row").unique(maintain_order=True)
    return ClinVarSnapshot(
        source=os.path.basename(path),
        release_date=_iso_date(header.file_date),
        sha256=sha256_file(path),
        records=records,
    )


# ---------------------------------------------------------------- writing (simulator, tests)


def write_vcf_bgzip_indexed(source: str | Path, out_path: str | Path, *, csi: bool = False) -> Path:
    """Write VCF text (a ``str`` starting with ``##``) or a plain VCF file as BGZF + index.

    ``out_path`` should end in ``.vcf.gz``; the index is written beside it (``.tbi``, or ``.csi``).
    Records must be sorted by contig and position.
    """
    out = Path(out_path)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "in.vcf"
        if isinstance(source, str) and source.startswith("##"):
            plain.write_text(source)
        else:
            shutil.copyfile(source, plain)
        made = pysam.tabix_index(str(plain), preset="vcf", force=True, csi=csi)
        shutil.move(made, out)
        index_suffix = ".csi" if csi else ".tbi"
        for stale in (".tbi", ".csi"):
            Path(str(out) + stale).unlink(missing_ok=True)
        shutil.move(made + index_suffix, str(out) + index_suffix)
    return out
