"""Panel folders: load and validate, canonical content and sha256, write back, PanelApp MOI, regions.

A panel folder (``gene_panels/<id>/``) holds ``panel.toml``, ``genes.tsv``, ``include.tsv`` and
``exclude.tsv`` (format: ``gene_panels/README.md``). Every problem in every file is collected and
reported at once with its "file:line". No database here; the only I/O is reading and writing the folder.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from screening import panel_io as io
from screening import panel_toml
from screening.domain import (
    CONTIG_LENGTHS,
    N_,
    ExcludedVariant,
    IncludedVariant,
    Moi,
    PanelGene,
    PanelVersion,
    Reason,
    RuleSettings,
)
from screening.errors import PanelError, Problem
from screening.panel_content import CHROM_ORDER, gene_key, sealed, variant_key

GENE_WRITE_COLUMNS = (*io.GENE_COLUMNS, *io.GENE_OPTIONAL)


# ---------------------------------------------------------------- loading and validation


def load_panel(folder: Path) -> PanelVersion:
    """The validated panel in ``folder`` with its sha256; :class:`PanelError` lists every problem."""
    panel, problems = _read(Path(folder))
    if problems or panel is None:
        raise PanelError(f"panel folder {folder}", problems)
    return panel


def validate_panel(folder: Path) -> list[Problem]:
    """Every problem of the panel folder (empty when it would load)."""
    return _read(Path(folder))[1]


def _read(folder: Path) -> tuple[PanelVersion | None, list[Problem]]:
    if not folder.is_dir():
        return None, [Problem(str(folder), Reason(N_("panel folder does not exist")))]
    problems: list[Problem] = []
    meta = panel_toml.read_meta(folder / "panel.toml", problems)
    build = meta.genome_build if meta else None
    padding = meta.settings.padding_bp if meta and meta.settings else RuleSettings().padding_bp
    genes, unparsed = _genes(folder / "genes.tsv", build, problems)
    include = _variants(folder / "include.tsv", io.INCLUDE_COLUMNS, io.parse_include, build, problems)
    exclude = _variants(folder / "exclude.tsv", io.EXCLUDE_COLUMNS, io.parse_exclude, build, problems)
    _check_include_genes(include, genes, padding, unparsed, problems)
    _check_both_lists(include, exclude, problems)
    if problems or meta is None:
        return None, problems
    panel = PanelVersion(
        panel_id=meta.panel_id,
        name=meta.name,
        version=meta.version,
        genome_build=meta.genome_build,
        settings=meta.settings,
        description=meta.description,
        genes=tuple(sorted((g for _, g in genes), key=gene_key)),
        include=tuple(sorted((v for _, v in include), key=variant_key)),
        exclude=tuple(sorted((v for _, v in exclude), key=variant_key)),
    )
    return sealed(panel), []


def _genes(
    path: Path, build: str | None, problems: list[Problem]
) -> tuple[list[tuple[str, PanelGene]], set[str]]:
    """The valid gene rows, and the hgnc_ids of invalid ones (their include rows get no second problem)."""
    before = len(problems)
    rows = io.read_tsv(path, io.GENE_COLUMNS, io.GENE_OPTIONAL, problems)
    if not rows and len(problems) == before:
        problems.append(Problem(str(path), Reason(N_("no genes: a panel needs at least one gene"))))
    genes = [(row.where, g) for row in rows if (g := io.parse_gene(row, build, problems))]
    seen: dict[tuple[str, Moi], str] = {}
    first: dict[str, tuple[str, PanelGene]] = {}
    for where, gene in genes:
        key = (gene.hgnc_id, gene.moi)
        if key in seen:
            problems.append(
                Problem(
                    where,
                    Reason(
                        N_("{hgnc_id} {moi} is already listed at {seen}"),
                        hgnc_id=gene.hgnc_id,
                        moi=gene.moi,
                        seen=seen[key],
                    ),
                )
            )
        seen.setdefault(key, where)
        earlier = first.setdefault(gene.hgnc_id, (where, gene))
        if _locus(earlier[1]) != _locus(gene):
            problems.append(
                Problem(
                    where,
                    Reason(
                        N_("{hgnc_id}: symbol or coordinates differ from {earlier}"),
                        hgnc_id=gene.hgnc_id,
                        earlier=earlier[0],
                    ),
                )
            )
    return genes, {r.values.get("hgnc_id", "") for r in rows} - {g.hgnc_id for _, g in genes}


def _locus(gene: PanelGene) -> tuple:
    return gene.symbol, gene.chrom, gene.start, gene.end


def _variants(path: Path, columns, parse, build, problems: list[Problem]) -> list[tuple[str, Any]]:
    rows = io.read_tsv(path, columns, (), problems)
    variants = [(row.where, v) for row in rows if (v := parse(row, build, problems))]
    seen: dict[tuple, str] = {}
    for where, v in variants:
        key = (v.chrom, v.pos, v.ref, v.alt)
        if key in seen:
            problems.append(
                Problem(
                    where, Reason(N_("variant {v} is already listed at {seen}"), v=_show(v), seen=seen[key])
                )
            )
        seen.setdefault(key, where)
    return variants


def _show(v: IncludedVariant | ExcludedVariant) -> str:
    return f"{v.chrom}:{v.pos} {v.ref}>{v.alt}"


def _check_include_genes(include, genes, padding: int, unparsed: set[str], problems: list[Problem]) -> None:
    by_id = {g.hgnc_id: g for _, g in genes}
    for where, v in include:
        gene = by_id.get(v.hgnc_id)
        if gene is None and v.hgnc_id in unparsed:
            continue
        if gene is None:
            problems.append(
                Problem(
                    where, Reason(N_("{hgnc_id} is not a gene of this panel (genes.tsv)"), hgnc_id=v.hgnc_id)
                )
            )
            continue
        end = v.pos + len(v.ref) - 1
        if v.chrom != gene.chrom or end < gene.start - padding or v.pos > gene.end + padding:
            problems.append(
                Problem(
                    where,
                    Reason(
                        N_(
                            "variant {v} lies outside {symbol} ({chrom}:{start}-{end} padded by {padding} bp)"
                        ),
                        v=_show(v),
                        symbol=gene.symbol,
                        chrom=gene.chrom,
                        start=gene.start,
                        end=gene.end,
                        padding=padding,
                    ),
                )
            )


def _check_both_lists(include, exclude, problems: list[Problem]) -> None:
    included = {(v.chrom, v.pos, v.ref, v.alt): where for where, v in include}
    for where, v in exclude:
        other = included.get((v.chrom, v.pos, v.ref, v.alt))
        if other:
            problems.append(
                Problem(
                    where,
                    Reason(
                        N_("variant {v} is both excluded and included ({other})"), v=_show(v), other=other
                    ),
                )
            )


# ---------------------------------------------------------------- writing


def write_panel(panel: PanelVersion, folder: Path) -> None:
    """Write ``panel`` as a folder that loads back with the same sha256 (creates the folder)."""
    _check_writable(panel)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "panel.toml").write_text(panel_toml.render(panel), encoding="utf-8")
    genes = [[_cell(getattr(g, c)) for c in GENE_WRITE_COLUMNS] for g in sorted(panel.genes, key=gene_key)]
    _write_tsv(folder / "genes.tsv", GENE_WRITE_COLUMNS, genes)
    include = [
        [_cell(getattr(v, c)) for c in io.INCLUDE_COLUMNS] for v in sorted(panel.include, key=variant_key)
    ]
    _write_tsv(folder / "include.tsv", io.INCLUDE_COLUMNS, include)
    exclude = [
        [_cell(getattr(v, c)) for c in io.EXCLUDE_COLUMNS] for v in sorted(panel.exclude, key=variant_key)
    ]
    _write_tsv(folder / "exclude.tsv", io.EXCLUDE_COLUMNS, exclude)


def _check_writable(panel: PanelVersion) -> None:
    """Free text must not break the TSV layout, and stored text is compared after stripping."""
    problems = []
    for item in (*panel.genes, *panel.include, *panel.exclude):
        for name, value in asdict(item).items():
            if isinstance(value, str) and (re.search(r"[\t\r\n]", value) or value != value.strip()):
                problems.append(
                    Problem(
                        f"{type(item).__name__} {_label(item)}",
                        Reason(
                            N_("{name} {value!r} has a tab, line break or surrounding spaces"),
                            name=name,
                            value=value,
                        ),
                    )
                )
    if problems:
        raise PanelError(f"panel {panel.label} cannot be written", problems)


def _label(item: Any) -> str:
    return item.hgnc_id if isinstance(item, PanelGene) else _show(item)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _write_tsv(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    lines = ["\t".join(columns), *("\t".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- PanelApp modes of inheritance

_PANELAPP_MOI: dict[str, tuple[Moi, ...]] = {
    "monoallelic, autosomal or pseudoautosomal, not imprinted": (Moi.MONOALLELIC,),
    "monoallelic, autosomal or pseudoautosomal, imprinted status unknown": (Moi.MONOALLELIC,),
    "biallelic, autosomal or pseudoautosomal": (Moi.BIALLELIC,),
    "both monoallelic and biallelic, autosomal or pseudoautosomal": (Moi.MONOALLELIC, Moi.BIALLELIC),
    "both monoallelic and biallelic (but biallelic mutations cause a more severe disease form), "
    "autosomal or pseudoautosomal": (Moi.MONOALLELIC, Moi.BIALLELIC),
    "x-linked: hemizygous mutation in males, biallelic mutations in females": (Moi.XLINKED_BIALLELIC,),
    "x-linked: hemizygous mutation in males, monoallelic mutations in females may cause disease "
    "(may be less severe, later onset than males)": (Moi.XLINKED_MONOALLELIC,),
}


def map_panelapp_moi(text: str | None, where: str = "PanelApp mode_of_inheritance") -> tuple[Moi, ...]:
    """The screening modes for a PanelApp ``mode_of_inheritance`` string.

    Raises :class:`PanelError` (one problem, at ``where``) for modes that cannot be screened:
    MITOCHONDRIAL, Unknown, Other, empty/None, parent-of-origin (maternally/paternally imprinted)
    and any string PanelApp does not define. Callers importing many genes catch it per gene, keep the
    gene inactive and report the problem.
    """
    normal = " ".join((text or "").split()).lower()
    if normal in _PANELAPP_MOI:
        return _PANELAPP_MOI[normal]
    if normal in ("", "unknown", "mitochondrial") or normal.startswith("other"):
        why = Reason(N_("has no genotype rule for a nuclear-genome screen (mitochondrial, unknown or other)"))
    elif "imprinted" in normal:
        why = Reason(N_("depends on the parent of origin, which one genome cannot tell"))
    else:
        why = Reason(N_("is not a PanelApp mode of inheritance this screen knows"))
    raise PanelError(
        where,
        [
            Problem(
                where,
                Reason(N_("mode of inheritance {text!r} cannot be screened: it {why}"), text=text, why=why),
            )
        ],
    )


# ---------------------------------------------------------------- regions


def region_list(panel: PanelVersion) -> list[tuple[str, int, int]]:
    """Active genes' padded regions, clipped to the contig, merged where they overlap or touch, sorted."""
    padding, lengths = panel.settings.padding_bp, CONTIG_LENGTHS[panel.genome_build]
    padded = sorted(
        (CHROM_ORDER[g.chrom], g.chrom, max(1, g.start - padding), min(lengths[g.chrom], g.end + padding))
        for g in panel.active_genes
    )
    merged: list[tuple[str, int, int]] = []
    for _, chrom, start, end in padded:
        if merged and merged[-1][0] == chrom and start <= merged[-1][2] + 1:
            merged[-1] = (chrom, merged[-1][1], max(merged[-1][2], end))
        else:
            merged.append((chrom, start, end))
    return merged
