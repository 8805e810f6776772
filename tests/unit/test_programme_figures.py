"""Programme figures and shared figures (pure): counts, the band, review states, suppression, the seal."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from screening import share
from screening.figures import (
    Band,
    GeneCall,
    ReportScope,
    SampleFacts,
    counts,
    iso_week,
    long_rows,
    programme_document,
    reason_category,
    wilson_pct,
)
from screening.web import charts

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W49


def baby(
    outcome: str | None = "no_condition_suspected",
    state: str = "screened",
    case: str | None = None,
    confirmed: bool = False,
    genes: tuple[tuple[str, str, str | None], ...] = (),
    reasons: tuple[str, ...] = (),
    day: int = 0,
    batch: str = "LAB-BATCH-7",
) -> SampleFacts:
    return SampleFacts(
        programme="england",
        batch=batch,
        batch_submitted_at=T0,
        received_at=T0 + timedelta(days=day),
        state=state,
        screen_outcome=outcome,
        reasons=reasons,
        case_outcome=case,
        case_confirmed=confirmed,
        findings=tuple(GeneCall(h, s, f"condition of {s}", d) for h, s, d in genes),
    )


SCOPE = ReportScope("england", None, Band(1.0, 3.7), four_eyes=True)


def test_counts_rate_review_and_ppv():
    samples = [
        baby(
            "condition_suspected",
            case="condition_suspected",
            confirmed=True,
            genes=(("HGNC:1", "AAA", "confirmed"),),
        ),
        baby(
            "condition_suspected",
            case="condition_suspected",
            confirmed=False,
            genes=(("HGNC:1", "AAA", "confirmed"),),
        ),
        baby(
            "condition_suspected", case="no_condition_suspected", genes=(("HGNC:2", "BBB", "not_confirmed"),)
        ),
        baby("condition_suspected", genes=(("HGNC:2", "BBB", None),)),
        *[baby() for _ in range(6)],
        baby("testing_not_possible", reasons=("QC gate failed: contamination_pct 3.2 (required <= 1.5)",)),
        baby(None, state="held"),
        baby(None, state="queued"),
        baby(None, state="failed"),
    ]
    c = counts(samples, four_eyes=True)
    assert c["samples"] == 14
    assert c["screened"] == 12
    assert c["pending"] == 1
    assert c["failed"] == 1
    assert c["outcomes"] == {"condition_suspected": 4, "no_condition_suspected": 6, "testing_not_possible": 2}
    assert c["positive_rate_pct"] == pytest.approx(40.0)  # 4 of the 10 conclusive screens
    assert c["review"] == {
        "confirmed": 1,
        "not_confirmed": 1,
        "awaiting_second_reviewer": 1,
        "awaiting_review": 1,
    }
    assert c["ppv_pct"] == pytest.approx(50.0)
    # without four eyes a recorded condition_suspected outcome is final
    assert counts(samples, four_eyes=False)["review"]["confirmed"] == 2

    doc = programme_document(samples, SCOPE, [])
    assert doc["positive_rate_flag"] == "above"
    genes = {g["symbol"]: g for g in doc["genes"]}
    assert genes["AAA"]["flagged"] == 2
    assert genes["AAA"]["confirmed"] == 1
    assert genes["BBB"]["flagged"] == 2
    assert genes["BBB"]["not_confirmed"] == 1
    assert genes["AAA"]["confirmed_per_100k"] == pytest.approx(1e5 / 12, abs=0.1)
    reasons = {r["category"]: r["babies"] for r in doc["testing_not_possible_reasons"]}
    assert reasons == {"qc_contamination_pct": 1, "vcf_unusable": 1}
    assert [w["week"] for w in doc["weeks"]] == ["2026-W49"]
    rows = long_rows(doc)
    assert ("genes", "HGNC:1", "flagged", 2) in rows
    assert ("summary", "", "outcomes.condition_suspected", 4) in rows


def test_band_judgement_and_interval():
    band = Band(1.0, 3.7)
    assert [band.judge(x) for x in (0.5, 1.0, 2.0, 3.7, 3.71, None)] == [
        "below",
        "within",
        "within",
        "within",
        "above",
        None,
    ]
    lo, hi = wilson_pct(2, 100)
    assert lo < 2.0 < hi
    assert lo == pytest.approx(0.55, abs=0.01)
    assert hi == pytest.approx(7.0, abs=0.05)
    assert wilson_pct(0, 0) is None


def test_reason_categories():
    assert reason_category("VCF incomplete: contig 7 has no records") == "vcf_incomplete"
    assert (
        reason_category(
            "recorded sex male but the VCF shows XX (...); possible sample swap, held pending a check"
        )
        == "sample_swap_hold"
    )
    assert reason_category("QC gate failed: q30_gb 20 (required >= 90)") == "qc_q30_gb"
    assert reason_category("something new") == "other"
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"


def _share(samples, min_count=5, period="week"):
    return share.build(samples, SCOPE, period, min_count, "test")


def _recoverable(doc) -> list[str]:
    """Withheld counts that one subtraction from a published total would give back."""
    table = doc["outcomes"]
    found = []
    lines = [row["counts"] + [row["total"]] for row in table["rows"]]
    lines.append(table["totals"]["counts"] + [table["totals"]["total"]])
    for j in range(len(share.SHARE_OUTCOMES)):
        lines.append([row["counts"][j] for row in table["rows"]] + [table["totals"]["counts"][j]])
    lines.append([row["total"] for row in table["rows"]] + [table["totals"]["total"]])
    for name in ("genes", "conditions"):  # no total of their own: a lone row is not a sum
        if len(doc[name]) > 1:
            lines.append([g["flagged"] for g in doc[name]])
    for i, line in enumerate(lines):
        if sum(v is None for v in line) == 1:
            found.append(f"line {i}: {line}")
    return found


def test_share_withholds_small_counts_and_none_is_recoverable():
    samples = [baby(day=d % 9) for d in range(40)]
    samples += [
        baby(
            "condition_suspected",
            case="condition_suspected",
            confirmed=True,
            day=1,
            genes=(("HGNC:1", "AAA", "confirmed"),),
        )
    ]
    samples += [baby("testing_not_possible", reasons=("VCF incomplete: x",), day=8) for _ in range(2)]
    doc = _share(samples)
    assert doc["suppression"]["withheld"] > 0
    cells = [c for row in doc["outcomes"]["rows"] for c in row["counts"]]
    assert all(c is None or c == 0 or c >= 5 for c in cells)
    assert not _recoverable(doc)
    assert all(g["flagged"] is None for g in doc["genes"])  # one baby
    text = share.dumps(doc)
    assert "LAB-BATCH-7" not in text  # no batch id
    assert share.verify(text.encode())["sha256"] == doc["sha256"]


@pytest.mark.parametrize("seed", range(30))
def test_secondary_suppression_holds_on_many_tables(seed):
    import random

    rng = random.Random(seed)
    kinds = [
        {},
        {"outcome": "testing_not_possible", "reasons": ("VCF incomplete: x",)},
        {
            "outcome": "condition_suspected",
            "case": "condition_suspected",
            "confirmed": True,
            "genes": (("HGNC:1", "AAA", "confirmed"),),
        },
        {"outcome": "condition_suspected", "genes": (("HGNC:2", "BBB", None),)},
        {
            "outcome": "condition_suspected",
            "case": "no_condition_suspected",
            "genes": (("HGNC:3", "CCC", "not_confirmed"),),
        },
    ]
    samples = [
        baby(day=rng.randrange(35), **rng.choices(kinds, weights=[20, 3, 2, 2, 1])[0])
        for _ in range(rng.randrange(5, 120))
    ]
    doc = _share(samples, min_count=rng.choice([3, 5, 10]), period=rng.choice(["week", "month"]))
    k = doc["suppression"]["min_count"]
    values = [c for row in doc["outcomes"]["rows"] for c in [*row["counts"], row["total"]]]
    values += [*doc["outcomes"]["totals"]["counts"], doc["outcomes"]["totals"]["total"]]
    values += [g[m] for g in doc["genes"] + doc["conditions"] for m in ("flagged", "confirmed")]
    assert all(v is None or v == 0 or v >= k for v in values)
    assert not _recoverable(doc)


def test_a_changed_shared_file_is_refused():
    doc = _share([baby() for _ in range(12)])
    text = share.dumps(doc)
    assert share.verify(text.encode())["programme"] == "england"
    changed = json.loads(text)
    changed["outcomes"]["totals"]["total"] += 1
    with pytest.raises(share.ShareError, match="does not match its sha256"):
        share.verify(json.dumps(changed).encode())
    with pytest.raises(share.ShareError, match="not a JSON document"):
        share.verify(b"\xff\xfe")
    with pytest.raises(share.ShareError, match="schema"):
        share.verify(b'{"schema": "other"}')
    broken = share.seal({**json.loads(text), "genes": "x"})  # sealed, but not the shape
    with pytest.raises(share.ShareError, match="genes is not a list"):
        share.verify(json.dumps(broken).encode())


def test_the_seal_is_over_the_canonical_body():
    doc = _share([baby() for _ in range(7)])
    again = share.verify(json.dumps(doc, indent=None).encode())  # other whitespace, same content
    assert again == doc
    body = {k: v for k, v in doc.items() if k != "sha256"}
    import hashlib

    assert doc["sha256"] == hashlib.sha256(share.canonical(body)).hexdigest()


def test_charts_scale_and_band():
    c = charts.bars("t", [("a", 10, "10"), ("b", 5, "5"), ("c", None, "-")], band=(2.0, 4.0), flag={"b"})
    widths = [b.width for b in c.bars]
    assert widths[0] == charts.PLOT
    assert widths[1] == charts.PLOT / 2
    assert widths[2] == 0
    assert [b.kind for b in c.bars] == ["", "flag", "muted"]
    assert c.band == (charts.LABEL + 2.0 * charts.PLOT / 10, charts.LABEL + 4.0 * charts.PLOT / 10)
    line = charts.line("t", [("2026-W49", 0.5), ("2026-W50", None), ("2026-W51", 2.0)], band=(1.0, 3.7))
    assert [p.kind for p in line.points] == ["flag", ""]
    assert all(charts.TOP <= p.y <= charts.TOP + charts.HEIGHT for p in line.points)
    assert list(itertools.pairwise(sorted(y for y, _ in line.ticks)))  # ticks drawn
