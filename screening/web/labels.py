"""Words for the codes the engine records, as reviewers read them on the pages (the stored values and
the JSON stay the codes). Also the ClinVar link of a variant from the snapshot's variation id."""

from __future__ import annotations

import re
from typing import Any

from screening.domain import Moi, Pattern, Route, Zygosity

PATTERNS = {
    Pattern.HETEROZYGOUS: "one variant (heterozygous)",
    Pattern.HOMOZYGOUS: "the same variant on both copies (homozygous)",
    Pattern.HEMIZYGOUS: "one variant on the only X copy (hemizygous)",
    Pattern.COMPOUND_HET_TRANS: "two different variants on different copies (compound heterozygous, phased)",
    Pattern.COMPOUND_HET_PHASE_UNKNOWN: (
        "two different variants, phase unknown: possibly compound heterozygous (could be on one copy)"
    ),
    Pattern.COPY_NUMBER_ZERO: "no copy of the gene (copy number 0)",
}
ROUTES = {
    Route.CURATED: "on the panel's curated include list",
    Route.CLINVAR: "pathogenic / likely pathogenic in ClinVar",
    Route.LOF: "predicted loss of function in a loss-of-function gene",
    Route.TARGETED: "targeted caller (copy number)",
}
MOIS = {
    Moi.MONOALLELIC: "autosomal dominant (one variant enough)",
    Moi.BIALLELIC: "autosomal recessive (both copies)",
    Moi.XLINKED_MONOALLELIC: "X-linked (one variant enough)",
    Moi.XLINKED_BIALLELIC: "X-linked recessive",
}
ZYGOSITIES = {Zygosity.HET: "heterozygous", Zygosity.HOM: "homozygous", Zygosity.HEMI: "hemizygous"}
_CLINVAR_ID = re.compile(r"^\d{1,12}$")
_CODES = re.compile(
    r"\b(" + "|".join(sorted((p.value for p in PATTERNS if "_" in p.value), key=len, reverse=True)) + r")\b"
)


def _lookup(table: dict, enum: type, value: Any) -> str:
    try:
        return table[enum(value)]
    except (ValueError, KeyError):
        return str(value).replace("_", " ")


def pattern_label(value: Any) -> str:
    return _lookup(PATTERNS, Pattern, value)


def route_label(value: Any) -> str:
    return _lookup(ROUTES, Route, value)


def moi_label(value: Any) -> str:
    return _lookup(MOIS, Moi, value)


def zygosity_label(value: Any) -> str:
    return _lookup(ZYGOSITIES, Zygosity, value)


def clinvar_url(variation_id: Any) -> str | None:
    """The ClinVar page of a variation id from the snapshot (None for anything else)."""
    text = str(variation_id or "").strip()
    return f"https://www.ncbi.nlm.nih.gov/clinvar/variation/{text}/" if _CLINVAR_ID.match(text) else None


def reason_text(reason: Any) -> str:
    """An engine reason with its multi-word pattern codes in words (one pass: labels are not re-read)."""
    return _CODES.sub(lambda m: PATTERNS[Pattern(m.group(0))], str(reason))


FILTERS = {
    "reason_text": reason_text,
    "pattern_label": pattern_label,
    "route_label": route_label,
    "moi_label": moi_label,
    "zygosity_label": zygosity_label,
    "clinvar_url": clinvar_url,
}
