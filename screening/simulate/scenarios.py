"""The planted scenarios: one function per behaviour of the screening rules, each with its truth.

A batch cycles through ``SCENARIOS`` in order, so any ``len(SCENARIOS)`` consecutive babies cover every
scenario (the first 22 are the original rules; the later ones are real-VCF shapes: an SV, a padded
multi-allelic indel, a sample-level filter, chrY artefacts and an XXY boy).
When the panel lacks what a scenario needs (say, no X-linked monoallelic gene), nothing is planted and
the truth says why.
"""

from __future__ import annotations

from collections.abc import Callable

from screening.domain import IncludedVariant, Moi, Outcome, PanelGene, Pattern, Sex
from screening.simulate.genome import PLAIN_STYLE, in_x_par, ref_seq
from screening.simulate.plan import (
    CONFLICTING,
    CONFLICTING_STATUS,
    BabyTruth,
    PlantedCall,
    Planter,
    ScenarioPlan,
    Site,
    TruthFinding,
)

CS = Outcome.CONDITION_SUSPECTED
NCS = Outcome.NO_CONDITION_SUSPECTED
TNP = Outcome.TESTING_NOT_POSSIBLE

# gnomAD frequencies of the "common LoF" decoy: every population under the monoallelic cap except
# African (cap 0.0005).
COMMON_LOF_AF = (
    ("all", 0.0008),
    ("afr", 0.004),
    ("amr", 0.0006),
    ("asj", 0.0002),
    ("eas", 0.0001),
    ("fin", 0.0003),
    ("nfe", 0.0009),
    ("sas", 0.0001),
)


def _skip(why: str, **kw) -> ScenarioPlan:
    return ScenarioPlan(BabyTruth(NCS, notes=f"scenario not planted: {why}"), **kw)


def _consequence(ref: str, alt: str) -> str:
    """A plausible coding consequence for a listed variant of any shape."""
    change = len(alt) - len(ref)
    if change == 0:
        return "missense_variant"
    if change % 3:
        return "frameshift_variant"
    return "inframe_insertion" if change > 0 else "inframe_deletion"


def _finding(gene: PanelGene, pattern: Pattern, *keys: str) -> TruthFinding:
    return TruthFinding(gene.hgnc_id, gene.symbol, pattern, keys)


def _carried(call: PlantedCall) -> list[int]:
    """Indices (0-based) of the ALTs the call's GT carries."""
    alleles = {int(a) for a in call.gt.replace("|", "/").split("/") if a.isdigit()}
    return [i for i in range(len(call.alts)) if i + 1 in alleles]


def _found(pattern: Pattern, calls: tuple[PlantedCall, ...], notes: str, **kw) -> ScenarioPlan:
    keys = tuple(c.key(i) for c in calls for i in _carried(c))
    truth = BabyTruth(CS, findings=(_finding(calls[0].gene, pattern, *keys),), notes=notes)
    return ScenarioPlan(truth, calls=calls, **kw)


def clean(p: Planter) -> ScenarioPlan:
    return ScenarioPlan(BabyTruth(NCS, notes="background only, no candidate"), smn1_copies=None)


def monoallelic_het(p: Planter, style: str = "chr") -> ScenarioPlan:
    site = p.site("mono")
    if site is None:
        return _skip("panel has no usable autosomal MONOALLELIC gene")
    ref, alt = p.plp(site)
    call = p.call(site, ref, (alt,), "het")
    return _found(Pattern.HETEROZYGOUS, (call,), "ClinVar P/LP het in a MONOALLELIC gene", chrom_style=style)


def _include_for_hom(p: Planter) -> tuple[IncludedVariant, PanelGene] | None:
    genes = {g.hgnc_id: g for g in p.genes if g.moi is Moi.BIALLELIC}
    excluded = {(v.chrom, v.pos, v.ref, v.alt) for v in p.panel.exclude}
    usable = [
        (v, genes[v.hgnc_id])
        for v in p.panel.include
        if v.hgnc_id in genes
        and (v.chrom, v.pos, v.ref, v.alt) not in excluded
        and (v.chrom not in ("X", "Y") or in_x_par(v.chrom, v.pos, p.build))
        and sum(g.hgnc_id == v.hgnc_id for g in p.genes) == 1
    ]
    return usable[p.turn("include") % len(usable)] if usable else None


def biallelic_hom(p: Planter) -> ScenarioPlan:
    chosen = _include_for_hom(p)
    if chosen is not None:
        variant, gene = chosen
        site = Site(gene, variant.chrom, variant.pos)
        cons = (_consequence(variant.ref, variant.alt),)
        call = p.call(site, variant.ref, (variant.alt,), "hom", consequences=cons)
        return _found(Pattern.HOMOZYGOUS, (call,), "curated include-list variant, homozygous")
    site = p.site("bi")
    if site is None:
        return _skip("panel has no usable BIALLELIC gene")
    ref, alt = p.plp(site)
    call = p.call(site, ref, (alt,), "hom")
    return _found(Pattern.HOMOZYGOUS, (call,), "no include-list variant usable: ClinVar P/LP homozygous")


def _pair(p: Planter) -> tuple[Site, Site] | None:
    first = p.site("bi")
    second = p.again(first) if first else None
    if first is None or second is None:
        return None
    return (first, second) if first.pos < second.pos else (second, first)


def compound_het_unphased(p: Planter) -> ScenarioPlan:
    pair = _pair(p)
    if pair is None:
        return _skip("panel has no usable BIALLELIC gene")
    a, b = pair
    first = p.call(a, *_alleles(p.plp(a)), "het")
    second = p.call(b, *_alleles(p.conflicting_plp(b)), "het")
    notes = "two unphased ClinVar hets (the second a conflicting record with P 2 / LB 1, which qualifies)"
    return _found(Pattern.COMPOUND_HET_PHASE_UNKNOWN, (first, second), notes)


def _alleles(ref_alt: tuple[str, str]) -> tuple[str, tuple[str, ...]]:
    return ref_alt[0], (ref_alt[1],)


def _phased_pair(p: Planter, gts: tuple[str, str]) -> tuple[PlantedCall, PlantedCall] | None:
    pair = _pair(p)
    if pair is None:
        return None
    a, b = pair
    ps = a.pos
    first = p.call(a, *_alleles(p.plp(a)), "het", gt=gts[0], ps=ps)
    second = p.call(b, *_alleles(p.plp(b)), "het", gt=gts[1], ps=ps)
    return first, second


def compound_het_trans(p: Planter) -> ScenarioPlan:
    calls = _phased_pair(p, ("0|1", "1|0"))
    if calls is None:
        return _skip("panel has no usable BIALLELIC gene")
    return _found(Pattern.COMPOUND_HET_TRANS, calls, "two ClinVar hets phased in trans (same PS)")


def cis_pair(p: Planter) -> ScenarioPlan:
    calls = _phased_pair(p, ("0|1", "0|1"))
    if calls is None:
        return _skip("panel has no usable BIALLELIC gene")
    notes = "two ClinVar hets phased in cis (same PS, both 0|1): rule not met, stored as carrier"
    keys = tuple(c.key() for c in calls)
    truth = BabyTruth(NCS, carriers=(calls[0].gene.hgnc_id,), carrier_variants=keys, notes=notes)
    return ScenarioPlan(truth, calls=calls)


def _carrier(p: Planter, pool: str, notes: str, *, par: bool = False, karyotype: str | None = None):
    site = p.site(pool, par=par)
    if site is None:
        return _skip(f"panel has no usable gene for pool {pool}", karyotype=karyotype)
    call = p.call(site, *_alleles(p.plp(site)), "het")
    truth = BabyTruth(NCS, carriers=(site.gene.hgnc_id,), carrier_variants=(call.key(),), notes=notes)
    return ScenarioPlan(truth, calls=(call,), karyotype=karyotype)


def biallelic_carrier(p: Planter) -> ScenarioPlan:
    return _carrier(p, "bi", "single ClinVar het in a BIALLELIC gene: carrier, never reported")


def xlinked_hemizygous(p: Planter) -> ScenarioPlan:
    site = p.site("xl_bi")
    if site is None:
        return _skip("panel has no XLINKED_BIALLELIC gene outside the PARs", karyotype="XY")
    call = p.call(site, *_alleles(p.plp(site)), "hemi")
    return _found(Pattern.HEMIZYGOUS, (call,), "haploid GT 1 on chrX in an XY baby", karyotype="XY")


def xlinked_carrier_xx(p: Planter) -> ScenarioPlan:
    notes = "single het in an XLINKED_BIALLELIC gene in an XX baby: carrier"
    return _carrier(p, "xl_bi", notes, karyotype="XX")


def xlinked_monoallelic_xx(p: Planter) -> ScenarioPlan:
    site = p.site("xl_mono")
    if site is None:
        return _skip("panel has no XLINKED_MONOALLELIC gene outside the PARs", karyotype="XX")
    call = p.call(site, *_alleles(p.plp(site)), "het")
    return _found(Pattern.HETEROZYGOUS, (call,), "het in an XLINKED_MONOALLELIC gene, XX", karyotype="XX")


def par_carrier_xy(p: Planter) -> ScenarioPlan:
    notes = "single het in a BIALLELIC gene in a PAR, XY baby: autosomal behaviour, carrier"
    return _carrier(p, "par_bi", notes, par=True, karyotype="XY")


def excluded_variant(p: Planter) -> ScenarioPlan:
    if not p.panel.exclude:
        return _skip("panel has no exclusion list", karyotype="XX")
    variant = p.panel.exclude[p.turn("exclude") % len(p.panel.exclude)]
    gene = _covering_gene(p, variant.chrom, variant.pos, variant.pos + len(variant.ref) - 1)
    if gene is None:
        return _skip("exclusion-list variant lies outside every panel gene region", karyotype="XX")
    site = Site(gene, variant.chrom, variant.pos)
    cons = _consequence(variant.ref, variant.alt)
    p.add_clinvar(site, variant.ref, variant.alt, "Pathogenic", consequence=cons)
    call = p.call(site, variant.ref, (variant.alt,), "hom", consequences=(cons,))
    key = call.key()
    notes = "exclusion-list variant (also ClinVar Pathogenic), homozygous: excluded wins"
    return ScenarioPlan(BabyTruth(NCS, excluded=(key,), notes=notes), calls=(call,), karyotype="XX")


def _covering_gene(p: Planter, chrom: str, start: int, end: int) -> PanelGene | None:
    for g in p.genes:
        if g.chrom == chrom and g.start - p.pad <= end and start <= g.end + p.pad:
            return g
    return None


def common_and_conflicting(p: Planter) -> ScenarioPlan:
    lof_site = p.site("mono_lof")
    if lof_site is None:
        return _skip("panel has no MONOALLELIC gene with lof_mechanism")
    ref, alt = p.snv(lof_site)
    lof = p.call(lof_site, ref, (alt,), "het", consequences=("stop_gained",), gnomad=COMMON_LOF_AF)
    calls = [lof]
    conf_site = p.site("mono", avoid=(lof_site.gene.hgnc_id,))
    if conf_site is not None:
        ref, alt = p.snv(conf_site)
        conf = "Pathogenic(1)|Benign(2)"
        p.add_clinvar(conf_site, ref, alt, CONFLICTING, revstat=CONFLICTING_STATUS, clnsigconf=conf)
        calls.append(p.call(conf_site, ref, (alt,), "het"))
    notes = (
        "stop_gained on MANE Select with gnomAD_AF_afr 0.004 above the cap; ClinVar conflicting "
        "Pathogenic(1)|Benign(2): neither qualifies"
    )
    keys = tuple(c.key() for c in calls)
    return ScenarioPlan(BabyTruth(NCS, not_qualifying=keys, notes=notes), calls=tuple(calls))


def _failed(p: Planter, notes: str, **call_kw) -> ScenarioPlan:
    site = p.site("mono")
    if site is None:
        return _skip("panel has no usable autosomal MONOALLELIC gene")
    call = p.call(site, *_alleles(p.plp(site)), "het", **call_kw)
    return ScenarioPlan(BabyTruth(NCS, failed_quality=(call.key(),), notes=notes), calls=(call,))


def low_gq(p: Planter) -> ScenarioPlan:
    return _failed(p, "qualifying ClinVar het with GQ 8", gq=8)


def filter_lowqual(p: Planter) -> ScenarioPlan:
    return _failed(p, "qualifying ClinVar het with FILTER LowQual", filter="LowQual")


def low_allele_balance(p: Planter) -> ScenarioPlan:
    return _failed(p, "qualifying ClinVar het with AD 18,2 (allele balance 0.1)", ad=(18, 2), gq=45)


def multiallelic(p: Planter) -> ScenarioPlan:
    lof_gene = p.has("bi_lof")
    site = p.site("bi_lof" if lof_gene else "bi")
    if site is None:
        return _skip("panel has no usable BIALLELIC gene")
    ref = ref_seq(site.chrom, site.pos)
    x_alt, y_alt = _two_alts(ref)
    p.add_clinvar(site, ref, x_alt, "Pathogenic")
    if not lof_gene:
        p.add_clinvar(site, ref, y_alt, "Likely_pathogenic")
    second = "stop_gained" if lof_gene else "missense_variant"
    call = p.call(site, ref, (x_alt, y_alt), "het12", consequences=("missense_variant", second))
    notes = (
        f"one record, ALT {x_alt},{y_alt}, GT 1/2: ALT 1 ClinVar P/LP, ALT 2 "
        + ("stop_gained on MANE Select" if lof_gene else "ClinVar LP (no lof_mechanism BIALLELIC gene)")
        + "; two ALTs of one record lie on different haplotypes, so the pair is in trans"
    )
    return _found(Pattern.COMPOUND_HET_TRANS, (call,), notes)


def _two_alts(ref: str) -> tuple[str, str]:
    others = [b for b in "ACGT" if b != ref]
    return others[0], others[2]


def lof_frameshift_hom(p: Planter) -> ScenarioPlan:
    site = p.site("bi_lof", span=2)
    if site is None:
        return _skip("panel has no BIALLELIC gene with lof_mechanism")
    ref = ref_seq(site.chrom, site.pos, 2)
    call = p.call(site, ref, (ref[0],), "hom", consequences=("frameshift_variant",))
    return _found(Pattern.HOMOZYGOUS, (call,), "1-bp deletion, frameshift_variant on MANE Select, hom")


def plain_contig_names(p: Planter) -> ScenarioPlan:
    return monoallelic_het(p, style=PLAIN_STYLE)


def sex_discordance(p: Planter) -> ScenarioPlan:
    notes = "recorded female, genotypes XY: possible sample swap"
    return ScenarioPlan(BabyTruth(TNP, notes=notes), karyotype="XY", recorded_sex=Sex.FEMALE)


def smn1_zero(p: Planter) -> ScenarioPlan:
    smn1 = next((g for g in p.genes if g.hgnc_id == p.panel.settings.smn1_hgnc_id), None)
    if smn1 is None:
        return _skip("SMN1 is not on the panel (copy number 0 still written)", smn1_copies=0)
    truth = BabyTruth(CS, findings=(_finding(smn1, Pattern.COPY_NUMBER_ZERO),), notes="SMN1 copy number 0")
    return ScenarioPlan(truth, smn1_copies=0)


def qc_contamination(p: Planter) -> ScenarioPlan:
    truth = BabyTruth(TNP, notes="contamination_pct 3.2 fails the QC gate (<= 1.5)")
    return ScenarioPlan(truth, contamination_pct=3.2)


# -- real VCF shapes (recipes.md "Real VCF shapes") ----------------------------------------------

SV_MAX_GENE_BP = 400_000  # a whole-gene deletion of a gene at most this long
SV_FLANK_BP = (300, 1_500)  # the deletion starts and ends this far outside the gene (inside the padding)


def sv_deletion_hom(p: Planter) -> ScenarioPlan:
    """A VEP-annotated ``<DEL>`` over a whole LoF-mechanism BIALLELIC gene, homozygous."""
    genes = p.pool("bi_lof")
    for _ in range(len(genes)):
        gene = genes[p.turn("sv") % len(genes)]
        if gene.end - gene.start + 1 > SV_MAX_GENE_BP:
            continue
        lo, hi = SV_FLANK_BP
        pos = gene.start - int(p.rng.integers(lo, min(hi, p.pad - 1) + 1))
        end = gene.end + int(p.rng.integers(lo, min(hi, p.pad - 1) + 1))
        if not p.span_is_clear(gene, pos, end - pos + 1):
            continue
        p.reserve(gene.chrom, pos, 1)
        site = Site(gene, gene.chrom, pos)
        ref = ref_seq(gene.chrom, pos)
        info = ("SVTYPE=DEL", f"END={end}", f"SVLEN=-{end - pos}")
        dp = p.depth(18, 30)
        call = p.call(
            site, ref, ("<DEL>",), "hom", consequences=("transcript_ablation",), info=info, ad=(0, dp)
        )
        notes = (
            f"<DEL> {gene.chrom}:{pos}-{end} (INFO/END) over the whole of {gene.symbol}, GT 1/1, VEP CSQ "
            "Allele 'deletion' transcript_ablation on MANE Select: condition suspected through the LoF route "
            "only (no ClinVar record); AD/DP count the reads supporting the breakpoints; no background calls "
            "inside the deletion"
        )
        plan = _found(Pattern.HOMOZYGOUS, (call,), notes)
        return ScenarioPlan(plan.truth, calls=plan.calls, holes=((gene.chrom, pos, end),))
    return _skip(f"panel has no BIALLELIC lof_mechanism gene under {SV_MAX_GENE_BP} bp clear of others")


def _listed_deletion(p: Planter) -> tuple[IncludedVariant, PanelGene] | None:
    genes = {g.hgnc_id: g for g in p.genes if g.moi is Moi.BIALLELIC}
    usable = [
        (v, genes[v.hgnc_id])
        for v in p.panel.include
        if v.hgnc_id in genes
        and len(v.ref) > 1
        and len(v.alt) == 1
        and v.ref[0] == v.alt
        and v.chrom not in ("X", "Y")
        and sum(g.hgnc_id == v.hgnc_id for g in p.genes) == 1
        and all((v.chrom, v.pos, v.ref, v.alt) != (e.chrom, e.pos, e.ref, e.alt) for e in p.panel.exclude)
    ]
    return usable[p.turn("listed_deletion") % len(usable)] if usable else None


def hom_unnormalised(p: Planter) -> ScenarioPlan:
    """A homozygous deletion written as callers write a multi-allelic indel: ``ATCTT  AT,A`` GT 1/1,
    so ALT 1 is ``ATCT>A`` only after trimming the shared trailing base (the F508del when listed)."""
    chosen = _listed_deletion(p)
    if chosen is not None:
        variant, gene = chosen
        site, ref, alt = Site(gene, variant.chrom, variant.pos), variant.ref, variant.alt
        p.reserve(site.chrom, site.pos, len(ref) + 1)
        route = "curated include-list deletion"
    else:
        site = p.site("bi", span=5)
        if site is None:
            return _skip("panel has no usable BIALLELIC gene")
        ref = ref_seq(site.chrom, site.pos, 4)
        alt = ref[0]
        p.add_clinvar(site, ref, alt, "Pathogenic", consequence="frameshift_variant")
        route = "ClinVar Pathogenic deletion"
    padded = ref + ref_seq(site.chrom, site.pos + len(ref))
    dp = p.depth()
    call = p.call(
        site,
        padded,
        (alt + padded[-1], alt),
        "hom",
        ad=(0, dp - 1, 1),
        consequences=(_consequence(ref, alt), _consequence(padded, alt)),
    )
    notes = (
        f"{route} {ref}>{alt} written un-normalised with a second ALT: REF {padded}, ALT "
        f"{alt + padded[-1]},{alt}, GT 1/1; split and trimmed it is {ref}>{alt}, homozygous"
    )
    return _found(Pattern.HOMOZYGOUS, (call,), notes)


def ft_lowgq(p: Planter) -> ScenarioPlan:
    plan = _failed(p, "qualifying ClinVar het, FILTER PASS and GQ >= 60 but FORMAT/FT LowGQ", ft="LowGQ")
    return ScenarioPlan(plan.truth, calls=plan.calls, caller="dragen")


def xx_recorded_male(p: Planter) -> ScenarioPlan:
    notes = (
        "recorded male, two X (chrX heterozygous) and only heterozygous chrY calls (80 mismapping "
        "artefacts, no hemizygous chrY evidence): possible sample swap, held"
    )
    return ScenarioPlan(
        BabyTruth(TNP, notes=notes), karyotype="XX", recorded_sex=Sex.MALE, caller="gatk", y_artefacts=80
    )


def xxy_recorded_male(p: Planter) -> ScenarioPlan:
    notes = "recorded male, two X and strong hemizygous chrY evidence: 47,XXY compatible, screened"
    return ScenarioPlan(
        BabyTruth(NCS, notes=notes), karyotype="XXY", caller="deepvariant", haplogroup="I", y_artefacts=5
    )


def xx_many_chry_artefacts(p: Planter) -> ScenarioPlan:
    notes = "recorded female with 100 heterozygous chrY artefacts (X-transposed region, repeats): still XX"
    return ScenarioPlan(BabyTruth(NCS, notes=notes), karyotype="XX", caller="gatk", y_artefacts=100)


def xy_sparse_chry(p: Planter) -> ScenarioPlan:
    notes = (
        "haplogroup R1b man (the reference chrY's): 150 haploid chrY calls over the whole male-specific "
        "region, none where a reader might sample: still XY"
    )
    return ScenarioPlan(
        BabyTruth(NCS, notes=notes), karyotype="XY", caller="dragen", haplogroup="R1b", y_calls=150
    )


SCENARIOS: tuple[tuple[str, Callable[[Planter], ScenarioPlan]], ...] = (
    ("clean", clean),
    ("monoallelic_het_clinvar", monoallelic_het),
    ("biallelic_hom", biallelic_hom),
    ("biallelic_compound_het_unphased", compound_het_unphased),
    ("biallelic_compound_het_trans", compound_het_trans),
    ("biallelic_cis_pair", cis_pair),
    ("biallelic_carrier", biallelic_carrier),
    ("xlinked_biallelic_hemizygous_xy", xlinked_hemizygous),
    ("xlinked_biallelic_carrier_xx", xlinked_carrier_xx),
    ("xlinked_monoallelic_het_xx", xlinked_monoallelic_xx),
    ("par_biallelic_carrier_xy", par_carrier_xy),
    ("excluded_variant", excluded_variant),
    ("common_lof_and_conflicting_clinvar", common_and_conflicting),
    ("low_gq", low_gq),
    ("filter_lowqual", filter_lowqual),
    ("multiallelic_compound_het", multiallelic),
    ("lof_frameshift_hom", lof_frameshift_hom),
    ("plain_contig_names", plain_contig_names),
    ("sex_discordance", sex_discordance),
    ("smn1_copy_number_zero", smn1_zero),
    ("qc_contamination", qc_contamination),
    ("low_allele_balance", low_allele_balance),
    ("sv_deletion_lof_hom", sv_deletion_hom),
    ("biallelic_hom_unnormalised", hom_unnormalised),
    ("ft_lowgq", ft_lowgq),
    ("xx_recorded_male_chry_artefacts", xx_recorded_male),
    ("xxy_recorded_male", xxy_recorded_male),
    ("xx_many_chry_artefacts", xx_many_chry_artefacts),
    ("xy_r1b_sparse_chry", xy_sparse_chry),
)
SCENARIO_NAMES = tuple(name for name, _ in SCENARIOS)
