"""Panel curation: diff two panel versions, preview a draft's impact, re-screen a batch under a version.

- :func:`diff_panels` is pure: genes added/removed, mode changes, per-gene field changes (coordinates,
  activity, LoF flag, transcript, condition, provenance), inclusion/exclusion list and rule-setting
  changes; rendered as a table for people (:func:`diff_table`) and JSON for tools (:func:`diff_json`).
- :func:`impact_preview` re-screens, read-only, the stored VCFs of babies already screened under the
  panel with the draft, and compares outcomes with their stored runs. It re-reads the VCFs instead of
  re-using the stored candidate rows because those only hold variants that passed an inclusion route
  of the *old* version inside the *old* regions: a draft that adds a gene or an inclusion-list variant,
  widens padding, or relaxes a threshold (AF caps, ClinVar stars) creates candidates that were never
  stored. Re-screening through ``vcf_screen.screen_vcf`` (the worker's own code path, with the same cohort
  cut-off: the batch's submission) is exact and equals a direct re-run by construction; its cost is a
  region read per baby (about 0.35 s for 300 genes on a WGS VCF). Nothing is written.
- :func:`start_rescreen` queues a finished batch's samples again under another published version
  through the pipeline's own machinery (sample rows → queued, batch reopened, enqueue after commit):
  each baby gets a new screening run for that version and the old runs stay. :func:`rescreen_delta`
  compares the two runs per baby: newly suspected, no longer suspected, unchanged (or not comparable).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from screening import digest, panel_content, panels, vcf, vcf_screen
from screening.config import Settings
from screening.db import cohort as db_cohort
from screening.db import connection, results
from screening.db import curation as db
from screening.db import panels as db_panels
from screening.domain import (
    N_,
    ClinVarSnapshot,
    ExcludedVariant,
    IncludedVariant,
    Outcome,
    PanelGene,
    PanelVersion,
    Reason,
    SampleResult,
)
from screening.errors import IntegrityError, ScreeningError

GENE_FIELDS = (
    "symbol",
    "chrom",
    "start",
    "end",
    "active",
    "lof_mechanism",
    "transcript",
    "condition",
    "urgency",
    "source",
)
META_FIELDS = ("name", "description", "genome_build")


# ---------------------------------------------------------------- diff (pure)


@dataclass(frozen=True)
class Change:
    """One changed value: of a gene entry (``subject`` = "SYMBOL HGNC:n MOI"), a setting or metadata."""

    subject: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PanelDiff:
    old: str
    new: str
    old_sha256: str
    new_sha256: str
    metadata: tuple[Change, ...]
    genes_added: tuple[PanelGene, ...]
    genes_removed: tuple[PanelGene, ...]
    mode_changes: tuple[Change, ...]  # same gene, other set of modes (old/new: lists of modes)
    gene_changes: tuple[Change, ...]
    include_added: tuple[IncludedVariant, ...]
    include_removed: tuple[IncludedVariant, ...]
    exclude_added: tuple[ExcludedVariant, ...]
    exclude_removed: tuple[ExcludedVariant, ...]
    settings: tuple[Change, ...]

    @property
    def identical(self) -> bool:
        return self.old_sha256 == self.new_sha256


def diff_panels(old: PanelVersion, new: PanelVersion) -> PanelDiff:
    old_ids, new_ids = {g.hgnc_id for g in old.genes}, {g.hgnc_id for g in new.genes}
    return PanelDiff(
        old=old.label,
        new=new.label,
        old_sha256=old.sha256 or panel_content.panel_sha256(old),
        new_sha256=new.sha256 or panel_content.panel_sha256(new),
        metadata=tuple(
            Change("panel", f, getattr(old, f), getattr(new, f))
            for f in META_FIELDS
            if getattr(old, f) != getattr(new, f)
        ),
        genes_added=tuple(g for g in new.genes if g.hgnc_id not in old_ids),
        genes_removed=tuple(g for g in old.genes if g.hgnc_id not in new_ids),
        mode_changes=_mode_changes(old, new),
        gene_changes=_gene_changes(old, new),
        include_added=_added(old.include, new.include),
        include_removed=_added(new.include, old.include),
        exclude_added=_added(old.exclude, new.exclude),
        exclude_removed=_added(new.exclude, old.exclude),
        settings=_settings_changes(old, new),
    )


def _settings_changes(old: PanelVersion, new: PanelVersion) -> tuple[Change, ...]:
    before, after = _flat(old.settings.as_dict()), _flat(new.settings.as_dict())
    keys = sorted(set(before) | set(after))
    return tuple(
        Change("settings", k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    )


def _added(before: tuple, after: tuple) -> tuple:
    known = set(before)
    return tuple(v for v in after if v not in known)


def _modes(panel: PanelVersion) -> dict[str, list[str]]:
    modes: dict[str, list[str]] = {}
    for g in panel.genes:
        modes.setdefault(g.hgnc_id, []).append(str(g.moi))
    return {k: sorted(v) for k, v in modes.items()}


def _mode_changes(old: PanelVersion, new: PanelVersion) -> tuple[Change, ...]:
    before, after = _modes(old), _modes(new)
    symbols = {g.hgnc_id: g.symbol for g in new.genes}
    return tuple(
        Change(f"{symbols[h]} {h}", "moi", before[h], after[h])
        for h in after
        if h in before and before[h] != after[h]
    )


def _gene_changes(old: PanelVersion, new: PanelVersion) -> tuple[Change, ...]:
    before = {(g.hgnc_id, g.moi): g for g in old.genes}
    changes = []
    for g in new.genes:
        earlier = before.get((g.hgnc_id, g.moi))
        if earlier is None:
            continue
        subject = f"{g.symbol} {g.hgnc_id} {g.moi}"
        changes += [
            Change(subject, f, _plain(getattr(earlier, f)), _plain(getattr(g, f)))
            for f in GENE_FIELDS
            if getattr(earlier, f) != getattr(g, f)
        ]
    return tuple(changes)


def _plain(value: Any) -> Any:
    """Enum values (urgency) as their text, so tables and JSON show 'high', not the enum's repr."""
    return str(value) if isinstance(value, Enum) else value


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for k, v in value.items():
        out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def _gene_dict(g: PanelGene) -> dict[str, Any]:
    return {**asdict(g), "moi": str(g.moi), "urgency": str(g.urgency)}


def diff_to_dict(d: PanelDiff) -> dict[str, Any]:
    """The diff as plain data: ``screening panel diff --format json`` and ``/api/v1`` show this."""
    return {
        **{k: getattr(d, k) for k in ("old", "new", "old_sha256", "new_sha256", "identical")},
        "metadata": [asdict(c) for c in d.metadata],
        "genes_added": [_gene_dict(g) for g in d.genes_added],
        "genes_removed": [_gene_dict(g) for g in d.genes_removed],
        "mode_changes": [asdict(c) for c in d.mode_changes],
        "gene_changes": [asdict(c) for c in d.gene_changes],
        **{
            k: [asdict(v) for v in getattr(d, k)]
            for k in ("include_added", "include_removed", "exclude_added", "exclude_removed")
        },
        "settings": [asdict(c) for c in d.settings],
    }


def diff_json(d: PanelDiff) -> str:
    return json.dumps(diff_to_dict(d), indent=2, sort_keys=True, default=str) + "\n"


def version_summary_to_dict(info: db.VersionSummary) -> dict[str, Any]:
    """One published version as ``screening panel list/show --format json`` and ``/api/v1`` show it."""
    doc = {k: getattr(info, k) for k in info.__dataclass_fields__}
    return {**doc, "version": str(info.version), "label": info.label}


def version_to_dict(
    info: db.VersionSummary, version: PanelVersion, origin: dict[str, Any] | None, genes: bool
) -> dict[str, Any]:
    """``screening panel show --format json`` (and ``/api/v1/panels/…``): the summary, settings,
    description, origin and, with ``genes``, every gene entry."""
    doc = {
        **version_summary_to_dict(info),
        "settings": version.settings.as_dict(),
        "description": version.description,
        "origin": origin,
    }
    if genes:
        doc["genes"] = [_gene_dict(g) for g in version.genes]
    return doc


def diff_table(d: PanelDiff) -> str:
    lines = [f"{d.old} ({d.old_sha256[:12]}) → {d.new} ({d.new_sha256[:12]})"]
    if d.identical:
        return lines[0] + "\nidentical content\n"
    sections: list[tuple[str, list[str]]] = [
        ("panel", [_change_line(c) for c in d.metadata]),
        ("genes added", [_gene_line("+", g) for g in d.genes_added]),
        ("genes removed", [_gene_line("-", g) for g in d.genes_removed]),
        ("modes of inheritance changed", [_change_line(c) for c in d.mode_changes]),
        ("gene entries changed", [_change_line(c) for c in d.gene_changes]),
        ("inclusion list", _variant_lines(d.include_added, d.include_removed)),
        ("exclusion list", _variant_lines(d.exclude_added, d.exclude_removed)),
        ("rule settings", [_change_line(c) for c in d.settings]),
    ]
    for title, rows in sections:
        if rows:
            lines += ["", f"{title} ({len(rows)}):", *rows]
    if len(lines) == 1:
        lines.append("no change besides the version")
    return "\n".join(lines) + "\n"


def _gene_line(sign: str, g: PanelGene) -> str:
    state = "" if g.active else "  (inactive)"
    return f"  {sign} {g.symbol:<10} {g.hgnc_id:<11} {g.moi:<20} {g.chrom}:{g.start}-{g.end}{state}"


def _change_line(c: Change) -> str:
    return f"  {c.subject}: {c.field} {c.old!r} → {c.new!r}"


def _variant_lines(added: tuple, removed: tuple) -> list[str]:
    def show(sign: str, v: IncludedVariant | ExcludedVariant) -> str:
        extra = v.hgnc_id + " " + v.source if isinstance(v, IncludedVariant) else v.reason
        return f"  {sign} {v.chrom}:{v.pos} {v.ref}>{v.alt}  {extra}"

    return [show("+", v) for v in added] + [show("-", v) for v in removed]


# ---------------------------------------------------------------- outcome comparison (pure)

NEWLY = "newly_suspected"
NO_LONGER = "no_longer_suspected"
UNCHANGED = "unchanged"
NOT_COMPARABLE = "not_comparable"
CATEGORIES = (NEWLY, NO_LONGER, UNCHANGED, NOT_COMPARABLE)


@dataclass(frozen=True)
class Comparison:
    lab_batch_id: str
    sample_id: str
    old_outcome: str | None
    new_outcome: str | None
    category: str
    genes_gained: tuple[str, ...]  # "SYMBOL HGNC:n MOI" findings only in the new result
    genes_lost: tuple[str, ...]
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.old_outcome != self.new_outcome or bool(self.genes_gained or self.genes_lost)


def _finding_keys(result: SampleResult | None) -> set[tuple[str, str, str]]:
    return {(f.symbol, f.hgnc_id, str(f.moi)) for f in result.findings} if result else set()


def compare(
    lab_batch_id: str, sample_id: str, old: SampleResult | None, new: SampleResult | None
) -> Comparison:
    """How one baby's outcome moves from ``old`` to ``new`` (either may be missing)."""
    before, after = _finding_keys(old), _finding_keys(new)
    old_outcome = old.outcome.value if old else None
    new_outcome = new.outcome.value if new else None
    suspected = Outcome.CONDITION_SUSPECTED.value
    if old is None or new is None or Outcome.TESTING_NOT_POSSIBLE in (old.outcome, new.outcome):
        category, note = NOT_COMPARABLE, _why_not_comparable(old, new)
    elif old_outcome != suspected and new_outcome == suspected:
        category, note = NEWLY, ""
    elif old_outcome == suspected and new_outcome != suspected:
        category, note = NO_LONGER, ""
    else:
        category, note = UNCHANGED, "findings changed" if before != after else ""
    return Comparison(
        lab_batch_id,
        sample_id,
        old_outcome,
        new_outcome,
        category,
        tuple(" ".join(k) for k in sorted(after - before)),
        tuple(" ".join(k) for k in sorted(before - after)),
        note,
    )


def _why_not_comparable(old: SampleResult | None, new: SampleResult | None) -> str:
    if old is None:
        return "no earlier run"
    if new is None:
        return "no run under the new version"
    side = old if old.outcome is Outcome.TESTING_NOT_POSSIBLE else new
    return "testing not possible: " + "; ".join(side.reasons)


@dataclass(frozen=True)
class GeneImpact:
    gene: str  # "SYMBOL HGNC:n MOI"
    babies_gained: int
    babies_lost: int


@dataclass(frozen=True)
class OutcomeDelta:
    """Many babies compared between two versions (an impact preview or a re-screen delta)."""

    subject: str
    old: str
    new: str
    comparisons: tuple[Comparison, ...]
    errors: tuple[tuple[str, str], ...] = ()  # (sample, message): could not be compared
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        counted = Counter(c.category for c in self.comparisons)
        return {k: counted.get(k, 0) for k in CATEGORIES}

    def per_gene(self) -> tuple[GeneImpact, ...]:
        gained = Counter(g for c in self.comparisons for g in c.genes_gained)
        lost = Counter(g for c in self.comparisons for g in c.genes_lost)
        return tuple(GeneImpact(g, gained[g], lost[g]) for g in sorted(set(gained) | set(lost)))

    def changed(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.changed)


def delta_json(d: OutcomeDelta) -> str:
    doc = {
        "subject": d.subject,
        "old": d.old,
        "new": d.new,
        "babies": len(d.comparisons),
        "counts": d.counts(),
        "per_gene": [asdict(g) for g in d.per_gene()],
        "changed": [asdict(c) for c in d.changed()],
        "comparisons": [asdict(c) for c in d.comparisons],
        "errors": [{"sample": s, "message": m} for s, m in d.errors],
        "notes": list(d.notes),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def delta_table(d: OutcomeDelta) -> str:
    counts = d.counts()
    lines = [
        f"{d.subject}: {d.old} → {d.new}; {len(d.comparisons)} babies",
        "  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()),
        *(f"  note: {n}" for n in d.notes),
    ]
    if d.per_gene():
        lines += ["", "per gene (babies):", f"  {'gene':<45} {'gained':>7} {'lost':>5}"]
        lines += [f"  {g.gene:<45} {g.babies_gained:>7} {g.babies_lost:>5}" for g in d.per_gene()]
    if d.changed():
        lines += ["", "babies whose outcome or findings change:"]
        for c in d.changed():
            moved = f"{c.old_outcome or '-'} → {c.new_outcome or '-'}"
            genes = "; ".join([*(f"+{g}" for g in c.genes_gained), *(f"-{g}" for g in c.genes_lost)])
            lines.append(f"  {c.lab_batch_id}/{c.sample_id}: {c.category}: {moved} {genes} {c.note}".rstrip())
    lines += [f"  could not compare {s}: {m}" for s, m in d.errors]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- impact preview (reads only)


@dataclass(frozen=True)
class _Baby:
    screened: db.ScreenedSample
    stored: SampleResult
    cohort_af: Any
    clinvar: ClinVarSnapshot | None


def impact_preview(
    settings: Settings,
    draft: PanelVersion,
    lab_batch_id: str | None = None,
    clinvar_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OutcomeDelta:
    """Screen the stored VCFs of babies already screened under ``draft.panel_id`` with the draft.

    ``progress(done, total)`` is called once the babies are known (0, total) and after each baby."""
    clinvar = None
    if clinvar_path is not None:
        clinvar = vcf.read_clinvar(str(clinvar_path), draft.genome_build, panels.region_list(draft))
    babies = _load_babies(settings, draft, lab_batch_id, clinvar)
    comparisons, errors = [], []
    if progress is not None:
        progress(0, len(babies))
    for done, baby in enumerate(babies, start=1):
        s = baby.screened
        try:
            new = _rescreen_one(draft, baby)
        except ScreeningError as exc:
            errors.append((f"{s.lab_batch_id}/{s.sample.sample_id}", str(exc)))
        else:
            comparisons.append(compare(s.lab_batch_id, s.sample.sample_id, baby.stored, new))
        finally:
            if progress is not None:
                progress(done, len(babies))
    note = (
        f"ClinVar: {clinvar.source} restricted to the draft's genes"
        if clinvar
        else "ClinVar: each baby's stored snapshot (restricted to that version's genes; give --clinvar for "
        "genes the draft adds)"
    )
    subject = f"impact of draft {draft.label} ({draft.sha256[:12]})"
    return OutcomeDelta(subject, "stored runs", draft.label, tuple(comparisons), tuple(errors), (note,))


def _load_babies(
    settings: Settings, draft: PanelVersion, lab_batch_id: str | None, clinvar: ClinVarSnapshot | None
) -> list[_Baby]:
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        batch_pk = db.find_batch(conn, lab_batch_id).id if lab_batch_id else None
        screened = db.screened_samples(conn, draft.panel_id, batch_pk)
        stored = results.load_results(conn, [s.run_id for s in screened])
        snapshots: dict[int, ClinVarSnapshot | None] = {}
        babies = []
        for s in screened:
            pv_id = s.sample.panel_version_id
            if clinvar is None and pv_id not in snapshots:
                snapshots[pv_id] = db_panels.load_clinvar(conn, pv_id)
            cohort, _ = db_cohort.frequencies(conn, s.sample.batch_id, settings.cohort_min_babies)
            babies.append(_Baby(s, stored[s.run_id], cohort, clinvar or snapshots[pv_id]))
    return babies


def _rescreen_one(draft: PanelVersion, baby: _Baby) -> SampleResult:
    sample = baby.screened.sample
    try:
        sha = digest.sha256_file(sample.vcf_path)
    except OSError as exc:
        raise IntegrityError(
            Reason(N_("VCF can no longer be read ({name})"), name=type(exc).__name__)
        ) from exc
    if sha != sample.vcf_sha256:
        raise IntegrityError(
            Reason(
                N_("VCF changed since submission (sha256 {sha}…, stored {stored}…)"),
                sha=sha[:12],
                stored=sample.vcf_sha256[:12],
            )
        )
    path = Path(sample.vcf_path)
    return vcf_screen.screen_vcf(
        draft, sample.to_input(), path, baby.clinvar, baby.cohort_af, sample.vcf_sha256
    )


# ---------------------------------------------------------------- publishing a draft folder


@dataclass(frozen=True)
class Published:
    row: Any  # db.panels.PanelVersionRow
    created: bool  # False: identical content was already published (a no-op)
    clinvar_records: int


def publish_folder(
    settings: Settings, folder: Path, message: str, clinvar_path: Path | None = None
) -> Published:
    """Publish a panel folder (a draft) as an immutable version with its change message, in one
    transaction (the event and audit rows are written by the database's triggers in it); what
    ``screening panel publish`` and the curator's publish page both call."""
    text = (message or "").strip()
    if not text:
        raise ScreeningError(Reason(N_("change message: a published version needs one (why this version)")))
    version = panels.load_panel(Path(folder))
    clinvar = None
    if clinvar_path is not None:
        clinvar = vcf.read_clinvar(str(clinvar_path), version.genome_build, panels.region_list(version))
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        db.set_change_message(conn, text)
        row, created = db_panels.publish(conn, version, clinvar, settings.actor)
    return Published(row, created, 0 if clinvar is None else clinvar.records.height)


@contextmanager
def recorded_import(
    settings: Settings, panel: PanelVersion, source: tuple[str, str], draft: str
) -> Iterator[None]:
    """Write a draft made from PanelApp inside the block, recorded and audited (``panel_imported``) in
    the same transaction: the record commits only when the block (writing the draft) succeeds.
    ``source`` is (the uploaded file name(s), the sha256 of their bytes); ``draft`` names the draft."""
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        db.record_panel_import(conn, panel, source, draft)
        yield


# ---------------------------------------------------------------- re-screening a batch


@dataclass(frozen=True)
class RescreenStart:
    lab_batch_id: str
    target: str
    sample_ids: tuple[int, ...]


def start_rescreen(
    settings: Settings, lab_batch_id: str, label: str, enqueue: Callable[[list[int]], None]
) -> RescreenStart:
    """Queue every finished sample of the batch again under ``label``; enqueue after the commit."""
    from screening.db import batches

    with connection.session(settings) as conn:
        with connection.transaction(conn, settings.actor):
            batch = db.find_batch(conn, lab_batch_id)
            target = db.require_version(conn, label)
            ids = db.move_batch_to_version(conn, batch, target)
        if ids:
            enqueue(ids)
            batches.mark_enqueued(conn, ids)
    return RescreenStart(lab_batch_id, target.label, tuple(ids))


def batch_finished(settings: Settings, lab_batch_id: str) -> bool:
    with connection.session(settings) as conn:
        return db.find_batch(conn, lab_batch_id).state == "finalised"


def rescreen_delta(
    settings: Settings, lab_batch_id: str, new_label: str, old_label: str | None = None
) -> OutcomeDelta:
    """Per baby: the run under ``old_label`` (default: the version the batch was submitted with) vs
    the run under ``new_label``."""
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        batch = db.find_batch(conn, lab_batch_id)
        new = db.require_version(conn, new_label)
        old = (
            db.require_version(conn, old_label)
            if old_label
            else db_panels.get_version(conn, batch.panel_version_id)
        )
        runs = db.batch_runs(conn, batch.id, [old.id, new.id])
        stored = results.load_results(conn, [r.run_id for r in runs if r.run_id is not None])
    by_sample: dict[str, dict[int, SampleResult]] = {}
    for r in runs:
        entry = by_sample.setdefault(r.sample_id, {})
        if r.run_id is not None:
            entry[r.panel_version_id] = stored[r.run_id]
    comparisons = tuple(
        compare(lab_batch_id, sample_id, versions.get(old.id), versions.get(new.id))
        for sample_id, versions in by_sample.items()
    )
    return OutcomeDelta(f"re-screen of batch {lab_batch_id}", old.label, new.label, comparisons)
