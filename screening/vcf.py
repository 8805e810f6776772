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
from dataclasses import dataclass
from pathlib import Path

import cyvcf2
import polars as pl
import pysam

from screening import annotations as ann
from screening.domain import (
    CONTIG_LENGTHS,
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
            info[fields["ID"]] = (fields.get("Number", "."), fields.get("Type", ""), fields["Description"])
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
    path: str | os.PathLike[str], sample: str | None, build: str, af_fields: Mapping[str, str]
) -> VcfFacts:
    """Validate a VCF before reading: BGZF, index, header, sample, genome build, not empty.

    Header-level problems are collected and reported together in one ``VcfError``.
    ``af_fields`` (population -> INFO field) is accepted for symmetry with ``read_calls``: an AF
    field missing from the header is not an error (its column is all null).
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
        sha256=sha256_file(path),
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
    """Last good record, for error messages."""

    def __init__(self) -> None:
        self.last = "the start of the region"


def _records(vcf: cyvcf2.VCF, path: str, region: str, cursor: _Cursor) -> Iterator[cyvcf2.Variant]:
    try:
        it = iter(vcf(region))
    except Exception as exc:
        raise VcfError(path, f"cannot query region {region} through the index ({exc})") from exc
    while True:
        try:
            variant = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise VcfError(path, f"malformed or unreadable record after {cursor.last} ({exc})") from exc
        cursor.last = f"{variant.CHROM}:{variant.POS}"
        yield variant


def _count_lines(path: str, index: str, region: str, cursor: _Cursor) -> int:
    """Record count of a region via pysam, which (unlike cyvcf2's region iterator) raises on errors."""
    try:
        with pysam.TabixFile(path, index=index) as tbx:
            return sum(1 for _ in tbx.fetch(region=region))
    except ValueError as exc:
        if "could not create iterator" in str(exc):
            return 0
        raise VcfError(
            path, f"malformed or unreadable record in {region} after {cursor.last} ({exc})"
        ) from exc
    except OSError as exc:
        raise VcfError(path, f"unreadable data in {region} after {cursor.last} ({exc})") from exc


def _sorted_regions(regions: Sequence[Region], names: Mapping[str, str]) -> list[tuple[Region, str]]:
    """Regions on contigs the file declares, sorted, each with the query string in the file's naming."""
    out = []
    for chrom, start, end in sorted(regions, key=lambda r: (r[0], r[1], r[2])):
        name = names.get(canonical_chrom(chrom))
        if name is not None:
            out.append(((canonical_chrom(chrom), int(start), int(end)), f"{name}:{max(1, start)}-{end}"))
    return out


def _iter_regions(
    vcf: cyvcf2.VCF, path: str, regions: Sequence[Region], names: Mapping[str, str]
) -> Iterator[tuple[str, cyvcf2.Variant]]:
    """(canonical chrom, record) for every record overlapping the regions, each record once.

    A record overlapping two nearby regions is kept only in the first region that returned it: only
    records reaching past their region's end can come back, only records starting before a region's
    start can be repeats. Every region's record count is cross-checked with pysam so a corrupt block
    or a malformed line (which cyvcf2's region iterator treats as the end) is an error, not silence.
    """
    index = _find_index(path, VcfError)
    spill: set[tuple[str, int, str, tuple[str, ...]]] = set()
    cursor = _Cursor()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="no intervals found", category=UserWarning)
        for (chrom, start, end), query in _sorted_regions(regions, names):
            returned = 0
            for variant in _records(vcf, path, query, cursor):
                returned += 1
                pos = variant.POS
                if pos < start or variant.end > end:
                    key = (chrom, pos, variant.REF, tuple(variant.ALT))
                    if pos < start and key in spill:
                        continue
                    spill.add(key)
                yield chrom, variant
            if returned != _count_lines(path, index, query, cursor):
                raise VcfError(
                    path,
                    f"records in {query} could not all be read (stopped after "
                    f"{cursor.last}); the file is corrupt or has a malformed line",
                )


# ---------------------------------------------------------------- calls


def _int_scalar(values: object) -> int | None:
    """First sample's first value of a cyvcf2 FORMAT array as int (floats floored), or None."""
    if values is None:
        return None
    x = values[0][0]  # type: ignore[index]
    if values.dtype.kind == "f":  # type: ignore[attr-defined]
        return None if x != x else math.floor(x)
    return None if x <= _INT_MISSING else int(x)


def _text_scalar(values: object) -> str | None:
    if values is None:
        return None
    x = values[0]  # type: ignore[index]
    if hasattr(x, "__len__") and not isinstance(x, str):
        x = x[0]
    text = x.decode() if isinstance(x, bytes) else str(x)
    return None if text in ("", ".") else text


def _ad(values: object) -> list[int | None] | None:
    if values is None:
        return None
    return [int(x) if x >= 0 else None for x in values[0].tolist()]  # type: ignore[index]


def _af_value(value: object, number: str, allele: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        i = allele if number == "R" else allele - 1
        value = value[i] if i < len(value) else None
    try:
        number_value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    # Float INFO values are float32 in the file: round to its 7 significant digits so that
    # 0.001 stays 0.001 (not 0.0010000000475) when compared with a frequency cap.
    return None if math.isnan(number_value) else float(f"{number_value:.7g}")


@dataclass(frozen=True)
class _Plan:
    path: str
    chrom_names: dict[str, str]
    fmt: ann.AnnotationFormat | None
    has: frozenset[str]  # FORMAT fields declared among GQ DP AD PS PGT PID
    af: tuple[tuple[str, str, str], ...]  # (population, INFO field, Number) for declared fields
    af_pops: tuple[str, ...]  # every population (columns exist even when undeclared)


class _Collector:
    """Column lists for the calls frame, plus the annotation strings to parse in bulk."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.cols: dict[str, list[object]] = {name: [] for name in CALLS_SCHEMA}
        self.af: dict[str, list[float | None]] = {pop: [] for pop in plan.af_pops}
        self.ann_rec: list[int] = []
        self.ann_raw: list[str] = []
        self.keys: dict[str, list[object]] = {"rec": [], "allele_num": [], "key": [], "row": []}
        self.n_records = 0

    def add(self, chrom: str, v: cyvcf2.Variant) -> None:
        gts = v.genotypes[0]
        alleles = gts[:-1]
        carried = sorted({a for a in alleles if a > 0})
        if not carried:
            return  # hom-ref or no-call: never needed by the rules
        alts = v.ALT
        if carried[-1] > len(alts):
            raise VcfError(
                self.plan.path,
                f"{v.CHROM}:{v.POS}: GT allele {carried[-1]} but only {len(alts)} ALT allele(s)",
            )
        keep = [a for a in carried if not (alts[a - 1].startswith("<") or alts[a - 1] in ("*", "."))]
        if keep:
            self._add_rows(chrom, v, gts, keep)

    def _phase(self, v: cyvcf2.Variant, gts: list, alleles: list) -> tuple[bool, str | None, list]:
        """(phased, phase set, allele per haplotype) from a '|' GT with PS, or from GATK PGT/PID."""
        if len(alleles) != 2:
            return False, None, alleles
        if gts[-1]:
            ps = _int_scalar(v.format("PS")) if "PS" in self.plan.has else None
            return True, None if ps is None else str(ps), alleles
        if "PGT" in self.plan.has and "PID" in self.plan.has:
            pgt, pid = _text_scalar(v.format("PGT")), _text_scalar(v.format("PID"))
            if pgt and pid and "|" in pgt:
                haps = [int(a) if a.isdigit() else -1 for a in pgt.split("|")]
                return True, pid, haps
        return False, None, alleles

    def _add_rows(self, chrom: str, v: cyvcf2.Variant, gts: list, keep: list[int]) -> None:
        plan, cols = self.plan, self.cols
        alleles = gts[:-1]
        has = plan.has
        rec = self.n_records
        self.n_records += 1
        pos, ref, alts = v.POS, v.REF, v.ALT
        sep = "|" if gts[-1] else "/"
        gt = sep.join("." if a < 0 else str(a) for a in alleles)
        phased, phase_set, haps = self._phase(v, gts, alleles)
        gq = _int_scalar(v.format("GQ")) if "GQ" in has else None
        dp = _int_scalar(v.format("DP")) if "DP" in has else None
        ad = _ad(v.format("AD")) if "AD" in has else None
        ad_total = sum(x for x in ad if x is not None) if ad and any(x is not None for x in ad) else None
        filt = v.FILTER or "PASS"
        info = v.INFO
        raw = info.get(plan.fmt.tag) if plan.fmt else None
        if raw is not None:
            self.ann_rec.append(rec)
            self.ann_raw.append(raw)
            keys = ann.vep_alleles(ref, alts) if plan.fmt.tag == ann.CSQ else alts  # type: ignore[union-attr]
        af_raw = [(pop, info.get(field), number) for pop, field, number in plan.af]
        for a in keep:
            row = len(cols["row"])
            on = [i for i, h in enumerate(haps) if h == a] if phased else []
            values = (
                row,
                chrom,
                pos,
                ref,
                alts[a - 1],
                pos + len(ref) - 1,
                filt,
                gt,
                alleles.count(a),
                len(alleles),
                phased,
                phase_set if phased else None,
                on[0] if len(on) == 1 else None,
                gq,
                dp,
                ad[0] if ad else None,
                ad[a] if ad and a < len(ad) else None,
                ad_total,
            )
            for name, value in zip(CALLS_SCHEMA, values, strict=True):
                cols[name].append(value)
            for pop in plan.af_pops:
                self.af[pop].append(None)
            for pop, value, number in af_raw:
                self.af[pop][-1] = _af_value(value, number, a)
            if raw is not None:
                for name, value in (("rec", rec), ("allele_num", a), ("key", keys[a - 1]), ("row", row)):
                    self.keys[name].append(value)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        schema = dict(CALLS_SCHEMA) | {f"af_{pop}": pl.Float64() for pop in self.plan.af_pops}
        data = self.cols | {f"af_{pop}": values for pop, values in self.af.items()}
        calls = pl.DataFrame(data, schema=schema)
        records = pl.DataFrame(
            {"rec": self.ann_rec, "raw": self.ann_raw}, schema={"rec": pl.Int64, "raw": pl.String}
        )
        alleles = pl.DataFrame(
            self.keys, schema={"rec": pl.Int64, "allele_num": pl.Int64, "key": pl.String, "row": pl.Int64}
        )
        return calls, ann.annotation_frame(self.plan.fmt, records, alleles)


def _plan(path: str, header: _Header, af_fields: Mapping[str, str]) -> _Plan:
    return _Plan(
        path=path,
        chrom_names=header.names(),
        fmt=_annotation_format(header),
        has=frozenset(f for f in ("GQ", "DP", "AD", "PS", "PGT", "PID") if f in header.formats),
        af=tuple(
            (pop, field, header.info[field][0]) for pop, field in af_fields.items() if field in header.info
        ),
        af_pops=tuple(af_fields),
    )


def read_calls(
    path: str | os.PathLike[str],
    sample: str,
    regions: Sequence[Region],
    facts: VcfFacts,
    af_fields: Mapping[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(calls, annotations) frames (frames.md) for one sample, reading only ``regions`` via the index.

    ``regions``: (canonical chrom, start, end), 1-based inclusive, already merged. ``facts`` comes
    from ``inspect_vcf`` (run it first: this function trusts the validation it did).
    """
    path = os.fspath(path)
    vcf = _open(path, [sample])
    try:
        header = _header(vcf)
        if sample not in header.samples:
            raise VcfError(path, f"sample column {sample!r} is not in the VCF")
        collector = _Collector(_plan(path, header, af_fields))
        for chrom, variant in _iter_regions(vcf, path, regions, collector.plan.chrom_names):
            collector.add(chrom, variant)
    finally:
        vcf.close()
    return collector.frames()


# ---------------------------------------------------------------- sex evidence


def _windows(windows: Sequence[tuple[int, ...]], chrom: str) -> list[Region]:
    """Accept (start, end) or (chrom, start, end) windows."""
    return [(chrom, w[-2], w[-1]) for w in windows]


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
    vcf = _open(path, [sample])
    counts = {"X": 0, "Y": 0, "het": 0}
    try:
        header = _header(vcf)
        names = header.names()
        regions = _windows(x_windows, "X") + _windows(y_windows, "Y")
        for chrom, v in _iter_regions(vcf, path, regions, names):
            alleles = v.genotypes[0][:-1]
            if min(alleles) < 0 or max(alleles) == 0 or _in_par_any(chrom, v.POS, build):
                continue
            counts[chrom] += 1
            counts["het"] += chrom == "X" and len(alleles) == 2 and alleles[0] != alleles[1]
    finally:
        vcf.close()
    return SexEvidence(
        x_calls=counts["X"],
        x_het=counts["het"],
        y_calls=counts["Y"],
        x_windows=len(x_windows),
        y_windows=len(y_windows),
        has_y_contig="Y" in names,
    )


def _in_par_any(chrom: str, pos: int, build: str) -> bool:
    from screening.domain import PARS_Y

    if chrom == "Y":
        return any(start <= pos <= end for start, end in PARS_Y[build])
    return in_par(chrom, pos, build)


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


def _clinvar_records(vcf: cyvcf2.VCF, path: str, regions: Sequence[Region] | None, indexed: bool):
    """(canonical chrom, record): region queries when indexed, else one sequential pass filtered."""
    if regions is not None and indexed:
        yield from _iter_regions(vcf, path, regions, _header(vcf).names())
        return
    wanted: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end in regions or ():
        wanted.setdefault(canonical_chrom(chrom), []).append((start, end))
    cursor = _Cursor()
    for v in _records_all(vcf, path, cursor):
        chrom = canonical_chrom(v.CHROM)
        if regions is None or any(s <= v.end and e >= v.POS for s, e in wanted.get(chrom, ())):
            yield chrom, v


def _records_all(vcf: cyvcf2.VCF, path: str, cursor: _Cursor) -> Iterator[cyvcf2.Variant]:
    it = iter(vcf)
    while True:
        try:
            v = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise ClinVarError(path, f"malformed or unreadable record after {cursor.last} ({exc})") from exc
        cursor.last = f"{v.CHROM}:{v.POS}"
        yield v


def _clinvar_rows(records: Iterator[tuple[str, cyvcf2.Variant]]) -> dict[str, list[object]]:
    cols: dict[str, list[object]] = {name: [] for name in CLINVAR_SCHEMA}
    for chrom, v in records:
        info = v.INFO
        clnsig = info.get("CLNSIG")
        plp, blb = ann.clinvar_counts(clnsig, info.get("CLNSIGCONF"))
        shared = (
            v.ID,
            clnsig,
            plp,
            blb,
            ann.review_stars(info.get("CLNREVSTAT")),
            ann.clinvar_genes(info.get("GENEINFO")),
        )
        for alt in v.ALT:
            if alt.startswith("<") or alt in ("*", "."):
                continue
            for name, value in zip(CLINVAR_SCHEMA, (chrom, v.POS, v.REF, alt, *shared), strict=True):
                cols[name].append(value)
    return cols


def read_clinvar(
    path: str | os.PathLike[str], build: str, regions: Sequence[Region] | None = None
) -> ClinVarSnapshot:
    """A ClinVar VCF as a snapshot, optionally restricted to regions (canonical, 1-based inclusive).

    The file must be BGZF with its EOF block. An index is optional: without one (as in small
    excerpts) the file is read once sequentially and filtered to the regions. A ``##reference`` or
    ``##contig`` lengths naming another build is an error; ``##fileDate`` gives the release date.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ClinVarError(path, "file not found")
    _check_bgzf(path, ClinVarError)
    indexed = any(os.path.exists(path + s) for s in (".tbi", ".csi"))
    if indexed:
        _find_index(path, ClinVarError)
    vcf = _open(path, error=ClinVarError)
    try:
        header = _header(vcf)
        problems = _clinvar_build_problems(header, build)
        if problems:
            raise ClinVarError(path, "; ".join(problems))
        cols = _clinvar_rows(_clinvar_records(vcf, path, regions, indexed))
    except ScreeningError as exc:
        if isinstance(exc, ClinVarError):
            raise
        raise ClinVarError(path, str(exc)) from exc
    finally:
        vcf.close()
    records = pl.DataFrame(cols, schema=CLINVAR_SCHEMA).unique(maintain_order=True)
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
