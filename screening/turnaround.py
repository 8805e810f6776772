"""Turnaround figures (pure): a sample's milestones and summaries of the spans between them.

A programme reports receipt → result times: per sample, received (the batch stored), screened (its
first run stored), reviewed (its first case outcome recorded) and letter issued (its first letter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# (name in documents, column prefix of the database report)
SPANS = (
    ("receipt_to_screened", "screened"),
    ("screened_to_reviewed", "reviewed"),
    ("receipt_to_letter", "letter"),
)


@dataclass(frozen=True)
class Milestones:
    received_at: datetime | None
    screened_at: datetime | None
    reviewed_at: datetime | None
    letter_issued_at: datetime | None

    def spans(self) -> dict[str, float | None]:
        """Seconds of each span (None until both ends happened)."""

        def between(a: datetime | None, b: datetime | None) -> float | None:
            return (b - a).total_seconds() if a is not None and b is not None else None

        return {
            "receipt_to_screened": between(self.received_at, self.screened_at),
            "screened_to_reviewed": between(self.screened_at, self.reviewed_at),
            "receipt_to_letter": between(self.received_at, self.letter_issued_at),
        }

    def as_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {
            "received_at": iso(self.received_at),
            "screened_at": iso(self.screened_at),
            "reviewed_at": iso(self.reviewed_at),
            "letter_issued_at": iso(self.letter_issued_at),
        }


@dataclass(frozen=True)
class Span:
    """Count, median, 90th percentile (linear interpolation) and maximum of one span, in seconds."""

    n: int
    median_s: float | None
    p90_s: float | None
    max_s: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Span:
        if not seconds:
            return cls(0, None, None, None)
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9), max(seconds))

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return round(x, 3) if x is not None else None

        return {"n": self.n, "median_s": r(self.median_s), "p90_s": r(self.p90_s), "max_s": r(self.max_s)}


def percentile(values: list[float], q: float) -> float:
    """As PostgreSQL's ``percentile_cont``: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(milestones: list[Milestones]) -> dict[str, dict[str, Any]]:
    """``{span: Span.as_dict()}`` over the samples that reached both ends of each span."""
    spans = [m.spans() for m in milestones]
    return {name: Span.of([s[name] for s in spans if s[name] is not None]).as_dict() for name, _ in SPANS}


def duration(seconds: float | None) -> str:
    """A short human duration: 42s, 3m05s, 2h07m, 3d04h."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"
