"""VCF boundary: the only module importing cyvcf2 (and pysam, for tabix reads, writing, indexing).

``inspect_vcf`` validates a file before anything is read (BGZF with its EOF block, a fresh .tbi/.csi,
a header cyvcf2/htslib can parse, the sample, the genome build from the ##contig lengths, at least
one record); ``read_calls`` reads only the requested regions through the index into the calls and
annotation frames (frames.md); ``read_sex_evidence`` counts sex-chromosome calls; ``read_clinvar``
loads a ClinVar snapshot. Every problem is an ``errors.VcfError`` (``ClinVarError`` for ClinVar)
naming the file and, for a record, its CHROM:POS; never a bare library exception.

Why records are read as text: cyvcf2's region iterator treats a corrupt block or an unparsable
line as the end of the region (silently short results) and crashes the process on a malformed
FORMAT value. pysam's tabix iterator raises instead, and parsing the text in bulk with polars is
also faster than per-record cyvcf2 access (see bench/bench_vcf_read.py).

Documented choices:
- A phased ``|`` GT without a PS value has ``phase_set`` null (frames.md); GATK PGT/PID phase an
  unphased GT (``phase_set`` = PID, haplotype from PGT).
- A Float-typed GQ is floored (19.9 fails a 20 threshold). INFO AF: ``Number=A`` per ALT,
  ``Number=R`` per allele, a single value of any other Number applies to every ALT.
- A GT naming an ALT the record does not have, ploidy above 2, or a malformed GT/GQ/DP/AD/AF
  value is an error (never a silently dropped call).
- Annotation matching: see ``screening.annotations``.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import cyvcf2
import polars as pl
import pysam

from screening import annotations as ann
from screening import vcf_parse as vp
from screening.completeness import RegionCount
from screening.digest import sha256_file
from screening.domain import (
    CONTIG_LENGTHS,
    N_,
    PARS,
    PARS_Y,
    SCREENED_CONTIGS,
    ClinVarSnapshot,
    Reason,
    SexEvidence,
    VcfFacts,
    canonical_chrom,
)
from screening.errors import ClinVarError, ScreeningError, VcfError, VcfRecordError
from screening.sample_screen import ReadFacts
from screening.vcf_parse import SiteFilter

Region = tuple[str, int, int]  # canonical chrom, 1-based inclusive start, end


@dataclass(frozen=True)
class SampleReads:
    """What ``read_sample`` reads of one VCF: the panel regions and the sex chromosomes.

    chrX: the bounded ``x_windows``, or ``x_whole`` when the windows hold fewer than ``min_x_calls``
    calls (an exome, a targeted VCF). chrY: ``y_regions``, the whole male-specific region.
    """

    regions: Sequence[Region]
    af_fields: Mapping[str, str]
    sites: SiteFilter | None
    x_windows: Sequence[Region]
    y_regions: Sequence[Region]
    x_whole: Sequence[Region] = ()
    min_x_calls: int = 0
    reference: Reference | None = None
    tails: Sequence[Region] = ()  # completeness: is there any record in each? (never parsed)


@dataclass(frozen=True)
class SampleRead:
    """What a screen read of one VCF: calls, annotations, sex evidence and what the read showed of
    the file's completeness (records per panel region, contigs in the index)."""

    calls: pl.DataFrame
    annotations: pl.DataFrame
    evidence: SexEvidence
    facts: ReadFacts  # what the read showed of the file besides the calls


class Reference:
    """A reference FASTA (with its .fai) for left-aligning indels, contigs named either style."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise VcfError(self.path, Reason(N_("reference FASTA not found")))
        try:
            self._fasta = pysam.FastaFile(self.path)
        except (OSError, ValueError) as exc:
            raise VcfError(
                self.path,
                Reason(
                    N_("cannot open the reference FASTA ({detail}); index it with `samtools faidx`"),
                    detail=str(exc),
                ),
            ) from exc
        self._names = {canonical_chrom(n): n for n in self._fasta.references}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases start..end (1-based, inclusive) of a canonical contig; '' when absent."""
        name = self._names.get(chrom)
        if name is None or start < 1:
            return ""
        return self._fasta.fetch(name, start - 1, end)


BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_INDEX_MTIME_TOLERANCE_S = 1.0  # filesystem timestamp granularity when both are copied together
_CONTIG = re.compile(r"^##contig=<ID=([^,>]+)(?:.*?[<,]length=(\d+))?", re.MULTILINE)
_FILEDATE = re.compile(r"^##fileDate=(\S+)", re.MULTILINE)
_REFERENCE = re.compile(r"^##reference=(\S+)", re.MULTILINE)
_BUILD_ALIASES = {"GRCh37": ("grch37", "hg19", "b37", "hs37"), "GRCh38": ("grch38", "hg38", "b38")}

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


def _check_bgzf(path: str, error: type[VcfError]) -> None:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(18)
        fh.seek(max(0, size - len(BGZF_EOF)))
        tail = fh.read()
    if head[:2] != b"\x1f\x8b":
        raise error(
            path, Reason(N_("is not compressed; compress it with `bgzip` and index it with `tabix -p vcf`"))
        )
    if head[3] & 4 == 0 or head[12:14] != b"BC":
        raise error(
            path, Reason(N_("is plain gzip, not BGZF; recompress it with `bgzip` (then `tabix -p vcf`)"))
        )
    if tail != BGZF_EOF:
        raise error(
            path, Reason(N_("is truncated (no BGZF end-of-file block); copy the complete file again"))
        )


def _find_index(path: str, error: type[VcfError]) -> str:
    for suffix in (".tbi", ".csi"):
        index = path + suffix
        if os.path.exists(index):
            if os.path.getmtime(index) + _INDEX_MTIME_TOLERANCE_S < os.path.getmtime(path):
                raise error(
                    path,
                    Reason(
                        N_("index {index} is older than the VCF; re-run `tabix`"),
                        index=os.path.basename(index),
                    ),
                )
            return index
    raise error(path, Reason(N_("has no index (.tbi or .csi) beside it; create one with `tabix -p vcf`")))


def _check_file(path: str, error: type[VcfError] = VcfError) -> str:
    """Existence, BGZF with EOF block, and a fresh index; returns the index path."""
    if not os.path.isfile(path):
        raise error(path, Reason(N_("file not found")))
    _check_bgzf(path, error)
    return _find_index(path, error)


@contextmanager
def _open(
    path: str, samples: list[str] | None = None, error: type[VcfError] = VcfError
) -> Iterator[cyvcf2.VCF]:
    """cyvcf2 (htslib) on the file, to validate its header and read records in order; never for
    region reads. It is given the file's descriptor, not its path: given a path, cyvcf2 also loads
    the .tbi/.csi beside it (50-120 ms for a WGS file's 1.7 MB index), which the tabix handle of the
    reads (``_text_reader``) loads anyway, so the index is parsed once per screen."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise error(
            path, Reason(N_("cannot be read ({name}); check its permissions"), name=type(exc).__name__)
        ) from exc
    try:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                vcf = cyvcf2.VCF(fd, samples=samples, lazy=True)
        except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
            raise error(
                path,
                Reason(
                    N_("cannot read the VCF header ({detail}); check the file is a valid VCF"),
                    detail=str(exc),
                ),
            ) from exc
        try:
            yield vcf
        finally:
            vcf.close()
    finally:
        os.close(fd)  # cyvcf2 reads through its own duplicate of the descriptor


# ---------------------------------------------------------------- header


@dataclass(frozen=True)
class _Header:
    samples: tuple[str, ...]
    contigs: dict[str, int | None]  # name as written -> length
    info: dict[str, tuple[str, str, str]]  # ID -> (Number, Type, Description)
    formats: dict[str, tuple[str, str]]  # ID -> (Number, Type)
    file_date: str | None
    reference: str | None
    filters: frozenset[str] = frozenset()  # ##FILTER IDs

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


def _build_problems(header: _Header, build: str) -> list[Reason]:
    if build not in CONTIG_LENGTHS:
        builds = ", ".join(CONTIG_LENGTHS)
        return [
            Reason(N_("unknown genome build {build!r}; expected one of {builds}"), build=build, builds=builds)
        ]
    contigs = {canonical_chrom(n): length for n, length in header.contigs.items()}
    missing = [c for c in SCREENED_CONTIGS if c not in contigs]
    if missing:
        template = N_(
            "the header declares no ##contig line for chromosome(s) {contigs}, so the genome build "
            "cannot be checked against the panel's {build}; add the ##contig lines"
        )
        return [Reason(template, contigs=", ".join(missing), build=build)]
    no_length = [c for c in SCREENED_CONTIGS if contigs[c] is None]
    if no_length:
        template = N_("##contig lines without length for {contigs}; the build cannot be checked")
        return [Reason(template, contigs=", ".join(no_length))]
    wrong = [c for c in SCREENED_CONTIGS if contigs[c] != CONTIG_LENGTHS[build][c]]
    if not wrong:
        return []
    looks = _looks_like(contigs)
    what = (
        Reason(N_("they match {build}"), build=looks)
        if looks
        else Reason(N_("they match no supported build"))
    )
    template = N_(
        "contig lengths differ from {build} (chromosome(s) {contigs}); {what}: "
        "use a panel for the VCF's build or a VCF called on {build}"
    )
    return [Reason(template, build=build, contigs=", ".join(wrong[:5]), what=what)]


def _choose_sample(header: _Header, sample: str | None) -> tuple[str | None, list[Reason]]:
    n = len(header.samples)
    if sample is None:
        if n == 1:
            return header.samples[0], []
        return None, [Reason(N_("the VCF has {n} sample columns; name the one to screen"), n=n)]
    if sample not in header.samples:
        template = N_("sample column {sample!r} is not in the VCF ({n} sample columns)")
        return None, [Reason(template, sample=sample, n=n)]
    return sample, []


def _has_records(vcf: cyvcf2.VCF, path: str) -> bool:
    try:
        return next(iter(vcf), None) is not None
    except Exception as exc:
        raise VcfError(
            path, Reason(N_("the first record cannot be read ({detail})"), detail=str(exc))
        ) from exc


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
    with _open(path) as vcf:
        header = _header(vcf)
        _chosen, problems = _choose_sample(header, sample)
        problems += _build_problems(header, build)
        if not _has_records(vcf, path):
            problems.append(Reason(N_("the VCF has no records (header only)")))
    if problems:
        raise VcfError(path, tuple(problems))
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
        raise VcfError(path, Reason(N_("file not found")))
    with _open(path) as vcf:
        return list(vcf.samples)


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
            path,
            Reason(
                N_("malformed or unreadable record (last record reached: {last}; {detail})"),
                last=cursor.last,
                detail=str(exc),
            ),
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
        # contigs the index holds count as declared (a ClinVar VCF has no ##contig lines)
        names = {**{canonical_chrom(c): c for c in tbx.contigs}, **names}
        for (chrom, start, end), name in _sorted_regions(regions, names):
            if name not in indexed:
                continue
            for line in tbx.fetch(name, start - 1, end):
                f = line.split("\t")
                if len(f) < 8:
                    raise VcfError(
                        path,
                        Reason(
                            N_("record {line!r} has {n} columns; a VCF record has 8 or more"),
                            line=line[:40],
                            n=len(f),
                        ),
                    )
                cursor.last = f"{f[0]}:{f[1]}"
                pos = int(f[1])
                if pos < start or pos + len(f[3]) - 1 > end or "<" in f[4]:
                    key = (chrom, f[1], f[3], f[4])
                    if pos < start and key in spill:
                        continue
                    spill.add(key)
                yield chrom, f


# ---------------------------------------------------------------- calls (text through the index)


def _where(line: str) -> str:
    f = line.split("\t", 2)
    return f"{f[0]}:{f[1]}" if len(f) > 1 else repr(line[:40])


def _region_text(
    tbx: pysam.TabixFile,
    regions: Sequence[Region],
    names: Mapping[str, str],
    cursor: _Cursor,
    counts: list[RegionCount] | None = None,
) -> pl.DataFrame:
    """(chrom, line) for every record overlapping the regions, each record once.

    Records come through the index as text: pysam's tabix iterator raises on a corrupt block or an
    unparsable line, where cyvcf2's region iterator stops silently (and cyvcf2 crashes the process
    on a malformed FORMAT value). A record returned by two nearby regions is kept once, in the first.
    ``counts``, when given, receives the number of records fetched per region (completeness gate).
    """
    chroms: list[str] = []
    lines: list[str] = []
    indexed = set(tbx.contigs)
    for (chrom, start, end), name in _sorted_regions(regions, names):
        before = len(lines)
        if name in indexed:
            try:
                lines.extend(tbx.fetch(name, start - 1, end))
            finally:
                chroms.extend([chrom] * (len(lines) - before))
                cursor.last = _where(lines[-1]) if lines else cursor.last
        if counts is not None:
            counts.append(RegionCount(chrom, start, end, len(lines) - before))
    # each record once, in file order: a dict keeps a line's first position (its chrom is the same
    # wherever it comes back: the contig is part of the line); cheaper than a polars ``unique``
    once = dict(zip(lines, chroms, strict=True))
    return pl.DataFrame(
        {"chrom": list(once.values()), "line": list(once)}, schema={"chrom": pl.String, "line": pl.String}
    )


def _plan(
    path: str,
    header: _Header,
    sample: str,
    af_fields: Mapping[str, str],
    reference: Reference | None = None,
) -> vp.ParsePlan:
    if sample not in header.samples:
        raise VcfError(
            path,
            Reason(
                N_("sample column {sample!r} is not in the VCF ({n} columns)"),
                sample=sample,
                n=len(header.samples),
            ),
        )
    return vp.ParsePlan(
        path=path,
        sample_column=9 + header.samples.index(sample),
        fmt=_annotation_format(header),
        has=frozenset(f for f in vp.GT_KEYS if f in header.formats),
        af_specs=tuple(
            (field, header.info[field][0]) if field in header.info else None for field in af_fields.values()
        ),
        af_pops=tuple(af_fields),
        formats=dict(header.formats),
        filters=header.filters,
        fetch=reference.fetch if reference is not None else None,
    )


_FILTER = re.compile(r"^##FILTER=<ID=([^,>]+)", re.MULTILINE)
_STRUCTURED = re.compile(
    r'^##(INFO|FORMAT)=<ID=([^,>]+),Number=([^,>]+),Type=([^,>]+)(?:,Description="((?:[^"\\]|\\.)*)")?'
)


def _text_header(lines: Sequence[str]) -> _Header:
    """The header from its text lines (as pysam's tabix handle gives them, already read once)."""
    info: dict[str, tuple[str, str, str]] = {}
    formats: dict[str, tuple[str, str]] = {}
    for line in lines:
        m = _STRUCTURED.match(line)
        if m and m.group(1) == "INFO":
            info[m.group(2)] = (m.group(3), m.group(4), m.group(5) or "")
        elif m:
            formats[m.group(2)] = (m.group(3), m.group(4))
    raw = "\n".join(lines)
    columns = lines[-1].split("\t") if lines and lines[-1].startswith("#CHROM") else []
    file_date, reference = _FILEDATE.search(raw), _REFERENCE.search(raw)
    return _Header(
        samples=tuple(columns[9:]),
        contigs={m.group(1): int(m.group(2)) if m.group(2) else None for m in _CONTIG.finditer(raw)},
        info=info,
        formats=formats,
        file_date=file_date.group(1) if file_date else None,
        reference=reference.group(1) if reference else None,
        filters=frozenset(_FILTER.findall(raw)),
    )


def _header_lines(path: str) -> list[str]:
    """The header's text lines up to ``#CHROM`` (a few blocks; pysam's ``header`` costs ~25 ms)."""
    lines: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line.rstrip("\r\n"))
            if line.startswith("#CHROM"):
                return lines
    raise VcfError(path, Reason(N_("the header has no #CHROM line; check the file is a valid VCF")))


@contextmanager
def _text_reader(path: str, cursor: _Cursor) -> Iterator[tuple[pysam.TabixFile, _Header]]:
    """An open tabix handle and its header (validated by ``inspect_vcf`` with cyvcf2 beforehand)."""
    index = _find_index(path, VcfError)
    with _translated(path, cursor), pysam.TabixFile(path, index=index) as tbx:
        yield tbx, _text_header(_header_lines(path))


def read_calls(
    path: str | os.PathLike[str],
    sample: str,
    regions: Sequence[Region],
    facts: VcfFacts | None,
    af_fields: Mapping[str, str],
    sites: SiteFilter | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(calls, annotations) frames (frames.md) for one sample, reading only ``regions`` via the index.

    ``regions``: (canonical chrom, start, end), 1-based inclusive, already merged. Run
    ``inspect_vcf`` first: this function trusts the validation it did (``facts`` is not re-read).
    Records come as text through pysam's tabix iterator and are parsed with polars in bulk
    (faster than cyvcf2's per-record access, and every malformed value is an error naming it).
    ``sites``: parse only the records it names (all records when None).
    """
    path = os.fspath(path)
    cursor = _Cursor()
    with _text_reader(path, cursor) as (tbx, header), _located(path, header):
        plan = _plan(path, header, sample, af_fields)
        text = _region_text(tbx, regions, header.names(), cursor)
        parsed = vp.calls_frames(vp.of_interest(text, sites), plan)
        return parsed.calls, parsed.annotations


@contextmanager
def _located(path: str, header: _Header) -> Iterator[None]:
    """A malformed record's error gains its line number in the file (found only when one occurs)."""
    try:
        yield
    except VcfRecordError as exc:
        if exc.line is not None:
            raise
        name = header.names().get(exc.chrom, exc.chrom)
        line = _line_number(path, name, exc.pos)
        raise VcfRecordError(path, name, exc.pos, exc.problem, line) from None


def _line_number(path: str, chrom: str, pos: str) -> int | None:
    """The 1-based line of the first record at chrom:pos (a sequential scan: errors only)."""
    prefix = f"{chrom}\t{pos}\t"
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if line.startswith(prefix):
                    return number
    except (OSError, EOFError):
        return None
    return None


# ---------------------------------------------------------------- sex evidence


def _windows(windows: Sequence[tuple[int, ...]], chrom: str) -> list[Region]:
    """Accept (start, end) or (chrom, start, end) windows."""
    return [(chrom, int(w[-2]), int(w[-1])) for w in windows]


def _outside_pars(build: str) -> pl.Expr:
    inside = pl.lit(False)
    for chrom, pars in (("X", PARS[build]), ("Y", PARS_Y[build])):
        for start, end in pars:
            inside = inside | ((pl.col("chrom") == chrom) & pl.col("pos").is_between(start, end))
    return ~inside


def read_sex_evidence(
    path: str | os.PathLike[str],
    sample: str,
    build: str,
    x_windows: Sequence[tuple[int, ...]],
    y_windows: Sequence[tuple[int, ...]],
) -> SexEvidence:
    """Called non-hom-ref genotypes on X and Y in the given windows (PAR positions are skipped).

    A call counts when no allele is missing and at least one is ALT; ``x_het`` counts diploid X calls
    with two different alleles; ``y_hemi`` counts chrY calls that look hemizygous (haploid, or
    homozygous ALT). Windows are (start, end) or (chrom, start, end), 1-based inclusive.
    """
    path = os.fspath(path)
    cursor = _Cursor()
    with _text_reader(path, cursor) as (tbx, header), _located(path, header):
        plan = _plan(path, header, sample, {})
        x = _sex_calls(tbx, header, plan, build, _windows(x_windows, "X"), cursor)
        y = _sex_calls(tbx, header, plan, build, _windows(y_windows, "Y"), cursor)
        return _evidence(x, y, len(x_windows), len(y_windows), "Y" in header.names())


def _sex_calls(
    tbx: pysam.TabixFile,
    header: _Header,
    plan: vp.ParsePlan,
    build: str,
    regions: Sequence[Region],
    cursor: _Cursor,
) -> pl.DataFrame:
    """Called non-hom-ref genotypes (a0, a1, ploidy) in the regions, outside the PARs."""
    return _sex_frame(_region_text(tbx, regions, header.names(), cursor), plan, build)


def _sex_frame(text: pl.DataFrame, plan: vp.ParsePlan, build: str) -> pl.DataFrame:
    """``_sex_calls`` of records already fetched."""
    records = vp.gt_columns(vp.split_columns(text, plan), plan.path)
    return records.filter(
        pl.col("a0").is_not_null()
        & ((pl.col("ploidy") == 1) | pl.col("a1").is_not_null())
        & ((pl.col("a0") > 0) | (pl.col("a1") > 0).fill_null(False))
        & _outside_pars(build)
    ).select("chrom", "a0", "a1", "ploidy")


def _evidence(x: pl.DataFrame, y: pl.DataFrame, x_windows: int, y_windows: int, has_y: bool) -> SexEvidence:
    het = (pl.col("ploidy") == 2) & (pl.col("a0") != pl.col("a1"))
    return SexEvidence(
        x_calls=x.height,
        x_het=x.filter(het).height,
        y_calls=y.height,
        x_windows=x_windows,
        y_windows=y_windows,
        has_y_contig=has_y,
        y_hemi=y.filter(~het).height,
    )


def read_sample(
    path: str | os.PathLike[str],
    sample: str,
    build: str,
    reads: SampleReads,
) -> SampleRead:
    """Everything a screen reads of one VCF, through one open index: the panel regions (calls,
    annotations, records per region) and the sex chromosomes (chrX windows, whole when they hold
    too few calls; the whole male-specific chrY).

    The index is read in a thread (htslib's iteration releases the GIL): the panel regions, the chrX
    windows, chrY, the completeness tails, in turn; while it fetches the sex chromosomes, this thread
    parses the panel's records. One handle, used by one thread at a time (the whole of chrX, when
    needed, is read after the others); the results are taken, and their errors raised, in the order
    the reads had before."""
    path = os.fspath(path)
    cursor = _Cursor()
    with _text_reader(path, cursor) as (tbx, header), _located(path, header):
        plan = _plan(path, header, sample, reads.af_fields, reads.reference)
        names = header.names()
        counts: list[RegionCount] = []
        failed: list[BaseException] = []

        def in_turn(read, *args):
            """One read of the thread's queue, skipped once a read or the parsing failed: the error
            raised is that one, and ``cursor`` still names the record its read reached."""
            if failed:
                return None
            try:
                return read(*args)
            except BaseException as exc:
                failed.append(exc)
                raise

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tabix") as pool:  # tasks in turn
            text = pool.submit(in_turn, _region_text, tbx, reads.regions, names, cursor, counts)
            x_text = pool.submit(in_turn, _region_text, tbx, reads.x_windows, names, cursor)
            y_text = pool.submit(in_turn, _region_text, tbx, reads.y_regions, names, cursor)
            tail_counts = pool.submit(in_turn, lambda: tuple(_any_record(tbx, reads.tails, names)))
            try:
                parsed = vp.calls_frames(vp.of_interest(text.result(), reads.sites), plan)
                x = _sex_frame(x_text.result(), plan, build)
            except BaseException as exc:  # a malformed record: the reads still queued are not needed
                failed.append(exc)
                raise
        x_windows = len(reads.x_windows)
        if x.height < reads.min_x_calls and reads.x_whole:  # an exome or a targeted VCF
            x = _sex_calls(tbx, header, plan, build, reads.x_whole, cursor)
            x_windows = 0
        y = _sex_frame(y_text.result(), plan, build)
        tails = tail_counts.result()
        evidence = _evidence(x, y, x_windows, len(reads.y_regions), "Y" in names)
        indexed = frozenset(canonical_chrom(c) for c in tbx.contigs)
    facts = ReadFacts(tuple(counts), indexed, parsed.notes, reads.reference is not None, tails)
    return SampleRead(parsed.calls, parsed.annotations, evidence, facts)


def _any_record(tbx: pysam.TabixFile, regions: Sequence[Region], names: Mapping[str, str]):
    """1 for each region holding at least one record, else 0 (the first record is enough; not parsed)."""
    indexed = set(tbx.contigs)
    for (chrom, start, end), name in _sorted_regions(regions, names):
        found = name in indexed and next(iter(tbx.fetch(name, start - 1, end)), None) is not None
        yield RegionCount(chrom, start, end, int(found))


# ---------------------------------------------------------------- ClinVar


def _clinvar_build_problems(header: _Header, build: str) -> list[Reason]:
    problems = []
    ref = (header.reference or "").lower()
    for other, aliases in _BUILD_ALIASES.items():
        if other != build and any(a in ref for a in aliases):
            template = N_("##reference={reference} is {other}, but the panel is {build}")
            problems.append(Reason(template, reference=header.reference, other=other, build=build))
    canon = {canonical_chrom(n): length for n, length in header.contigs.items()}
    wrong = [c for c in SCREENED_CONTIGS if canon.get(c) and canon[c] != CONTIG_LENGTHS[build][c]]
    if wrong:
        template = N_("##contig lengths differ from {build} for chromosome(s) {contigs}")
        problems.append(Reason(template, build=build, contigs=", ".join(wrong[:5])))
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
        raise ClinVarError(path, Reason(N_("file not found")))
    _check_bgzf(path, ClinVarError)
    indexed = any(os.path.exists(path + s) for s in (".tbi", ".csi"))
    if indexed:
        _find_index(path, ClinVarError)
    cursor = _Cursor()
    try:
        with _open(path, error=ClinVarError) as vcf:
            header = _header(vcf)
            problems = _clinvar_build_problems(header, build)
            if problems:
                raise ClinVarError(path, tuple(problems))
            with _translated(path, cursor, ClinVarError):
                if indexed and regions is not None:
                    rows = _clinvar_rows(_clinvar_indexed(path, regions, header.names(), cursor))
                else:
                    rows = _clinvar_rows(_clinvar_sequential(vcf, regions, cursor))
    except ScreeningError as exc:
        if isinstance(exc, ClinVarError):
            raise
        message = exc.message if isinstance(exc, VcfError) else str(exc)
        raise ClinVarError(path, message) from exc
    records = pl.DataFrame(rows, schema=CLINVAR_SCHEMA, orient="row").unique(maintain_order=True)
    return ClinVarSnapshot(
        source=os.path.basename(path),
        release_date=_iso_date(header.file_date),
        sha256=sha256_file(path),
        records=records,
    )
