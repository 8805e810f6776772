"""Turnaround spans and summaries (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from screening.turnaround import Milestones, Span, duration, percentile, summary

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _m(screened_s=None, reviewed_s=None, letter_s=None) -> Milestones:
    at = lambda s: T0 + timedelta(seconds=s) if s is not None else None  # noqa: E731
    return Milestones(T0, at(screened_s), at(reviewed_s), at(letter_s))


def test_spans_need_both_ends():
    assert _m(60, None, 600).spans() == {
        "receipt_to_screened": 60.0,
        "screened_to_reviewed": None,
        "receipt_to_letter": 600.0,
    }
    assert _m().spans()["receipt_to_screened"] is None


def test_percentiles_interpolate_like_postgresql_percentile_cont():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == pytest.approx(91.0)
    assert percentile([7], 0.9) == 7


def test_summary_counts_only_samples_that_reached_both_ends():
    doc = summary([_m(10), _m(20, 80), _m(30, 150, 400), _m()])
    assert doc["receipt_to_screened"] == {"n": 3, "median_s": 20.0, "p90_s": 28.0, "max_s": 30.0}
    assert doc["screened_to_reviewed"] == {"n": 2, "median_s": 90.0, "p90_s": 114.0, "max_s": 120.0}
    assert doc["receipt_to_letter"] == Span(1, 400.0, 400.0, 400.0).as_dict()
    assert summary([])["receipt_to_letter"] == {"n": 0, "median_s": None, "p90_s": None, "max_s": None}


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (42.4, "42s"), (185, "3m05s"), (7620, "2h07m"), (273600, "3d04h")]
)
def test_durations_read_at_a_glance(seconds, text):
    assert duration(seconds) == text
