"""The JSON API's response models (pydantic), published in its OpenAPI schema.

The API returns the documents the rest of the system already writes (``screening.report`` for a
result, ``screening.curation`` for panels); these models describe them. Where a document is built from
a dataclass, its model is derived from that dataclass's fields, so a field added there is published
here too: a finding's variants from ``report.VARIANT_FIELDS`` typed by ``domain.CandidateVariant``,
provenance from ``domain.Provenance``, panel versions from ``db.curation.VersionSummary``, gene
entries from ``domain.PanelGene``. Every model refuses undeclared fields (``additionalProperties:
false``), so the contract tests notice a document that grew without its schema.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from screening import report
from screening.db.curation import VersionSummary
from screening.domain import (
    CandidateVariant,
    ExcludedVariant,
    IncludedVariant,
    PanelGene,
    Provenance,
    Version,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _json_type(hint: Any) -> Any:
    """The JSON-side type of a dataclass field as the serializers write it (enums, versions and times
    as text, tuples as lists)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [_json_type(a) for a in typing.get_args(hint)]
        out = args[0]
        for a in args[1:]:
            out = out | a
        return out
    if origin is tuple:
        return list[_json_type(typing.get_args(hint)[0])]
    if origin is dict:
        return dict[str, Any]
    if isinstance(hint, type) and issubclass(hint, Enum | Version | datetime | date):
        return str
    if hint is type(None):
        return type(None)
    return hint


def derived(name: str, cls: type, fields: tuple[str, ...] | None = None, **extra: Any) -> type[Strict]:
    """A strict model of ``fields`` (default: all) of dataclass ``cls``, each required (the serializers
    always write them) and typed as written in JSON; ``extra`` adds (type, default) fields."""
    hints = typing.get_type_hints(cls)
    names = fields or tuple(f.name for f in dataclasses.fields(cls))
    spec: dict[str, Any] = {n: (_json_type(hints[n]), ...) for n in names}
    return create_model(name, __base__=Strict, **spec, **extra)


# ---------------------------------------------------------------- errors


class Error(Strict):
    """Every error the API answers (400, 401, 403, 404, 409, 413, 422, 429, 500): a plain message and,
    for invalid input, every problem found."""

    detail: str = Field(description="What is wrong, in plain words (never a server path)")
    problems: list[str] = Field(default_factory=list, description="Each problem found, when several")


# ---------------------------------------------------------------- results (screening screen --format json)

Variant = derived(
    "Variant",
    CandidateVariant,
    report.VARIANT_FIELDS,
    sv_end=(int | None, Field(None, description="A symbolic structural variant's last base")),
    sv_length=(int | None, Field(None, description="sv_end - pos")),
)
ProvenanceDoc = derived("Provenance", Provenance)


class Finding(Strict):
    hgnc_id: str
    symbol: str
    moi: str
    condition: str
    pattern: str
    variants: list[Variant]  # type: ignore[valid-type]
    smn1_copies: int | None = Field(None, description="SMN1 copy number (spinal muscular atrophy only)")


class ScreenResult(Strict):
    """The ``screening screen --format json`` object of a sample's current screening run."""

    sample_id: str
    outcome: str = Field(description="condition_suspected | no_condition_suspected | testing_not_possible")
    karyotype: str
    reasons: list[str]
    not_evaluated: list[str]
    findings: list[Finding]
    unreported_candidates: dict[str, int] = Field(description="Carriers and others: counted, never listed")
    provenance: ProvenanceDoc  # type: ignore[valid-type]


class Turnaround(Strict):
    received_at: str | None
    screened_at: str | None
    reviewed_at: str | None
    letter_issued_at: str | None
    receipt_to_screened_s: float | None
    screened_to_reviewed_s: float | None
    receipt_to_letter_s: float | None


class SampleStatus(Strict):
    """A sample's state and, once screened, the ``screening screen`` shape. For the lab role the
    findings are left out (as on the lab pages): ``findings``, ``flagged_genes``,
    ``unreported_candidates``, ``karyotype`` and ``provenance`` (which names the karyotype) are
    absent, and ``reasons`` are given only for *testing not possible* (what the lab can act on)."""

    sample_id: str
    state: str = Field(description="queued | running | screened | failed | held")
    attempts: int
    reason: str | None = Field(description="Why the sample failed or is held")
    outcome: str | None
    reasons: list[str]
    flagged_genes: list[str] | None = None
    findings: list[Finding] | None = None
    karyotype: str | None = None
    not_evaluated: list[str] | None = None
    unreported_candidates: dict[str, int] | None = None
    provenance: ProvenanceDoc | None = None  # type: ignore[valid-type]
    turnaround: Turnaround


class SpanFigures(Strict):
    n: int
    median_s: float | None
    p90_s: float | None
    max_s: float | None


class BatchStatus(Strict):
    """As ``screening batch status --format json`` (findings left out for the lab role)."""

    batch_id: str
    programme: str = Field(description="The programme the batch belongs to (england, denmark, …)")
    state: str = Field(description="running | finalised")
    panel: str = Field(description="<panel_id>@<MAJOR.MINOR>")
    submitted_at: str
    finalised_at: str | None
    counts: dict[str, int] = Field(description="samples per state: queued, running, screened, failed, held")
    turnaround: dict[str, SpanFigures] = Field(
        description="receipt_to_screened, screened_to_reviewed, receipt_to_letter"
    )
    samples: list[SampleStatus]


class BatchSummary(Strict):
    batch_id: str
    programme: str
    state: str
    panel: str
    submitted_at: str
    submitted_by: str
    finalised_at: str | None
    samples: int
    counts: dict[str, int]
    status_url: str


class BatchPage(Strict):
    items: list[BatchSummary]
    total: int = Field(description="Batches matching the filter")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The next page's offset; null on the last page")


class Submitted(Strict):
    batch_id: str = Field(description="The lab's batch identifier (given, or derived from the manifest)")
    created: bool = Field(description="False when this manifest was already submitted under this id")
    samples: int = Field(description="Samples queued by this request")
    programme: str = Field(description="The programme the batch belongs to")
    status_url: str


class Requeue(Strict):
    sample_ids: list[str] | None = Field(
        None, description="Re-queue only these failed samples [default: every failed sample]"
    )


class Requeued(Strict):
    batch_id: str
    requeued: list[str] = Field(description="Sample ids put back in the queue")


# ---------------------------------------------------------------- letters


class Letter(Strict):
    """An issued letter's record (never its content); the PDF at ``pdf_url`` (reviewer role)."""

    id: int
    batch_id: str
    sample_id: str
    run_id: int
    kind: str
    sha256: str = Field(description="sha256 of the letter's HTML")
    pdf_sha256: str = Field(description="sha256 of the PDF served at pdf_url")
    template_version: str
    issued_by: str
    issued_at: str
    issued_on: str
    pdf_url: str


class LetterList(Strict):
    batch_id: str
    sample_id: str | None = None
    letters: list[Letter]


# ---------------------------------------------------------------- panels

PanelSummary = derived("PanelSummary", VersionSummary, label=(str, ...))
Gene = derived("Gene", PanelGene)
IncludedVariantDoc = derived("IncludedVariant", IncludedVariant)
ExcludedVariantDoc = derived("ExcludedVariant", ExcludedVariant)


class PanelVersionDoc(PanelSummary):  # type: ignore[valid-type,misc]
    """``screening panel show LABEL --genes --format json``."""

    settings: dict[str, Any]
    description: str
    origin: dict[str, Any] | None
    genes: list[Gene]  # type: ignore[valid-type]


class Change(Strict):
    subject: str
    field: str
    old: Any
    new: Any


class PanelDiff(Strict):
    """``screening panel diff OLD NEW --format json``."""

    old: str
    new: str
    old_sha256: str
    new_sha256: str
    identical: bool
    metadata: list[Change]
    genes_added: list[Gene]  # type: ignore[valid-type]
    genes_removed: list[Gene]  # type: ignore[valid-type]
    mode_changes: list[Change]
    gene_changes: list[Change]
    include_added: list[IncludedVariantDoc]  # type: ignore[valid-type]
    include_removed: list[IncludedVariantDoc]  # type: ignore[valid-type]
    exclude_added: list[ExcludedVariantDoc]  # type: ignore[valid-type]
    exclude_removed: list[ExcludedVariantDoc]  # type: ignore[valid-type]
    settings: list[Change]
