"""The programme document as a readable table (``screening report programme``). Pure."""

from __future__ import annotations

from typing import Any

from screening.figures import OUTCOMES, REVIEW_STATES
from screening.turnaround import SPANS, duration


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f} %"


def programme_table(doc: dict[str, Any]) -> str:
    band = doc["band"]
    since = "since " + doc["since"][:10] if doc["since"] else "ever"
    lines = [
        f"programme {doc['programme']}, samples received {since}",
        f"samples {doc['samples']}  screened {doc['screened']}  pending {doc['pending']}  "
        f"failed {doc['failed']}",
        "outcomes: " + "  ".join(f"{o.replace('_', ' ')} {doc['outcomes'][o]}" for o in OUTCOMES),
    ]
    flag = doc["positive_rate_flag"]
    ci = doc["positive_rate_ci95_pct"]
    lines.append(
        f"screen-positive rate {_pct(doc['positive_rate_pct'])}"
        + (f" (95 % CI {ci[0]:.2f}–{ci[1]:.2f} %)" if ci else "")
        + f", expected {band['low_pct']:g}–{band['high_pct']:g} %"
        + (f": {flag.upper()} THE BAND" if flag in ("below", "above") else "")
    )
    lines.append(
        "review of positives: "
        + "  ".join(f"{r.replace('_', ' ')} {doc['review'][r]}" for r in REVIEW_STATES)
        + f"  (positive predictive value {_pct(doc['ppv_pct'])})"
    )
    lines.append("testing not possible, by reason (a baby may have several):")
    lines += [f"  {r['babies']:>6}  {r['label']}" for r in doc["testing_not_possible_reasons"]] or ["  none"]
    lines.append("turnaround (n / median / p90 / max):")
    for row in doc["turnaround"]:
        cells = "  ".join(
            f"{name.replace('_', ' ')} {row[name]['n']} / {duration(row[name]['median_s'])} / "
            f"{duration(row[name]['p90_s'])} / {duration(row[name]['max_s'])}"
            for name, _ in SPANS
        )
        lines.append(f"  {row['outcome']:<24} {cells}")
    lines.append(
        f"{'gene':<12} {'hgnc':<11} {'flagged':>7} {'confirmed':>9} {'not conf.':>9} {'per 100k':>8}"
    )
    for g in doc["genes"]:
        per = "-" if g["confirmed_per_100k"] is None else f"{g['confirmed_per_100k']:g}"
        lines.append(
            f"{g['symbol']:<12} {g['hgnc_id']:<11} {g['flagged']:>7} {g['confirmed']:>9} "
            f"{g['not_confirmed']:>9} {per:>8}"
        )
    lines.append(f"{'condition':<52} {'flagged':>7} {'confirmed':>9}")
    lines += [f"{c['condition'][:52]:<52} {c['flagged']:>7} {c['confirmed']:>9}" for c in doc["conditions"]]
    head = f"{'screened':>8} {'positive':>8} {'rate':>9} {'not poss.':>9} {'confirmed':>9}"
    lines.append(f"{'week':<10} {head}")
    lines += [f"{w['week']:<10} {_row(w)}" for w in doc["weeks"]]
    lines.append(f"{'batch':<24} {'programme':<10} {head}")
    lines += [f"{b['batch'][:24]:<24} {b['programme']:<10} {_row(b)}" for b in doc["batches"]]
    return "\n".join(lines)


def _row(c: dict[str, Any]) -> str:
    o = c["outcomes"]
    return (
        f"{c['screened']:>8} {o['condition_suspected']:>8} {_pct(c['positive_rate_pct']):>9} "
        f"{o['testing_not_possible']:>9} {c['review']['confirmed']:>9}"
    )
