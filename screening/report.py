"""The shapes a result is shown in: the JSON object of ``screening screen`` (relied on by laboratory
systems and by ``batch status --format json``) and a readable table for people. Pure."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from screening import turnaround
from screening.domain import CandidateRole, CandidateVariant, Finding, SampleResult, panel_label

VARIANT_FIELDS = (
    "chrom",
    "pos",
    "ref",
    "alt",
    "zygosity",
    "routes",
    "gt",
    "gq",
    "dp",
    "ad_ref",
    "ad_alt",
    "allele_balance",
    "phased",
    "phase_set",
    "filter",
    "clinvar_id",
    "clinvar_plp",
    "clinvar_blb",
    "clinvar_stars",
    "consequence",
    "transcript",
    "hgvsc",
    "hgvsp",
)


def variant_to_dict(v: CandidateVariant) -> dict[str, Any]:
    out = {name: getattr(v, name) for name in VARIANT_FIELDS}
    out["zygosity"] = v.zygosity.value
    out["routes"] = [r.value for r in v.routes]
    if v.sv_end is not None:  # a symbolic SV: its span
        out["sv_end"] = v.sv_end
        out["sv_length"] = v.sv_end - v.pos
    return out


def finding_to_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "hgnc_id": f.hgnc_id,
        "symbol": f.symbol,
        "moi": f.moi.value,
        "condition": f.condition,
        "pattern": f.pattern.value,
        "variants": [variant_to_dict(v) for v in f.variants],
    }
    if f.smn1_copies is not None:
        out["smn1_copies"] = f.smn1_copies
    return out


def result_to_dict(result: SampleResult) -> dict[str, Any]:
    """The ``screening screen --format json`` object. Carriers and other non-reportable candidates are
    counted, never listed: they are stored for re-analysis only."""
    roles: dict[str, int] = {}
    for c in result.candidates:
        if c.role is not CandidateRole.FINDING:
            roles[c.role.value] = roles.get(c.role.value, 0) + 1
    return {
        "sample_id": result.sample_id,
        "outcome": result.outcome.value,
        "karyotype": result.karyotype.value,
        "reasons": list(result.reasons),
        "not_evaluated": list(result.not_evaluated),
        "findings": [finding_to_dict(f) for f in result.findings],
        "unreported_candidates": dict(sorted(roles.items())),
        "provenance": asdict(result.provenance),
    }


def to_json(result: SampleResult) -> str:
    """Deterministic JSON: same inputs, byte-identical text."""
    return json.dumps(result_to_dict(result), sort_keys=True, indent=2) + "\n"


def to_table(result: SampleResult) -> str:
    """A readable summary for people at a terminal."""
    p = result.provenance
    lines = [
        f"sample      {result.sample_id} (VCF column {p.vcf_sample})",
        f"outcome     {result.outcome.value}",
        f"karyotype   {result.karyotype.value}",
        f"panel       {panel_label(p.panel_id, p.panel_version)} ({p.genome_build})"
        f" sha256 {p.panel_sha256[:12]}",
        f"clinvar     {p.clinvar_release_date or '-'} {(p.clinvar_sha256 or '-')[:12]}",
        "reasons:",
        *[f"  - {r}" for r in result.reasons],
    ]
    if result.findings:
        lines.append("findings:")
        for f in result.findings:
            lines.append(
                f"  {f.symbol:<10} {f.hgnc_id:<11} {f.moi.value:<20} {f.pattern.value}  ({f.condition})"
            )
            for v in f.variants:
                lines.append(
                    f"      {v.chrom}:{v.pos} {v.ref}>{v.alt} {v.zygosity.value:<4} GT {v.gt} GQ {v.gq} "
                    f"DP {v.dp} AB {v.allele_balance} routes {','.join(r.value for r in v.routes)}"
                    + (f" span {v.chrom}:{v.pos}-{v.sv_end} ({v.sv_end - v.pos:,} bp)" if v.sv_end else "")
                )
    if result.not_evaluated:
        lines.append("not evaluated:")
        lines.extend(f"  - {n}" for n in result.not_evaluated)
    return "\n".join(lines) + "\n"


def sample_status_to_dict(status: Any, result: SampleResult | None, milestones: Any = None) -> dict[str, Any]:
    """One sample of ``batch status --format json``: state plus the ``screening screen`` JSON shape."""
    sample = status.sample
    doc: dict[str, Any] = {
        "sample_id": sample.sample_id,
        "state": sample.state,
        "attempts": sample.attempts,
        "reason": sample.reason,
        "outcome": None,
        "reasons": [],
        "flagged_genes": [],
        "findings": [],
    }
    if result is not None:
        doc.update(result_to_dict(result))
        doc["flagged_genes"] = sorted({f.hgnc_id for f in result.findings})
        doc["sample_id"] = sample.sample_id
    if milestones is not None:
        doc["turnaround"] = {**milestones.as_dict(), **{f"{k}_s": v for k, v in milestones.spans().items()}}
    return doc


def batch_status_to_dict(st: Any) -> dict[str, Any]:
    """``batch status --format json`` and ``GET /api/v1/batches/{id}``: the batch and, per sample, its
    state plus the ``screening screen`` shape, and turnaround: when each sample was received, screened,
    reviewed and its letter issued, with the spans between (seconds) and their median/p90/max."""
    b = st.batch
    return {
        "batch_id": b.lab_batch_id,
        "programme": b.programme,
        "state": b.state,
        "panel": st.panel_label,
        "submitted_at": b.submitted_at.isoformat(),
        "finalised_at": b.finalised_at.isoformat() if b.finalised_at else None,
        "counts": st.counts,
        "turnaround": turnaround.summary([st.milestones(s) for s, _ in st.samples]),
        "samples": [sample_status_to_dict(s, r, st.milestones(s)) for s, r in st.samples],
    }
