"""Screening results in the database: write one sample's result (replacing a previous one for the same
panel version) and rebuild domain SampleResults from the rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from screening.db.sql import query
from screening.domain import (
    CandidateRole,
    CandidateVariant,
    Finding,
    Karyotype,
    Moi,
    Outcome,
    Pattern,
    Provenance,
    Reason,
    Route,
    SampleResult,
    Zygosity,
)

CANDIDATE_FIELDS = tuple(f.name for f in dataclasses.fields(CandidateVariant))


@dataclasses.dataclass(frozen=True)
class RunMeta:
    sample_pk: int
    panel_version_id: int
    cohort_babies: int
    engine_seconds: float


def _run_document(result: SampleResult, meta: RunMeta) -> dict[str, Any]:
    """The run as one JSON object with ``screening_run``'s column names (sample and panel version apart)."""
    p = result.provenance
    return {
        "outcome": result.outcome.value,
        "karyotype": result.karyotype.value,
        "reasons": list(result.reasons),
        "not_evaluated": list(result.not_evaluated),
        "reason_templates": _templates(result.reasons),
        "not_evaluated_templates": _templates(result.not_evaluated),
        "panel_sha256": p.panel_sha256,
        "clinvar_source": p.clinvar_source,
        "clinvar_release_date": p.clinvar_release_date,
        "clinvar_sha256": p.clinvar_sha256,
        "vcf_sha256": p.vcf_sha256,
        "vcf_sample": p.vcf_sample,
        "genome_build": p.genome_build,
        "settings": p.settings,
        "software_version": p.software_version,
        "cohort_babies": meta.cohort_babies,
        "engine_seconds": meta.engine_seconds,
    }


def _candidate_row(ordinal: int, c: CandidateVariant) -> dict[str, Any]:
    values = {name: getattr(c, name) for name in CANDIDATE_FIELDS}
    values.update(
        ordinal=ordinal,
        zygosity=c.zygosity.value,
        role=c.role.value,
        routes=[r.value for r in c.routes],
        quality_failures=list(c.quality_failures),
    )
    return values


def _ordinals(result: SampleResult) -> tuple[list[CandidateVariant], list[list[int]]]:
    """Every candidate once, and for each finding the ordinals of its variants."""
    candidates = list(result.candidates)
    index = {c: i for i, c in enumerate(candidates)}
    links = []
    for finding in result.findings:
        ordinals = []
        for v in finding.variants:
            if v not in index:
                index[v] = len(candidates)
                candidates.append(v)
            ordinals.append(index[v])
        links.append(sorted(set(ordinals)))
    return candidates, links


def run_params(result: SampleResult, meta: RunMeta) -> dict[str, Any]:
    """The parameters of ``screening_write_run`` (migration 0026) for one result: the run, and its
    candidates, findings and their links as JSON arrays of rows (the run's id is the function's)."""
    candidates, links = _ordinals(result)
    findings = [
        {
            **{k: getattr(f, k) for k in ("hgnc_id", "symbol", "condition", "smn1_copies")},
            "moi": f.moi.value,
            "pattern": f.pattern.value,
            "ordinal": i,
        }
        for i, f in enumerate(result.findings)
    ]
    pairs = [
        {"finding_ordinal": i, "candidate_ordinal": o} for i, ordinals in enumerate(links) for o in ordinals
    ]
    return {
        "sample_id": meta.sample_pk,
        "panel_version_id": meta.panel_version_id,
        "run": Jsonb(_run_document(result, meta)),
        "candidates": Jsonb([_candidate_row(i, c) for i, c in enumerate(candidates)]),
        "findings": Jsonb(findings),
        "links": Jsonb(pairs),
    }


def write_result(conn: psycopg.Connection, result: SampleResult, meta: RunMeta) -> int:
    """Store a sample's result (caller's transaction; one statement); results for (sample, panel version)
    are replaced, and so is the baby's contribution to the cohort's allele counts. A worker stores its
    result with the sample's finish instead (``jobs.finish``), in the same one statement."""
    return conn.execute(query("write_run"), run_params(result, meta)).fetchone()["run_id"]


# ---------------------------------------------------------------- reading back


def _candidate(row: dict[str, Any]) -> CandidateVariant:
    values = {name: row[name] for name in CANDIDATE_FIELDS}
    values.update(
        zygosity=Zygosity(row["zygosity"]),
        role=CandidateRole(row["role"]),
        routes=tuple(Route(r) for r in row["routes"]),
        quality_failures=tuple(row["quality_failures"]),
    )
    return CandidateVariant(**values)


def _finding(row: dict[str, Any], candidates: list[CandidateVariant]) -> Finding:
    return Finding(
        hgnc_id=row["hgnc_id"],
        symbol=row["symbol"],
        moi=Moi(row["moi"]),
        condition=row["condition"],
        pattern=Pattern(row["pattern"]),
        variants=tuple(candidates[o] for o in row["candidate_ordinals"]),
        smn1_copies=row["smn1_copies"],
    )


def _provenance(row: dict[str, Any]) -> Provenance:
    return Provenance(
        panel_id=row["panel_id"],
        panel_version=f"{row['major']}.{row['minor']}",
        panel_sha256=row["panel_sha256"],
        genome_build=row["genome_build"],
        clinvar_source=row["clinvar_source"],
        clinvar_release_date=row["clinvar_release_date"],
        clinvar_sha256=row["clinvar_sha256"],
        vcf_sha256=row["vcf_sha256"],
        vcf_sample=row["vcf_sample"],
        karyotype=row["karyotype"],
        settings=row["settings"],
        software_version=row["software_version"],
    )


def _templates(texts: tuple[str, ...]) -> list[Any]:
    """The template and parameters of each engine text (None for one built as plain text)."""
    return [t.as_json() if isinstance(t, Reason) else None for t in texts]


def _texts(texts: list[str], templates: list[Any] | None) -> tuple[str, ...]:
    """The stored texts, as Reasons where their templates were kept (rows before 0023: plain text)."""
    if not templates or len(templates) != len(texts):
        return tuple(texts)
    return tuple(Reason.from_json(text, doc) for text, doc in zip(texts, templates, strict=True))


def load_results(conn: psycopg.Connection, run_ids: list[int]) -> dict[int, SampleResult]:
    """``{run_id: SampleResult}`` rebuilt from the rows (candidates and findings in stored order)."""
    params = {"run_ids": run_ids}
    candidates: dict[int, list[CandidateVariant]] = {r: [] for r in run_ids}
    for row in conn.execute(query("list_run_candidates"), params):
        candidates[row["run_id"]].append(_candidate(row))
    findings: dict[int, list[Finding]] = {r: [] for r in run_ids}
    for row in conn.execute(query("list_run_findings"), params):
        findings[row["run_id"]].append(_finding(row, candidates[row["run_id"]]))
    results = {}
    for row in conn.execute(query("list_runs"), params):
        results[row["id"]] = SampleResult(
            sample_id=row["lab_sample_id"],
            outcome=Outcome(row["outcome"]),
            karyotype=Karyotype(row["karyotype"]),
            reasons=_texts(row["reasons"], row["reason_templates"]),
            not_evaluated=_texts(row["not_evaluated"], row["not_evaluated_templates"]),
            findings=tuple(findings[row["id"]]),
            candidates=tuple(c for c in candidates[row["id"]]),
            provenance=_provenance(row),
        )
    return results
