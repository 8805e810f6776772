"""PanelApp REST API responses → a draft panel folder a curator reviews and then publishes.

Input: the real JSON of ``GET /api/v1/panels/<id>/`` (one panel, or a super-panel whose genes come from
component panels), a JSON-lines file of such responses, or pages of a paginated gene list
(``count/next/results`` whose results are gene entities with a nested ``panel``). Several inputs are
merged into one draft. Genes are keyed by HGNC ID; Green (confidence >= 3) genes are active, Amber and
Red ones are kept inactive; PanelApp modes of inheritance are mapped by :func:`panels.map_panelapp_moi`.
Nothing is dropped silently: every entity that is not screened, or screened inactive, is a line of the
:class:`ImportReport`. The quirks of the real data are handled here: confidence as strings (and "0"),
null penetrance, empty strings for "not given", ``GRch38`` spelling of build keys, Ensembl release keys
that differ between instances ("82"/"90" vs "87"/"115"), ``ensembl_genes`` stored as a JSON string.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from screening import panel_content, panels
from screening.domain import (
    CONTIG_LENGTHS,
    GENOME_BUILDS,
    N_,
    SCREENED_CONTIGS,
    Moi,
    PanelGene,
    PanelVersion,
    Reason,
    RuleSettings,
    Version,
    canonical_chrom,
)
from screening.errors import PanelError, Problem

GREEN = 3
COLOURS = {4: "Green", 3: "Green", 2: "Amber", 1: "Red", 0: "No list"}
REPORT_NAME = "panelapp_import_report.tsv"
REPORT_COLUMNS = ("entity", "hgnc_id", "confidence", "panelapp_moi", "screening_moi", "status", "reason")
_LOCATION = re.compile(r"^\s*([A-Za-z0-9_.]+):([0-9]{1,12})-([0-9]{1,12})\s*$")
_DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII only: "²".isdigit() is True but int("²") fails
_TRANSCRIPT = re.compile(r"^(ENST\d{11}|NM_\d+)(\.\d+)?$")
_NO_LOF = re.compile(r"do not cause", re.IGNORECASE)


@dataclass(frozen=True)
class SourcePanel:
    """Which PanelApp panel (and version) an entry came from: provenance kept with every gene."""

    panelapp_id: int | None
    name: str
    version: str  # as PanelApp wrote it ("2.10"); never parsed as a number

    def __str__(self) -> str:
        ident = f"panel {self.panelapp_id}" if self.panelapp_id is not None else "panel ?"
        return f"PanelApp {ident} {self.name!r} v{self.version}"


@dataclass(frozen=True)
class Locus:
    chrom: str
    start: int
    end: int
    ensembl_id: str
    release: str


@dataclass(frozen=True)
class Entry:
    """One PanelApp entity as read, before merging (gene, STR or region)."""

    entity_type: str
    name: str
    hgnc_id: str
    symbol: str
    confidence: int | None
    moi_text: str
    phenotypes: tuple[str, ...]
    mode_of_pathogenicity: str
    penetrance: str
    transcript: str | None
    loci: dict[str, Locus]  # genome build -> locus
    source: SourcePanel


@dataclass(frozen=True)
class ReportLine:
    entity: str
    hgnc_id: str
    confidence: str
    panelapp_moi: str
    screening_moi: str
    status: str  # active | inactive | not_screened
    reason: str


@dataclass(frozen=True)
class ImportReport:
    sources: tuple[SourcePanel, ...]
    lines: tuple[ReportLine, ...]

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    def not_screened(self) -> tuple[ReportLine, ...]:
        return tuple(line for line in self.lines if line.status == "not_screened")


@dataclass(frozen=True)
class DraftOptions:
    panel_id: str
    version: Version
    genome_build: str
    name: str | None = None


@dataclass(frozen=True)
class ImportResult:
    panel: PanelVersion
    report: ImportReport


# ---------------------------------------------------------------- reading responses


def load_responses(paths: list[Path]) -> list[dict[str, Any]]:
    """The JSON documents in ``paths`` (``.jsonl``: one per line); PanelError names an unreadable file."""
    documents, problems = [], []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), Reason(N_("cannot read: {detail}"), detail=str(exc))))
            continue
        found, bad = _parse_text(text, str(path))
        documents += found
        problems += bad
    if problems:
        raise PanelError(Reason(N_("PanelApp response")), problems)
    return documents


def parse_responses(data: bytes, name: str) -> list[dict[str, Any]]:
    """The JSON documents of one uploaded file (the web's import), read as :func:`load_responses` reads a
    file; problems name the file as ``name`` (the uploader's file name, never a server path)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PanelError(
            Reason(N_("PanelApp response")),
            [Problem(name, Reason(N_("not UTF-8 text (byte {start})"), start=exc.start))],
        ) from None
    documents, problems = _parse_text(text, name)
    if not documents and not problems:
        problems.append(Problem(name, Reason(N_("empty: no JSON document"))))
    if problems:
        raise PanelError(Reason(N_("PanelApp response")), problems)
    return documents


def _parse_text(text: str, name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    documents, problems = [], []
    lines = text.splitlines() if name.endswith(".jsonl") else [text]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{name}:{number}", Reason(N_("not JSON: {detail}"), detail=str(exc))))
        except RecursionError:
            problems.append(Problem(f"{name}:{number}", Reason(N_("not JSON: nested too deeply"))))
    return documents, problems


def read_entries(documents: list[dict[str, Any]]) -> tuple[list[SourcePanel], list[Entry]]:
    """Every entity of every document, each with the panel it came from."""
    sources: list[SourcePanel] = []
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, doc in enumerate(documents, start=1):
        kind = _document_kind(doc)
        if kind == "panel":
            source = _source(doc)
            sources.append(source)
            for item in _entities(doc):
                entries.append(_entry(item, _source(item["panel"]) if _has_panel(item) else source))
        elif kind == "entity_page":
            _check_last_page(doc, number, documents, problems)
            for item in doc["results"]:
                source = _source(item["panel"]) if _has_panel(item) else SourcePanel(None, "?", "?")
                sources.append(source)
                entries.append(_entry(item, source))
        else:
            problems.append(Problem(Reason(N_("document {number}"), number=number), kind))
    if problems:
        raise PanelError(Reason(N_("PanelApp response")), problems)
    return _unique(sources), entries


def _entities(doc: dict) -> list[dict]:
    items = [*_list(doc.get("genes")), *_list(doc.get("strs")), *_list(doc.get("regions"))]
    return [item for item in items if isinstance(item, dict)]


def _list(value: Any) -> list:
    """A JSON array as a list; anything else (null, a number, an object) as no items."""
    return value if isinstance(value, list) else []


def _whole(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if _DIGITS.fullmatch(text) else None


def _document_kind(doc: Any) -> str:
    if not isinstance(doc, dict):
        return Reason(N_("not a JSON object"))
    if "genes" in doc and "id" in doc:
        return "panel"
    results = doc.get("results")
    if isinstance(results, list) and all(isinstance(r, dict) and "entity_type" in r for r in results):
        return "entity_page"
    if isinstance(results, list):
        listed = ", ".join(f"{r.get('id')} v{r.get('version')}" for r in results[:10] if isinstance(r, dict))
        more = ", …" if len(results) > 10 else ""
        return Reason(
            N_(
                "a list of panels ({listed}), not a panel: fetch GET /api/v1/panels/<id>/ for the panel "
                "to import"
            ),
            listed=listed + more,
        )
    return Reason(N_("not a PanelApp panel response (no 'genes' and no 'results')"))


def _check_last_page(doc: dict, number: int, documents: list, problems: list[Problem]) -> None:
    if doc.get("next") and number == len(documents):
        problems.append(
            Problem(
                Reason(N_("document {number}"), number=number),
                Reason(
                    N_(
                        "a paginated list with more pages ({count} results in all; next: {next}): "
                        "give every page"
                    ),
                    count=doc.get("count"),
                    next=doc["next"],
                ),
            )
        )


def _has_panel(item: dict) -> bool:
    return isinstance(item.get("panel"), dict)


def _source(panel: dict) -> SourcePanel:
    pid = panel.get("id")
    return SourcePanel(
        _whole(pid) if isinstance(pid, int | str) and not isinstance(pid, bool) else None,
        _text(panel.get("name")) or "?",
        _text(panel.get("version")) or "?",
    )


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


def _text(value: Any) -> str:
    """PanelApp uses "", null and missing alike for "not given"; all become ""."""
    if value in (None, ""):
        return ""
    text = str(value).encode("utf-8", "replace").decode("utf-8")  # a lone surrogate ("\\udcff") → "?"
    return " ".join(text.split())


def _entry(item: dict, source: SourcePanel) -> Entry:
    gene = _gene_data(item.get("gene_data"))
    symbol = (
        _text(gene.get("hgnc_symbol")) or _text(gene.get("gene_symbol")) or _text(item.get("entity_name"))
    )
    return Entry(
        entity_type=_text(item.get("entity_type")) or "gene",
        name=_text(item.get("entity_name")) or symbol,
        hgnc_id=_text(gene.get("hgnc_id")),
        symbol=symbol,
        confidence=parse_confidence(item.get("confidence_level")),
        moi_text=_text(item.get("mode_of_inheritance")),
        phenotypes=tuple(_unique([_text(p) for p in _list(item.get("phenotypes")) if _text(p)])),
        mode_of_pathogenicity=_text(item.get("mode_of_pathogenicity")),
        penetrance=_text(item.get("penetrance")),
        transcript=_transcript(item.get("transcript")),
        loci=gene_loci(gene),
        source=source,
    )


def _gene_data(value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def parse_confidence(value: Any) -> int | None:
    """PanelApp confidence: "3"/3 → 3 (Green), "0" → 0; colour names too; None/"" → None."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().lower()
    if _DIGITS.fullmatch(text):
        return int(text)
    return {"green": 3, "amber": 2, "red": 1}.get(text)


def _transcript(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    found = [str(v).strip() for v in values if v and _TRANSCRIPT.match(str(v).strip())]
    return found[0] if len(found) == 1 else None


def gene_loci(gene: dict) -> dict[str, Locus]:
    """GRCh37/GRCh38 loci of ``gene_data.ensembl_genes`` (any key spelling, newest Ensembl release)."""
    ensembl = gene.get("ensembl_genes")
    if isinstance(ensembl, str):
        try:
            ensembl = json.loads(ensembl)
        except json.JSONDecodeError:
            ensembl = {}
    loci: dict[str, Locus] = {}
    for key, releases in (ensembl or {}).items() if isinstance(ensembl, dict) else ():
        build = next((b for b in GENOME_BUILDS if b.lower() == str(key).strip().lower()), None)
        if build is None or not isinstance(releases, dict):
            continue
        locus = _newest_locus(releases, build)
        if locus is not None:
            loci[build] = locus
    return loci


def _newest_locus(releases: dict, build: str) -> Locus | None:
    def release_key(item: tuple[str, Any]) -> int:
        whole = _whole(item[0])
        return -1 if whole is None else whole

    for release, data in sorted(releases.items(), key=release_key, reverse=True):
        match = _LOCATION.match(str((data or {}).get("location", ""))) if isinstance(data, dict) else None
        if not match:
            continue
        chrom, start, end = canonical_chrom(match.group(1)), int(match.group(2)), int(match.group(3))
        if chrom in CONTIG_LENGTHS[build] and 1 <= start <= end <= CONTIG_LENGTHS[build][chrom]:
            return Locus(chrom, start, end, _text(data.get("ensembl_id")), str(release))
    return None


# ---------------------------------------------------------------- entries → genes + report


def build_draft(documents: list[dict[str, Any]], options: DraftOptions) -> ImportResult:
    """The draft panel version (not validated as a folder yet) and the report of what was not screened."""
    sources, entries = read_entries(documents)
    genes: dict[tuple[str, Moi], PanelGene] = {}
    lines: list[ReportLine] = []
    for entry in entries:
        for gene, line in _screen_entry(entry, options.genome_build):
            lines.append(line)
            if gene is not None:
                key = (gene.hgnc_id, gene.moi)
                genes[key] = _merge(genes.get(key), gene)
    panel = PanelVersion(
        panel_id=options.panel_id,
        name=options.name or _panel_name(sources),
        version=options.version,
        genome_build=options.genome_build,
        settings=RuleSettings(),
        genes=tuple(genes.values()),
        description=_description(sources),
    )
    panel = panel_content.sealed(panel)
    return ImportResult(panel, ImportReport(tuple(sources), tuple(lines)))


def _screen_entry(entry: Entry, build: str) -> list[tuple[PanelGene | None, ReportLine]]:
    def line(status: str, reason: str, moi: str = "") -> ReportLine:
        confidence = "" if entry.confidence is None else str(entry.confidence)
        return ReportLine(entry.name, entry.hgnc_id, confidence, entry.moi_text, moi, status, reason)

    if entry.entity_type != "gene":
        return [(None, line("not_screened", f"{entry.entity_type} entities are not screened (genes only)"))]
    if not re.fullmatch(r"HGNC:[1-9]\d*", entry.hgnc_id):
        return [(None, line("not_screened", "no HGNC ID in gene_data: genes are keyed by HGNC ID"))]
    try:
        modes = panels.map_panelapp_moi(entry.moi_text, f"{entry.symbol} ({entry.hgnc_id})")
    except PanelError as exc:
        return [(None, line("not_screened", exc.problems[0].message))]
    locus = entry.loci.get(build)
    if locus is None or locus.chrom not in SCREENED_CONTIGS:
        why = f"no {build} coordinates in gene_data" if locus is None else f"on {locus.chrom}, not screened"
        return [(None, line("not_screened", why))]
    active = entry.confidence is not None and entry.confidence >= GREEN
    status = "active" if active else "inactive"
    out = []
    for moi in modes:
        gene = _gene(entry, moi, locus, active)
        out.append((gene, line(status, _status_reason(entry, active), str(moi))))
    return out


def _status_reason(entry: Entry, active: bool) -> str:
    notes = [] if active else [f"{_colour(entry.confidence)}: kept for the record, not screened"]
    if entry.penetrance and entry.penetrance.lower() != "complete":
        notes.append(f"penetrance {entry.penetrance}")
    if not _lof(entry):
        notes.append("loss of function not a mechanism (mode_of_pathogenicity): LoF route off")
    return "; ".join(notes)


def _colour(confidence: int | None) -> str:
    if confidence is None:
        return "no confidence level"
    return f"{COLOURS.get(confidence, 'Green' if confidence > 4 else '?')} (confidence {confidence})"


def _lof(entry: Entry) -> bool:
    """PanelApp records mode_of_pathogenicity only as an exception to loss of function."""
    return not entry.mode_of_pathogenicity or not (
        _NO_LOF.search(entry.mode_of_pathogenicity) or entry.mode_of_pathogenicity.lower().startswith("other")
    )


def _gene(entry: Entry, moi: Moi, locus: Locus, active: bool) -> PanelGene:
    return PanelGene(
        hgnc_id=entry.hgnc_id,
        symbol=entry.symbol,
        moi=moi,
        condition="; ".join(entry.phenotypes) or f"see {entry.source}",
        lof_mechanism=_lof(entry),
        chrom=locus.chrom,
        start=locus.start,
        end=locus.end,
        transcript=entry.transcript,
        active=active,
        source=_gene_source(entry, locus),
    )


def _gene_source(entry: Entry, locus: Locus) -> str:
    confidence = "?" if entry.confidence is None else str(entry.confidence)
    return f"{entry.source} confidence {confidence}; Ensembl {locus.release} {locus.ensembl_id}".strip()


def _merge(earlier: PanelGene | None, gene: PanelGene) -> PanelGene:
    """The same gene and mode from two component panels: active if either is; both sources kept."""
    if earlier is None:
        return gene
    chosen = gene if gene.active and not earlier.active else earlier
    sources = _unique([*earlier.source.split(" | "), *gene.source.split(" | ")])
    return replace(chosen, active=earlier.active or gene.active, source=" | ".join(sources))


def _panel_name(sources: list[SourcePanel]) -> str:
    return " + ".join(_unique([s.name for s in sources])) or "PanelApp import"


def _description(sources: list[SourcePanel]) -> str:
    return "Imported from " + "; ".join(str(s) for s in sources) if sources else ""


# ---------------------------------------------------------------- writing


def write_draft(result: ImportResult, folder: Path) -> list[Problem]:
    """Write the panel folder and its report; return what the folder validator still finds."""
    folder = Path(folder)
    panels.write_panel(result.panel, folder)
    write_report(result.report, folder / REPORT_NAME)
    return panels.validate_panel(folder)


def write_report(report: ImportReport, path: Path) -> None:
    rows = ["\t".join(REPORT_COLUMNS)]
    for line in report.lines:
        rows.append("\t".join(_clean(getattr(line, c)) for c in REPORT_COLUMNS))
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def report_text(report: ImportReport) -> str:
    """A short human summary: counts and every entity not screened, with why."""
    out = [
        "sources: " + "; ".join(str(s) for s in report.sources),
        f"active (Green) gene entries: {report.count('active')}; inactive (kept, not screened): "
        f"{report.count('inactive')}; not screened: {report.count('not_screened')}",
    ]
    for line in report.not_screened():
        moi = line.panelapp_moi or "no MOI"
        out.append(f"  not screened: {line.entity} {line.hgnc_id or '-'} [{moi}]: {line.reason}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- export (a version as PanelApp JSON)

_NOT_LOF_TEXT = (
    "Loss-of-function variants (as defined in pop up message) DO NOT cause this phenotype - "
    "please provide details"
)
_MOI_TEXT = {
    frozenset({Moi.MONOALLELIC}): "MONOALLELIC, autosomal or pseudoautosomal, not imprinted",
    frozenset({Moi.BIALLELIC}): "BIALLELIC, autosomal or pseudoautosomal",
    frozenset(
        {Moi.MONOALLELIC, Moi.BIALLELIC}
    ): "BOTH monoallelic and biallelic, autosomal or pseudoautosomal",
    frozenset({Moi.XLINKED_BIALLELIC}): (
        "X-LINKED: hemizygous mutation in males, biallelic mutations in females"
    ),
    frozenset({Moi.XLINKED_MONOALLELIC}): (
        "X-LINKED: hemizygous mutation in males, monoallelic mutations in females may cause disease "
        "(may be less severe, later onset than males)"
    ),
}


def panelapp_document(version: PanelVersion) -> dict[str, Any]:
    """A published version in the shape of a PanelApp ``GET /api/v1/panels/<id>/`` response, so that
    other tools (and ``import-panelapp``) can read it: one gene entry per HGNC id with its mode(s) of
    inheritance, confidence 3 when screened (1 when inactive), phenotypes, coordinates of the
    version's build and the predefined transcript. Not a PanelApp panel: ``id`` is null and
    ``source`` names the version and its sha256."""
    by_gene: dict[str, list[PanelGene]] = {}
    for g in sorted(version.genes, key=lambda g: (g.symbol, g.hgnc_id, g.moi.value)):
        by_gene.setdefault(g.hgnc_id, []).append(g)
    genes = []
    for entries in by_gene.values():
        first, modes = entries[0], frozenset(g.moi for g in entries)
        locus = {"location": f"{first.chrom}:{first.start}-{first.end}"}
        genes.append(
            {
                "entity_type": "gene",
                "entity_name": first.symbol,
                "gene_data": {
                    "hgnc_id": first.hgnc_id,
                    "gene_symbol": first.symbol,
                    "ensembl_genes": {version.genome_build: {"export": locus}},
                },
                "confidence_level": "3" if any(g.active for g in entries) else "1",
                "mode_of_inheritance": _MOI_TEXT.get(modes, "Other"),
                "mode_of_pathogenicity": "" if first.lof_mechanism else _NOT_LOF_TEXT,
                "phenotypes": sorted({g.condition for g in entries}),
                "transcript": [first.transcript] if first.transcript else None,
                "penetrance": "",
            }
        )
    return {
        "id": None,
        "name": version.name,
        "version": str(version.version),
        "source": f"{version.label} sha256 {version.sha256}",
        "genes": genes,
        "strs": [],
        "regions": [],
        "stats": {"number_of_genes": len(genes), "number_of_strs": 0, "number_of_regions": 0},
    }
