"""The pure screening core: one baby's calls + a panel version → exactly one outcome, explained.

``screen_sample`` takes frames already read (by ``vcf.py``) and returns a ``SampleResult``; it does
no I/O, so it is tested in milliseconds and gives byte-identical results for the same inputs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import polars as pl

from screening import __version__, completeness, inheritance, rules
from screening.completeness import RegionCount
from screening.domain import (
    N_,
    CandidateRole,
    CandidateVariant,
    ClinVarSnapshot,
    Finding,
    Karyotype,
    Moi,
    Outcome,
    PanelGene,
    PanelVersion,
    Pattern,
    Provenance,
    Reason,
    Route,
    SampleInput,
    SampleResult,
    SexEvidence,
    VcfFacts,
    Zygosity,
    in_par,
)

ROLE_RANK = {
    CandidateRole.FINDING: 0,
    CandidateRole.CARRIER: 1,
    CandidateRole.NOT_MET: 2,
    CandidateRole.COMMON_IN_COHORT: 3,
    CandidateRole.EXCLUDED: 4,
    CandidateRole.FAILED_QUALITY: 5,
}


@dataclass(frozen=True)
class ScreenInput:
    """Everything one screen reads, already loaded."""

    panel: PanelVersion
    sample: SampleInput
    facts: VcfFacts
    calls: pl.DataFrame
    annotations: pl.DataFrame
    sex_evidence: SexEvidence | None
    clinvar: ClinVarSnapshot | None = None
    cohort_af: pl.DataFrame | None = None
    read: ReadFacts | None = None  # what the read showed of the file (None: not checked)


@dataclass(frozen=True)
class ReadFacts:
    """What reading the VCF showed besides the calls: for the completeness gate and the notes."""

    region_counts: tuple[RegionCount, ...]
    indexed_contigs: frozenset[str]
    notes: tuple[str, ...] = ()  # e.g. no genotype call at a site a route looks at
    left_aligned: bool = False  # indels left-aligned against a reference FASTA
    tail_counts: tuple[RegionCount, ...] = ()  # any record in the last fifth of each panel chromosome


def screen_sample(inp: ScreenInput) -> SampleResult:
    settings = inp.panel.settings
    call = inheritance.infer_karyotype(inp.sex_evidence, settings)
    notes = [] if call.karyotype is not Karyotype.UNKNOWN else [call.note]
    held = _incomplete(inp) + _identity_and_qc_reasons(inp, call, notes)
    if held:
        return _result(inp, Outcome.TESTING_NOT_POSSIBLE, call.karyotype, held, notes, (), ())
    karyotype = inheritance.rules_karyotype(call.karyotype, inp.sample.sex)
    notes.extend(_route_notes(inp))
    candidates = _candidates(inp, karyotype)
    notes.extend(_missing_field_notes(candidates))
    findings, candidates = _apply_inheritance(inp.panel, candidates, karyotype)
    findings += _smn1_finding(inp, notes)
    findings = tuple(sorted(findings, key=lambda f: (f.symbol, f.hgnc_id, f.moi.value)))
    if findings:
        reasons = tuple(
            Reason("{symbol} ({hgnc_id}) {moi}: {pattern}", **_finding_params(f)) for f in findings
        )
        outcome = Outcome.CONDITION_SUSPECTED
    else:
        reasons, outcome = (Reason(N_("no gene's inheritance rule met")),), Outcome.NO_CONDITION_SUSPECTED
    return _result(inp, outcome, call.karyotype, reasons, notes, findings, candidates)


def _incomplete(inp: ScreenInput) -> tuple[str, ...]:
    if inp.read is None:
        return ()
    found = completeness.problems(
        inp.read.region_counts,
        inp.read.indexed_contigs,
        inp.panel.active_genes,
        inp.panel.settings,
        _deleted_spans(inp.calls),
        inp.read.tail_counts,
    )
    return (Reason(N_("VCF incomplete: {problems}"), problems=tuple(found)),) if found else ()


def _finding_params(f: Finding) -> dict[str, str]:
    """A finding's reason is codes and names only (nothing to translate: pages show the codes in words)."""
    return {"symbol": f.symbol, "hgnc_id": f.hgnc_id, "moi": f.moi.value, "pattern": f.pattern.value}


def _deleted_spans(calls: pl.DataFrame) -> list[tuple[str, int, int]]:
    """Spans of carried deletions that leave no allele (homozygous, or haploid): no records inside."""
    gone = calls.filter(
        pl.col("symbolic")
        & pl.col("alt").str.starts_with("<DEL")
        & ((pl.col("alt_copies") >= 2) | (pl.col("ploidy") == 1))
    )
    return list(gone.select("chrom", "pos", "end").iter_rows())


def _missing_field_notes(entries: list[_Entry]) -> list[str]:
    """A candidate whose call quality could not be judged because the record lacks a FORMAT value
    declared in the header: named, never a silent negative (screening-rules §3.4)."""
    notes = []
    for e in entries:
        c = e.candidate
        missing = [f.removesuffix(" missing") for f in c.quality_failures if f.endswith(" missing")]
        if missing:
            notes.append(
                Reason(
                    N_(
                        "call quality not evaluated for {symbol} {variant}: FORMAT {fields} missing on "
                        "the record (the call counts as failing call quality)"
                    ),
                    symbol=c.symbol,
                    variant=f"{c.chrom}:{c.pos} {c.ref}>{c.alt}",
                    fields=", ".join(missing),
                )
            )
        if c.phased and c.phase_set is None and c.zygosity is Zygosity.HET:
            notes.append(
                Reason(
                    N_(
                        "phase not used for {symbol} {variant}: its GT is phased ('|') but the record "
                        "gives no phase set (PS), so its phase is unknown"
                    ),
                    symbol=c.symbol,
                    variant=f"{c.chrom}:{c.pos} {c.ref}>{c.alt}",
                )
            )
    return list(dict.fromkeys(notes))


def _identity_and_qc_reasons(
    inp: ScreenInput, call: inheritance.KaryotypeCall, notes: list[str]
) -> tuple[str, ...]:
    reasons = []
    discordance = inheritance.sex_discordance(inp.sample.sex, call)
    if discordance:
        reasons.append(discordance)
    s, qc = inp.panel.settings, inp.sample.qc
    gates = (
        ("pct_autosomal_15x", qc.pct_autosomal_15x, s.min_pct_autosomal_15x, ">="),
        ("q30_gb", qc.q30_gb, s.min_q30_gb, ">="),
        ("contamination_pct", qc.contamination_pct, s.max_contamination_pct, "<="),
    )
    for name, value, limit, op in gates:
        if value is None:
            notes.append(Reason(N_("QC gate {name} not evaluated: no value supplied"), name=name))
        elif (value < limit) if op == ">=" else (value > limit):
            reasons.append(
                Reason(
                    N_("QC gate failed: {name} {value:g} (required {op} {limit:g})"),
                    name=name,
                    value=value,
                    op=op,
                    limit=limit,
                )
            )
    return tuple(reasons)


def _route_notes(inp: ScreenInput) -> list[str]:
    notes = rules.format_notes(inp.facts)
    if inp.read is not None:
        notes.extend(inp.read.notes)
        if not inp.read.left_aligned:
            notes.append(
                Reason(
                    N_(
                        "indel left-alignment not checked: no reference FASTA given, so indels are "
                        "assumed left-aligned as callers write them (split, trimmed and upper-cased all "
                        "the same)"
                    )
                )
            )
    lof_note = rules.lof_evaluable(_route_context(inp))
    if lof_note:
        notes.append(lof_note)
    elif inp.annotations.height and not (
        inp.annotations["mane_select"].any() or inp.annotations["mane_clinical"].any()
    ):
        n = sum(1 for g in inp.panel.active_genes if g.lof_mechanism and not g.transcript)
        notes.append(
            Reason(
                N_(
                    "loss-of-function route not evaluated for {n} genes without a predefined "
                    "transcript: the {annotation} annotation carries no MANE Select / MANE Plus Clinical "
                    "flags"
                ),
                n=n,
                annotation=inp.facts.annotation,
            )
        )
    if inp.clinvar is None:
        notes.append(Reason(N_("ClinVar route not evaluated: no ClinVar snapshot given")))
    elif inp.cohort_af is None:
        notes.append(
            Reason(N_("ClinVar internal allele frequency (< cap) not evaluated: no screened cohort given"))
        )
    return notes


def _route_context(inp: ScreenInput) -> rules.RouteContext:
    return rules.RouteContext(inp.panel, inp.facts, inp.clinvar, inp.cohort_af)


# ---------------------------------------------------------------------------------------------
# Candidates


@dataclass(frozen=True)
class _Entry:
    """A candidate under one gene entry (a gene screened under two modes has two entries)."""

    candidate: CandidateVariant
    moi: Moi
    phase_hap: int | None
    qualifies: bool


def _candidates(inp: ScreenInput, karyotype: Karyotype) -> list[_Entry]:
    frame = rules.route_candidates(inp.calls, inp.annotations, _route_context(inp))
    build, s = inp.panel.genome_build, inp.panel.settings
    entries = []
    for row in frame.iter_rows(named=True):
        zyg = inheritance.zygosity(
            row["chrom"], row["pos"], row["alt_copies"], row["ploidy"], karyotype, build
        )
        failures = tuple(rules.quality_failures(row, zyg, s, inp.facts.format_fields))
        role = _initial_role(row, failures)
        candidate = _candidate(row, zyg, failures, role)
        entries.append(_Entry(candidate, Moi(row["moi"]), row["phase_hap"], role is CandidateRole.NOT_MET))
    return entries


def _initial_role(row: dict, failures: tuple[str, ...]) -> CandidateRole:
    if row["exclusion_reason"] is not None:
        return CandidateRole.EXCLUDED
    if failures:
        return CandidateRole.FAILED_QUALITY
    if not (row["curated"] or row["clinvar"] or row["lof"]):
        return CandidateRole.COMMON_IN_COHORT
    return CandidateRole.NOT_MET  # until the gene's inheritance rule decides


def _candidate(row: dict, zyg, failures: tuple[str, ...], role: CandidateRole) -> CandidateVariant:
    routes = tuple(
        r
        for r, flag in ((Route.CURATED, "curated"), (Route.CLINVAR, "clinvar"), (Route.LOF, "lof"))
        if row[flag]
    )
    return CandidateVariant(
        hgnc_id=row["hgnc_id"],
        symbol=row["symbol"],
        chrom=row["chrom"],
        pos=row["pos"],
        ref=row["ref"],
        alt=row["alt"],
        zygosity=zyg,
        routes=routes,
        role=role,
        gt=row["gt"],
        gq=row["gq"],
        dp=row["dp"],
        ad_ref=row["ad_ref"],
        ad_alt=row["ad_alt"],
        allele_balance=_rounded(rules.allele_balance(row)),
        phased=bool(row["phased"]),
        phase_set=row["phase_set"],
        filter=row["filter"],
        quality_failures=failures,
        clinvar_id=row["clinvar_id"],
        clinvar_plp=row["clinvar_plp"],
        clinvar_blb=row["clinvar_blb"],
        clinvar_stars=row["clinvar_stars"],
        consequence=row["lof_consequence"] or row["ann_consequence"],
        transcript=row["lof_transcript"] or row["ann_transcript"],
        hgvsc=row["hgvsc"],
        hgvsp=row["hgvsp"],
        exclusion_reason=row["exclusion_reason"],
        sv_end=row["end"] if row["symbolic"] else None,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# ---------------------------------------------------------------------------------------------
# Inheritance per gene entry


def _apply_inheritance(
    panel: PanelVersion, entries: list[_Entry], karyotype: Karyotype
) -> tuple[tuple[Finding, ...], tuple[CandidateVariant, ...]]:
    genes = {(g.hgnc_id, g.moi): g for g in panel.active_genes}
    by_gene: dict[tuple[str, Moi], list[_Entry]] = defaultdict(list)
    for e in entries:
        by_gene[(e.candidate.hgnc_id, e.moi)].append(e)
    findings, roles = [], {}
    for (hgnc_id, moi), group in sorted(by_gene.items()):
        finding = _gene_finding(genes[(hgnc_id, moi)], group, karyotype, panel.genome_build)
        if finding is not None:
            findings.append(finding)
        for e in group:
            role = _final_role(e, finding, moi)
            key = (e.candidate.key, hgnc_id)
            if key not in roles or ROLE_RANK[role] < ROLE_RANK[roles[key][0]]:
                roles[key] = (role, e.candidate)
    candidates = tuple(replace(c, role=r) for r, c in (roles[k] for k in sorted(roles, key=_key_order)))
    return tuple(findings), candidates


def _key_order(k):
    variant, hgnc_id = k
    return (_chrom_rank(variant.chrom), variant.pos, variant.ref, variant.alt, hgnc_id)


def _chrom_rank(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)


def _gene_finding(gene: PanelGene, group: list[_Entry], karyotype: Karyotype, build: str) -> Finding | None:
    qualifying = [e for e in group if e.qualifies]
    calls = [inheritance.as_phased(e.candidate, e.phase_hap) for e in qualifying]
    pars = [in_par(e.candidate.chrom, e.candidate.pos, build) for e in qualifying]
    pattern = inheritance.gene_pattern(gene.moi, calls, pars, karyotype)
    if pattern is None:
        return None
    variants = tuple(replace(e.candidate, role=CandidateRole.FINDING) for e in qualifying)
    return Finding(gene.hgnc_id, gene.symbol, gene.moi, gene.condition, pattern, variants)


def _final_role(e: _Entry, finding: Finding | None, moi: Moi) -> CandidateRole:
    if not e.qualifies:
        return e.candidate.role
    if finding is not None:
        return CandidateRole.FINDING
    if moi in (Moi.BIALLELIC, Moi.XLINKED_BIALLELIC):
        return CandidateRole.CARRIER
    return CandidateRole.NOT_MET


def _smn1_finding(inp: ScreenInput, notes: list[str]) -> tuple[Finding, ...]:
    s = inp.panel.settings
    gene = next((g for g in inp.panel.active_genes if g.hgnc_id == s.smn1_hgnc_id), None)
    if gene is None:
        return ()
    copies = inp.sample.smn1_copies
    if copies is None:
        notes.append(Reason(N_("SMN1 targeted caller not evaluated: no SMN1 copy number supplied")))
        return ()
    if copies != 0:
        return ()
    return (Finding(gene.hgnc_id, gene.symbol, gene.moi, gene.condition, Pattern.COPY_NUMBER_ZERO, (), 0),)


# ---------------------------------------------------------------------------------------------


def _result(inp: ScreenInput, outcome: Outcome, karyotype: Karyotype, reasons, notes, findings, candidates):
    return SampleResult(
        sample_id=inp.sample.sample_id,
        outcome=outcome,
        karyotype=karyotype,
        reasons=tuple(reasons),
        not_evaluated=tuple(notes),
        findings=tuple(findings),
        candidates=tuple(candidates),
        provenance=provenance(inp, karyotype),
    )


def provenance(inp: ScreenInput, karyotype: Karyotype) -> Provenance:
    clinvar = inp.clinvar
    return Provenance(
        panel_id=inp.panel.panel_id,
        panel_version=str(inp.panel.version),
        panel_sha256=inp.panel.sha256,
        genome_build=inp.panel.genome_build,
        clinvar_source=clinvar.source if clinvar else None,
        clinvar_release_date=clinvar.release_date if clinvar else None,
        clinvar_sha256=clinvar.sha256 if clinvar else None,
        vcf_sha256=inp.facts.sha256,
        vcf_sample=inp.sample.vcf_sample,
        karyotype=karyotype.value,
        settings=inp.panel.settings.as_dict(),
        software_version=__version__,
    )
