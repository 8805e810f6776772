"""Programme figures (pure): what a programme lead sees — babies screened, outcomes, the screen-positive
rate against the expected band, why testing was not possible, what review confirmed (the positive
predictive value of the screen), yield per gene and per condition, per ISO week and per batch.

Built from :class:`SampleFacts`, one sample's de-identified facts as ``db/programme.py`` reads them (no
identity, no lab sample id); no I/O here. ``screening report programme``, the lead's dashboard and
``screening report share`` (``share.py``) all count through these functions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from screening.cases import SWAP_HOLD_WORDS

SUSPECTED, CLEAR, NOT_POSSIBLE = "condition_suspected", "no_condition_suspected", "testing_not_possible"
OUTCOMES = (SUSPECTED, CLEAR, NOT_POSSIBLE)
# what review made of a screen-positive baby (the case outcome in force)
REVIEW_STATES = ("confirmed", "not_confirmed", "awaiting_second_reviewer", "awaiting_review")

REASON_CATEGORIES = {
    "sample_swap_hold": "recorded sex contradicts the VCF (possible sample swap)",
    "vcf_incomplete": "VCF incomplete",
    "qc_pct_autosomal_15x": "QC gate failed: autosomal bases at 15x",
    "qc_q30_gb": "QC gate failed: Q30 gigabases",
    "qc_contamination_pct": "QC gate failed: contamination",
    "vcf_unusable": "VCF could not be used (sample held)",
    "other": "another reason",
}


def reason_category(reason: str) -> str:
    """The category of one "testing not possible" reason of the screen."""
    if SWAP_HOLD_WORDS in reason:
        return "sample_swap_hold"
    if reason.startswith("VCF incomplete"):
        return "vcf_incomplete"
    gate = re.match(r"QC gate failed: (\w+)", reason)
    if gate and f"qc_{gate.group(1)}" in REASON_CATEGORIES:
        return f"qc_{gate.group(1)}"
    return "other"


@dataclass(frozen=True)
class Band:
    """The expected screen-positive rate, in per cent (1 % Generation Study – 3.7 % GUARDIAN)."""

    low_pct: float = 1.0
    high_pct: float = 3.7

    def judge(self, rate_pct: float | None) -> str | None:
        """``below``, ``within`` or ``above`` the band (None without a rate)."""
        if rate_pct is None:
            return None
        if rate_pct < self.low_pct:
            return "below"
        return "above" if rate_pct > self.high_pct else "within"


@dataclass(frozen=True)
class GeneCall:
    """One finding of a baby's current run and the latest decision on its gene and mode."""

    hgnc_id: str
    symbol: str
    condition: str
    decision: str | None  # confirmed, not_confirmed, or None before any


@dataclass(frozen=True)
class SampleFacts:
    """One sample, de-identified: its batch, when it was received, its state and outcomes."""

    programme: str
    batch: str  # the lab's batch id (shown to leads, never shared with partners)
    batch_submitted_at: datetime
    received_at: datetime
    state: str  # queued, running, screened, failed, held
    screen_outcome: str | None  # of the current run
    reasons: tuple[str, ...]  # the current run's reasons when testing was not possible
    case_outcome: str | None  # the case outcome in force (recorded since the results were written)
    case_confirmed: bool  # a second account confirmed that case outcome
    findings: tuple[GeneCall, ...]

    @property
    def outcome(self) -> str | None:
        """The screen's outcome; a held sample (its VCF could not be used) is testing not possible;
        None while the sample is queued or running, or when it failed (an internal error)."""
        if self.state == "held":
            return NOT_POSSIBLE
        return self.screen_outcome if self.state == "screened" else None

    def review(self, four_eyes: bool) -> str | None:
        """What review made of a screen-positive baby (None for any other baby)."""
        if self.outcome != SUSPECTED:
            return None
        if self.case_outcome is None:
            return "awaiting_review"
        if self.case_outcome == SUSPECTED:
            return "awaiting_second_reviewer" if four_eyes and not self.case_confirmed else "confirmed"
        return "not_confirmed"

    def reason_categories(self) -> tuple[str, ...]:
        """The categories of why testing was not possible (each once; a baby may have several)."""
        if self.state == "held":
            return ("vcf_unusable",)
        if self.outcome != NOT_POSSIBLE:
            return ()
        return tuple(sorted({reason_category(r) for r in self.reasons})) or ("other",)


def iso_week(t: datetime) -> str:
    """``2026-W49`` (ISO 8601 week of the UTC date)."""
    year, week, _ = t.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def month(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m")


def wilson_pct(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval of k / n, in per cent."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(100 * max(0.0, centre - half), 3), round(100 * min(1.0, centre + half), 3))


def _ratio_pct(k: int, n: int) -> float | None:
    return round(100 * k / n, 3) if n else None


def counts(samples: Iterable[SampleFacts], four_eyes: bool) -> dict[str, Any]:
    """Samples, babies screened (an outcome), each outcome, the screen-positive rate (positives over
    babies with a conclusive screen: condition suspected or not) and what review made of positives."""
    samples = list(samples)
    outcomes = Counter(s.outcome for s in samples)
    review = Counter(s.review(four_eyes) for s in samples)
    positive, conclusive = outcomes[SUSPECTED], outcomes[SUSPECTED] + outcomes[CLEAR]
    decided = review["confirmed"] + review["not_confirmed"]
    return {
        "samples": len(samples),
        "pending": sum(s.state in ("queued", "running") for s in samples),
        "failed": sum(s.state == "failed" for s in samples),
        "screened": sum(outcomes[o] for o in OUTCOMES),
        "outcomes": {o: outcomes[o] for o in OUTCOMES},
        "positive_rate_pct": _ratio_pct(positive, conclusive),
        "review": {r: review[r] for r in REVIEW_STATES},
        "ppv_pct": _ratio_pct(review["confirmed"], decided),
    }


def reasons(samples: Iterable[SampleFacts]) -> list[dict[str, Any]]:
    """Babies per category of why testing was not possible, most frequent first."""
    found = Counter(c for s in samples for c in s.reason_categories())
    rows = [{"category": c, "label": REASON_CATEGORIES[c], "babies": n} for c, n in found.items()]
    return sorted(rows, key=lambda r: (-r["babies"], r["category"]))


def yields(
    samples: Iterable[SampleFacts], four_eyes: bool, key: Callable[[GeneCall], tuple[str, ...]]
) -> list[dict[str, Any]]:
    """Per gene or condition (``key``): screen-positive babies flagged by it, and those whose positive
    case review confirmed with that finding confirmed, or where the finding was not confirmed."""
    flagged: Counter = Counter()
    confirmed: Counter = Counter()
    refuted: Counter = Counter()
    for s in samples:
        if s.outcome != SUSPECTED:
            continue
        final = s.review(four_eyes) == "confirmed"
        seen: dict[tuple[str, ...], set[str | None]] = {}
        for f in s.findings:
            seen.setdefault(key(f), set()).add(f.decision)
        for k, decisions in seen.items():
            flagged[k] += 1
            confirmed[k] += final and "confirmed" in decisions
            refuted[k] += "not_confirmed" in decisions and "confirmed" not in decisions
    rows = [
        {"key": k, "flagged": n, "confirmed": confirmed[k], "not_confirmed": refuted[k]}
        for k, n in flagged.items()
    ]
    return sorted(rows, key=lambda r: (-r["flagged"], -r["confirmed"], r["key"]))


def gene_key(f: GeneCall) -> tuple[str, ...]:
    return (f.hgnc_id, f.symbol)


def condition_key(f: GeneCall) -> tuple[str, ...]:
    return (f.condition,)


def _grouped(samples: list[SampleFacts], by: Callable[[SampleFacts], Any]) -> dict[Any, list[SampleFacts]]:
    groups: dict[Any, list[SampleFacts]] = {}
    for s in samples:
        groups.setdefault(by(s), []).append(s)
    return groups


@dataclass(frozen=True)
class ReportScope:
    """What a report covers and how it judges: programme (None: all), since, band, four eyes."""

    programme: str | None
    since: datetime | None
    band: Band
    four_eyes: bool


def programme_document(
    samples: list[SampleFacts], scope: ReportScope, turnaround: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ``screening report programme --format json`` document (and the dashboard's figures)."""
    fe = scope.four_eyes
    total = counts(samples, fe)
    screened = total["screened"]
    positive = total["outcomes"][SUSPECTED]
    conclusive = positive + total["outcomes"][CLEAR]

    def per_100k(n: int) -> float | None:
        return round(1e5 * n / screened, 1) if screened else None

    genes = [
        {
            "hgnc_id": r["key"][0],
            "symbol": r["key"][1],
            **_strip(r),
            "confirmed_per_100k": per_100k(r["confirmed"]),
        }
        for r in yields(samples, fe, gene_key)
    ]
    conditions = [
        {"condition": r["key"][0], **_strip(r), "confirmed_per_100k": per_100k(r["confirmed"])}
        for r in yields(samples, fe, condition_key)
    ]
    weeks = [{"week": w, **counts(group, fe)} for w, group in sorted(_grouped(samples, _week).items())]
    batches = [
        {"batch": b, "programme": group[0].programme, "submitted_at": group[0].batch_submitted_at.isoformat()}
        | counts(group, fe)
        for b, group in sorted(
            _grouped(samples, _batch).items(), key=lambda kv: (kv[1][0].batch_submitted_at, kv[0])
        )
    ]
    return {
        "programme": scope.programme or "all",
        "since": scope.since.isoformat() if scope.since else None,
        "four_eyes": fe,
        "band": {"low_pct": scope.band.low_pct, "high_pct": scope.band.high_pct},
        **total,
        "positive_rate_ci95_pct": wilson_pct(positive, conclusive),
        "positive_rate_flag": scope.band.judge(total["positive_rate_pct"]),
        "testing_not_possible_reasons": reasons(samples),
        "turnaround": turnaround,
        "genes": genes,
        "conditions": conditions,
        "weeks": weeks,
        "batches": batches,
    }


def _week(s: SampleFacts) -> str:
    return iso_week(s.received_at)


def _batch(s: SampleFacts) -> str:
    return s.batch


def _batch_order(item: tuple[str, list[SampleFacts]]) -> tuple[datetime, str]:
    return item[1][0].batch_submitted_at, item[0]


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "key"}


# ---------------------------------------------------------------- flat shapes (CSV, text)

ROW_KEYS = {
    "testing_not_possible_reasons": "category",
    "turnaround": "outcome",
    "genes": "hgnc_id",
    "conditions": "condition",
    "weeks": "week",
    "batches": "batch",
}


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else k, v)
    elif isinstance(value, list | tuple) and value and not isinstance(value[0], dict):
        yield prefix, " – ".join(str(v) for v in value)
    else:
        yield prefix, value


def long_rows(doc: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """``(section, key, metric, value)`` rows of a programme document (its CSV form)."""
    rows: list[tuple[str, str, str, Any]] = []
    for name, value in doc.items():
        if name in ROW_KEYS:
            for item in value:
                key = str(item[ROW_KEYS[name]])
                rows += [(name, key, m, v) for m, v in _flatten("", item) if m != ROW_KEYS[name]]
        else:
            rows += [("summary", "", m, v) for m, v in _flatten(name, value)]
    return rows
