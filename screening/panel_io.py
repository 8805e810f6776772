"""Reading the files of a panel folder into domain objects, collecting every problem with "file:line".

Used by :mod:`screening.panels`; nothing here raises on bad content: each parser appends
:class:`~screening.errors.Problem` objects and returns ``None`` for what it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from screening.domain import (
    CONTIG_LENGTHS,
    N_,
    PARS,
    SCREENED_CONTIGS,
    ExcludedVariant,
    IncludedVariant,
    Moi,
    PanelGene,
    Reason,
    Urgency,
    canonical_chrom,
)
from screening.errors import Problem
from screening.inputs import control_character

HGNC_ID = re.compile(r"^HGNC:[1-9]\d*$")
SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TRANSCRIPT = re.compile(r"^(ENST\d{11}|NM_\d+)(\.\d+)?$")
BASES = re.compile(r"^[ACGTN]+$")
UNSCREENABLE_MOI = ("MITOCHONDRIAL", "UNKNOWN", "OTHER", "")

GENE_COLUMNS = ("hgnc_id", "symbol", "moi", "condition", "lof_mechanism", "chrom", "start", "end")
GENE_OPTIONAL = ("transcript", "active", "urgency", "source")
INCLUDE_COLUMNS = ("chrom", "pos", "ref", "alt", "hgnc_id", "source")
EXCLUDE_COLUMNS = ("chrom", "pos", "ref", "alt", "reason")
MAX_LINE_CHARS = 100_000


@dataclass(frozen=True)
class Row:
    """One data line of a TSV file: where it is ("path:line") and its values by column name."""

    where: str
    values: dict[str, str]


class RowReader:
    """Field parsers for one row: each returns the value or ``None`` after recording a problem."""

    def __init__(self, row: Row, build: str | None, problems: list[Problem]):
        self.row, self.build, self.problems, self.ok = row, build, problems, True

    def bad(self, message: Reason) -> None:
        self.ok = False
        self.problems.append(Problem(self.row.where, message))

    def text(self, column: str, required: bool = True) -> str:
        value = self.row.values.get(column, "")
        if required and not value:
            self.bad(Reason(N_("{column} is empty"), column=column))
        return value

    def boolean(self, column: str, default: bool | None = None) -> bool | None:
        value = self.row.values.get(column, "")
        if not value and default is not None:
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.bad(Reason(N_("{column} must be true or false, not {value!r}"), column=column, value=value))
        return None

    def integer(self, column: str) -> int | None:
        value = self.row.values.get(column, "")
        if re.fullmatch(r"[1-9]\d*", value):
            return int(value)
        self.bad(
            Reason(
                N_("{column} must be a positive whole number (1-based), not {value!r}"),
                column=column,
                value=value,
            )
        )
        return None

    def hgnc_id(self) -> str | None:
        value = self.row.values.get("hgnc_id", "")
        if HGNC_ID.match(value):
            return value
        self.bad(
            Reason(N_("hgnc_id {value!r} is not of the form HGNC:<number> (e.g. HGNC:1884)"), value=value)
        )
        return None

    def chrom(self) -> str | None:
        value = self.row.values.get("chrom", "")
        chrom = canonical_chrom(value) if value else ""
        if self.build is None:
            return chrom or None
        if chrom not in CONTIG_LENGTHS[self.build]:
            self.bad(
                Reason(N_("chromosome {value!r} is not a contig of {build}"), value=value, build=self.build)
            )
            return None
        if chrom not in SCREENED_CONTIGS:
            self.bad(
                Reason(N_("chromosome {value!r} is not screened (screening covers 1-22 and X)"), value=value)
            )
            return None
        return chrom

    def within_contig(self, chrom: str | None, end: int | None, what: Reason) -> None:
        if self.build is None or chrom is None or end is None:
            return
        length = CONTIG_LENGTHS[self.build].get(chrom)
        if length is not None and end > length:
            self.bad(
                Reason(
                    N_("{what} {end} is beyond the end of chromosome {chrom} ({length:,} bp in {build})"),
                    what=what,
                    end=end,
                    chrom=chrom,
                    length=length,
                    build=self.build,
                )
            )

    def moi(self) -> Moi | None:
        value = self.row.values.get("moi", "")
        if value in Moi.__members__:
            return Moi(value)
        if value.upper().split(" ")[0].rstrip(",") in UNSCREENABLE_MOI:
            self.bad(
                Reason(
                    N_(
                        "mode of inheritance {value!r} cannot be screened: only MONOALLELIC, BIALLELIC, "
                        "XLINKED_MONOALLELIC and XLINKED_BIALLELIC can (mitochondrial, unknown and other "
                        "modes have no genotype rule); curate a screenable mode or leave the gene out"
                    ),
                    value=value,
                )
            )
        else:
            self.bad(
                Reason(
                    N_("unknown mode of inheritance {value!r}; use one of {items}"),
                    value=value,
                    items=", ".join(Moi.__members__),
                )
            )
        return None

    def urgency(self) -> Urgency | None:
        value = self.row.values.get("urgency", "")
        if not value:
            return Urgency.ROUTINE
        if value in tuple(Urgency):
            return Urgency(value)
        self.bad(
            Reason(
                N_("urgency {value!r} is not one of {items} (empty: {routine})"),
                value=value,
                items=", ".join(Urgency),
                routine=str(Urgency.ROUTINE),
            )
        )
        return None

    def allele(self, column: str) -> str | None:
        value = self.row.values.get(column, "")
        if BASES.match(value):
            return value
        self.bad(
            Reason(
                N_("{column} {value!r} must be upper-case A, C, G, T or N only"), column=column, value=value
            )
        )
        return None


def read_tsv(path: Path, required: tuple[str, ...], optional: tuple[str, ...], problems: list) -> list[Row]:
    """Rows of a tab-separated file whose first line is the header (a leading ``#`` is allowed)."""
    text = _read_text(path, problems)
    if text is None:
        return []
    lines = [line.removesuffix("\r") for line in text.split("\n")]  # not splitlines(): \x0c, \x1e … are data
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        problems.append(
            Problem(
                f"{path}:1",
                Reason(
                    N_("empty file; the first line must be the header: {required}"), required=_cols(required)
                ),
            )
        )
        return []
    header = [c.strip() for c in lines[0].lstrip("#").split("\t")]
    bad_header = control_character(lines[0], allow_tab=True)
    if bad_header:
        problems.append(
            Problem(f"{path}:1", Reason(N_("the header has a {bad_header}"), bad_header=bad_header))
        )
        return []
    if not _header_ok(path, header, required, optional, problems):
        return []
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        control = control_character(line, allow_tab=True)
        if control:
            problems.append(
                Problem(f"{path}:{number}", Reason(N_("the line has a {control}"), control=control))
            )
            continue
        if len(line) > MAX_LINE_CHARS:
            template = N_("{n:,} characters (at most {limit:,})")
            problems.append(Problem(f"{path}:{number}", Reason(template, n=len(line), limit=MAX_LINE_CHARS)))
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            problems.append(
                Problem(
                    f"{path}:{number}",
                    Reason(
                        N_("{n} field(s) but the header has {n2} (separate columns by one tab)"),
                        n=len(fields),
                        n2=len(header),
                    ),
                )
            )
            continue
        rows.append(Row(f"{path}:{number}", dict(zip(header, (f.strip() for f in fields), strict=True))))
    return rows


def _read_text(path: Path, problems: list) -> str | None:
    if not path.is_file():
        problems.append(
            Problem(str(path), Reason(N_("file is missing (an empty list is a file with only the header)")))
        )
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                str(path),
                Reason(N_("not UTF-8 text ({reason} at byte {start})"), reason=exc.reason, start=exc.start),
            )
        )
        return None


def _cols(columns: tuple[str, ...]) -> str:
    return " ".join(columns)


def _header_ok(path: Path, header: list[str], required, optional, problems: list) -> bool:
    where = f"{path}:1"
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        template = N_("missing column(s): {missing} (columns must be separated by tabs)")
        if len(header) != 1:
            template = N_("missing column(s): {missing}")
        problems.append(Problem(where, Reason(template, missing=_cols(tuple(missing)))))
    if unknown:
        allowed = _cols(required + optional)
        problems.append(
            Problem(
                where,
                Reason(
                    N_("unknown column(s): {unknown}; allowed: {allowed}"),
                    unknown=_cols(tuple(unknown)),
                    allowed=allowed,
                ),
            )
        )
    if duplicated:
        problems.append(
            Problem(
                where, Reason(N_("column(s) given twice: {duplicated}"), duplicated=_cols(tuple(duplicated)))
            )
        )
    return not (missing or unknown or duplicated)


def parse_gene(row: Row, build: str | None, problems: list) -> PanelGene | None:
    r = RowReader(row, build, problems)
    hgnc_id, symbol, moi = r.hgnc_id(), r.text("symbol"), r.moi()
    if symbol and not SYMBOL.match(symbol):
        r.bad(Reason(N_("symbol {symbol!r} is not a gene symbol"), symbol=symbol))
    condition, lof = r.text("condition"), r.boolean("lof_mechanism")
    chrom, start, end = r.chrom(), r.integer("start"), r.integer("end")
    if start is not None and end is not None and start > end:
        r.bad(Reason(N_("start {start} is after end {end}"), start=start, end=end))
    r.within_contig(chrom, end, Reason(N_("end")))
    transcript = r.text("transcript", required=False) or None
    if transcript and not TRANSCRIPT.match(transcript):
        r.bad(
            Reason(
                N_("transcript {transcript!r} is not an Ensembl (ENST...) or RefSeq (NM_...) transcript id"),
                transcript=transcript,
            )
        )
    active, urgency = r.boolean("active", default=True), r.urgency()
    if not r.ok:
        return None
    gene = PanelGene(
        hgnc_id,
        symbol,
        moi,
        condition,
        lof,
        chrom,
        start,
        end,
        transcript,
        active,
        r.text("source", required=False),
        urgency,
    )
    _check_x_mode(r, gene, build)
    return gene if r.ok else None


def _check_x_mode(r: RowReader, gene: PanelGene, build: str | None) -> None:
    """X-linked modes belong outside the PARs of chrX; autosomal modes on chrX only inside a PAR."""
    if build is None:
        return
    in_par = gene.chrom == "X" and any(s <= gene.start and gene.end <= e for s, e in PARS[build])
    x_linked = gene.moi in (Moi.XLINKED_MONOALLELIC, Moi.XLINKED_BIALLELIC)
    if x_linked and (gene.chrom != "X" or in_par):
        place = (
            Reason(N_("a pseudoautosomal region"))
            if in_par
            else Reason(N_("chromosome {chrom}"), chrom=gene.chrom)
        )
        r.bad(
            Reason(
                N_("{moi} is an X-linked mode but {symbol} lies in {place}"),
                moi=gene.moi,
                symbol=gene.symbol,
                place=place,
            )
        )
    elif not x_linked and gene.chrom == "X" and not in_par:
        r.bad(
            Reason(
                N_("{symbol} is on chrX outside the PARs: use XLINKED_MONOALLELIC or XLINKED_BIALLELIC"),
                symbol=gene.symbol,
            )
        )


def _variant_fields(r: RowReader) -> tuple | None:
    chrom, pos, ref, alt = r.chrom(), r.integer("pos"), r.allele("ref"), r.allele("alt")
    if ref and alt and ref == alt:
        r.bad(Reason(N_("ref and alt are the same ({ref})"), ref=ref))
    elif ref and alt and len(ref) > 1 and len(alt) > 1 and (ref[0] == alt[0] or ref[-1] == alt[-1]):
        r.bad(
            Reason(
                N_("{ref}>{alt} is not normalised (trim shared bases, as bcftools norm does)"),
                ref=ref,
                alt=alt,
            )
        )
    if pos is not None and ref:
        r.within_contig(chrom, pos + len(ref) - 1, Reason(N_("variant end")))
    return (chrom, pos, ref, alt) if r.ok else None


def parse_include(row: Row, build: str | None, problems: list) -> IncludedVariant | None:
    r = RowReader(row, build, problems)
    fields, hgnc_id, source = _variant_fields(r), r.hgnc_id(), r.text("source")
    return IncludedVariant(*fields, hgnc_id, source) if r.ok and fields else None


def parse_exclude(row: Row, build: str | None, problems: list) -> ExcludedVariant | None:
    r = RowReader(row, build, problems)
    fields, reason = _variant_fields(r), r.text("reason")
    return ExcludedVariant(*fields, reason) if r.ok and fields else None
