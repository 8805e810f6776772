"""What the simulator plants: calls, ClinVar records and the truth each baby should screen to.

``Planter`` picks genes from the panel by mode of inheritance (deterministically, from a seeded
generator), places variants inside a gene but outside every other gene's padded region, keeps all
planted positions apart, and records the synthetic ClinVar records it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from screening.domain import Moi, Outcome, PanelGene, PanelVersion, Pattern, Sex, VariantKey
from screening.simulate.genome import (
    CHR_STYLE,
    GeneIds,
    gene_ids,
    in_x_par,
    other_base,
    ref_seq,
    x_non_par,
)

MIN_GAP_BP = 10  # planted and listed variants keep at least this far apart
_TRIES = 400

# ClinVar review statuses by gold stars (as NCBI writes them).
REVIEW_STATUS = {
    1: "criteria_provided,_single_submitter",
    2: "criteria_provided,_multiple_submitters,_no_conflicts",
    3: "reviewed_by_expert_panel",
}
CONFLICTING = "Conflicting_classifications_of_pathogenicity"
CONFLICTING_STATUS = "criteria_provided,_conflicting_classifications"
PLP_CLASSES = ("Pathogenic", "Likely_pathogenic", "Pathogenic/Likely_pathogenic")


@dataclass(frozen=True)
class PlantedCall:
    """One VCF record planted in a baby (one or more ALTs), with its annotation."""

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gt: str
    gq: int
    dp: int
    ad: tuple[int, ...]
    gene: PanelGene
    consequences: tuple[str, ...]  # VEP term per ALT on the gene's MANE Select transcript
    gnomad: tuple[tuple[str, float], ...] = ()  # (population code, AF), same for every ALT
    ps: int | None = None
    filter: str = "PASS"
    ft: str | None = None  # FORMAT/FT; None: PASS where the caller writes FT
    info: tuple[str, ...] = ()  # INFO fields written before CSQ (SVTYPE, END, SVLEN of an SV)

    def key(self, alt_index: int = 0) -> str:
        """The variant as a screen should name it: split, trimmed and upper-cased (``bcftools norm -m-``)."""
        return str(normalised(self.chrom, self.pos, self.ref, self.alts[alt_index]))


def normalised(chrom: str, pos: int, ref: str, alt: str) -> VariantKey:
    """Trim the shared suffix, then the shared prefix, of one REF/ALT pair (keeping one anchor base),
    upper-cased; symbolic ALTs (``<DEL>``) are kept as written. No left-alignment (no reference)."""
    ref, alt = ref.upper(), alt.upper()
    if alt.startswith("<") or alt in ("*", "."):
        return VariantKey(chrom, pos, ref, alt)
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return VariantKey(chrom, pos, ref, alt)


@dataclass(frozen=True)
class ClinVarEntry:
    chrom: str
    pos: int
    ref: str
    alt: str
    clnsig: str
    revstat: str
    gene: GeneIds
    condition: str
    consequence: str
    clnsigconf: str | None = None


@dataclass(frozen=True)
class TruthFinding:
    hgnc_id: str
    symbol: str
    pattern: Pattern
    variants: tuple[str, ...]


@dataclass(frozen=True)
class BabyTruth:
    expected_outcome: Outcome
    findings: tuple[TruthFinding, ...] = ()
    carriers: tuple[str, ...] = ()  # HGNC ids
    carrier_variants: tuple[str, ...] = ()  # variant keys of the carrier calls
    failed_quality: tuple[str, ...] = ()  # variant keys
    excluded: tuple[str, ...] = ()
    not_qualifying: tuple[str, ...] = ()  # planted decoys that pass no inclusion route
    notes: str = ""


@dataclass(frozen=True)
class ScenarioPlan:
    """What one scenario asks of a baby: calls, truth and any fixed sample property."""

    truth: BabyTruth
    calls: tuple[PlantedCall, ...] = ()
    karyotype: str | None = None  # "XX" / "XY" when the scenario needs one
    recorded_sex: Sex | None = None  # set only to contradict the karyotype
    contamination_pct: float | None = None  # set only to fail the QC gate
    smn1_copies: int | None = 2
    chrom_style: str = CHR_STYLE
    caller: str | None = None  # "gatk", "dragen", "deepvariant" when the scenario needs one
    haplogroup: str | None = None  # chrY haplogroup when the scenario needs one (genomes with a Y)
    y_calls: int | None = None  # hemizygous-looking chrY calls when the scenario needs a number
    y_artefacts: int | None = None  # heterozygous chrY artefacts when the scenario needs a number
    holes: tuple[tuple[str, int, int], ...] = ()  # spans left without background (a hom deletion)


@dataclass(frozen=True)
class Site:
    gene: PanelGene
    chrom: str
    pos: int


def _autosomal(g: PanelGene) -> bool:
    return g.chrom not in ("X", "Y", "MT")


def _pool_filters(build: str) -> dict[str, Callable[[PanelGene], bool]]:
    lo, hi = x_non_par(build)

    def x_outside_par(g: PanelGene) -> bool:
        return g.chrom == "X" and g.start <= hi and g.end >= lo

    def x_par(g: PanelGene) -> bool:
        return g.chrom == "X" and (in_x_par("X", g.start, build) or in_x_par("X", g.end, build))

    return {
        "mono": lambda g: g.moi is Moi.MONOALLELIC and _autosomal(g),
        "mono_lof": lambda g: g.moi is Moi.MONOALLELIC and _autosomal(g) and g.lof_mechanism,
        "bi": lambda g: g.moi is Moi.BIALLELIC and _autosomal(g),
        "bi_lof": lambda g: g.moi is Moi.BIALLELIC and _autosomal(g) and g.lof_mechanism,
        "xl_bi": lambda g: g.moi is Moi.XLINKED_BIALLELIC and x_outside_par(g),
        "xl_mono": lambda g: g.moi is Moi.XLINKED_MONOALLELIC and x_outside_par(g),
        "par_bi": lambda g: g.moi is Moi.BIALLELIC and x_par(g),
    }


class Planter:
    """Mutable helper used while planning one batch; everything it draws comes from ``rng``."""

    def __init__(self, panel: PanelVersion, rng: np.random.Generator):
        self.panel = panel
        self.rng = rng
        self.build = panel.genome_build
        self.pad = panel.settings.padding_bp
        self.genes = panel.active_genes
        self.clinvar: list[ClinVarEntry] = []
        self._clinvar_keys: set[tuple[str, int, str, str]] = set()
        self._used: dict[str, set[int]] = {}
        self._cursor: dict[str, int] = {}
        self._pools = self._make_pools()
        for v in (*panel.include, *panel.exclude):
            self.reserve(v.chrom, v.pos, len(v.ref))

    # -- genes and positions -------------------------------------------------------------------

    def _make_pools(self) -> dict[str, list[PanelGene]]:
        counts: dict[str, int] = {}
        for g in self.genes:
            counts[g.hgnc_id] = counts.get(g.hgnc_id, 0) + 1
        smn1 = self.panel.settings.smn1_hgnc_id
        usable = [g for g in self.genes if counts[g.hgnc_id] == 1 and g.hgnc_id != smn1]
        usable = [g for g in usable if not g.symbol.upper().startswith("SMN")]
        pools = {}
        for name, keep in _pool_filters(self.build).items():
            pool = [g for g in usable if keep(g)]
            order = self.rng.permutation(len(pool))
            pools[name] = [pool[i] for i in order]
        return pools

    def has(self, pool: str) -> bool:
        return bool(self._pools[pool])

    def pool(self, name: str) -> list[PanelGene]:
        return list(self._pools[name])

    def span_is_clear(self, gene: PanelGene, pos: int, span: int) -> bool:
        """No other gene's padded region overlaps [pos, pos + span - 1] and ``pos`` is free."""
        return self._free(gene.chrom, pos, 1) and not self._in_other_gene(gene, pos, span)

    def turn(self, name: str) -> int:
        """0, 1, 2, ... on successive calls with the same ``name`` (to take list items in turn)."""
        value = self._cursor.get(name, 0)
        self._cursor[name] = value + 1
        return value

    def again(self, site: Site, *, span: int = 1) -> Site | None:
        """Another free position in the same gene as ``site``."""
        par = in_x_par(site.chrom, site.pos, self.build)
        pos = self._position(site.gene, par=par, span=span)
        if pos is None:
            return None
        self.reserve(site.chrom, pos, span)
        return Site(site.gene, site.chrom, pos)

    def site(
        self, pool: str, *, par: bool = False, span: int = 1, avoid: tuple[str, ...] = ()
    ) -> Site | None:
        """A gene of ``pool`` (taken in turn) and a free position inside it, or None."""
        genes = self._pools[pool]
        for _ in range(len(genes)):
            gene = genes[self.turn(pool) % len(genes)]
            if gene.hgnc_id in avoid:
                continue
            pos = self._position(gene, par=par, span=span)
            if pos is not None:
                self.reserve(gene.chrom, pos, span)
                return Site(gene, gene.chrom, pos)
        return None

    def _position(self, gene: PanelGene, *, par: bool, span: int) -> int | None:
        start, end = gene.start, gene.end - span + 1
        for _ in range(_TRIES):
            pos = int(self.rng.integers(start, end + 1))
            if gene.chrom == "X" and in_x_par("X", pos, self.build) != par:
                continue
            if self._free(gene.chrom, pos, span) and not self._in_other_gene(gene, pos, span):
                return pos
        return None

    def _free(self, chrom: str, pos: int, span: int) -> bool:
        used = self._used.get(chrom, set())
        return all(p not in used for p in range(pos - MIN_GAP_BP, pos + span + MIN_GAP_BP))

    def _in_other_gene(self, gene: PanelGene, pos: int, span: int) -> bool:
        end = pos + span - 1
        return any(
            g is not gene and g.chrom == gene.chrom and g.start - self.pad <= end and pos <= g.end + self.pad
            for g in self.genes
        )

    def reserve(self, chrom: str, pos: int, span: int) -> None:
        self._used.setdefault(chrom, set()).update(range(pos, pos + span))

    def reserved(self) -> dict[str, np.ndarray]:
        """Every reserved position by contig, sorted (the background keeps clear of them)."""
        return {c: np.array(sorted(p), dtype=np.int64) for c, p in self._used.items()}

    # -- alleles and records -------------------------------------------------------------------

    def snv(self, site: Site) -> tuple[str, str]:
        ref = ref_seq(site.chrom, site.pos)
        return ref, other_base(ref, int(self.rng.integers(1, 4)))

    def revstat(self) -> str:
        min_stars = self.panel.settings.clinvar_min_stars or 0
        allowed = [s for stars, s in REVIEW_STATUS.items() if stars >= min_stars] or [REVIEW_STATUS[3]]
        return allowed[int(self.rng.integers(len(allowed)))]

    def add_clinvar(self, site: Site, ref: str, alt: str, clnsig: str, **extra: str) -> None:
        consequence = extra.pop("consequence", "missense_variant")
        key = (site.chrom, site.pos, ref, alt)
        if key in self._clinvar_keys:
            return
        self._clinvar_keys.add(key)
        self.clinvar.append(
            ClinVarEntry(
                chrom=site.chrom,
                pos=site.pos,
                ref=ref,
                alt=alt,
                clnsig=clnsig,
                revstat=extra.pop("revstat", None) or self.revstat(),
                gene=gene_ids(site.gene),
                condition=site.gene.condition,
                consequence=consequence,
                clnsigconf=extra.pop("clnsigconf", None),
            )
        )

    def plp(self, site: Site) -> tuple[str, str]:
        """A fresh ClinVar pathogenic / likely pathogenic SNV at ``site``."""
        ref, alt = self.snv(site)
        clnsig = PLP_CLASSES[int(self.rng.integers(len(PLP_CLASSES)))]
        self.add_clinvar(site, ref, alt, clnsig)
        return ref, alt

    def conflicting_plp(self, site: Site) -> tuple[str, str]:
        """A conflicting ClinVar SNV that still qualifies (P 2, LB 1), when the star setting allows."""
        if (self.panel.settings.clinvar_min_stars or 0) > 1:
            return self.plp(site)
        ref, alt = self.snv(site)
        conf = "Pathogenic(2)|Likely_benign(1)"
        self.add_clinvar(site, ref, alt, CONFLICTING, revstat=CONFLICTING_STATUS, clnsigconf=conf)
        return ref, alt

    def depth(self, low: int = 28, high: int = 52) -> int:
        return int(self.rng.integers(low, high + 1))

    def call(self, site: Site, ref: str, alts: tuple[str, ...], zygosity: str, **kw) -> PlantedCall:
        """A planted record with realistic FORMAT values for ``zygosity`` (het, hom, hemi, het12)."""
        dp = kw.pop("dp", None) or self.depth()
        if "ad" not in kw:
            kw["ad"] = self._ad(zygosity, dp)
        gt = kw.pop("gt", None) or {"het": "0/1", "hom": "1/1", "hemi": "1", "het12": "1/2"}[zygosity]
        gq = kw.pop("gq", None) or int(self.rng.integers(60, 100))
        consequences = kw.pop("consequences", None) or ("missense_variant",) * len(alts)
        return PlantedCall(
            chrom=site.chrom,
            pos=site.pos,
            ref=ref,
            alts=alts,
            gt=gt,
            gq=gq,
            dp=sum(kw["ad"]),
            gene=site.gene,
            consequences=consequences,
            **kw,
        )

    def _ad(self, zygosity: str, dp: int) -> tuple[int, ...]:
        if zygosity == "het":
            alt = int(self.rng.integers(int(dp * 0.4), int(dp * 0.6) + 1))
            return (dp - alt, alt)
        if zygosity == "het12":
            ref = int(self.rng.integers(0, 2))
            a1 = (dp - ref) // 2
            return (ref, a1, dp - ref - a1)
        ref = int(self.rng.integers(0, 2))
        return (ref, dp - ref)

    # -- ClinVar decoys ------------------------------------------------------------------------

    def add_decoys(self) -> None:
        """Realistic ClinVar content per panel gene that no baby carries: B, LB, VUS, conflicting, P."""
        kinds = (
            ("Benign", REVIEW_STATUS[2], None),
            ("Likely_benign", REVIEW_STATUS[1], None),
            ("Uncertain_significance", REVIEW_STATUS[1], None),
            (CONFLICTING, CONFLICTING_STATUS, "Pathogenic(1)|Benign(2)"),
            (CONFLICTING, CONFLICTING_STATUS, "Likely_pathogenic(1)|Uncertain_significance(2)"),
            ("Pathogenic", REVIEW_STATUS[2], None),
        )
        for gene in self.genes:
            for clnsig, revstat, conf in kinds:
                pos = self._decoy_position(gene)
                if pos is None:
                    continue
                site = Site(gene, gene.chrom, pos)
                self.reserve(gene.chrom, pos, 1)
                ref, alt = self.snv(site)
                self.add_clinvar(
                    site, ref, alt, clnsig, revstat=revstat, **({"clnsigconf": conf} if conf else {})
                )

    def _decoy_position(self, gene: PanelGene) -> int | None:
        for _ in range(_TRIES):
            pos = int(self.rng.integers(gene.start, gene.end + 1))
            if self._free(gene.chrom, pos, 1):
                return pos
        return None
