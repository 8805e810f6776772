"""Figures a partner programme may receive (pure): aggregate, de-identified counts per period and
outcome, per gene and per condition, with small counts withheld, sealed with their own sha256.

- No sample id, no batch id, no identity, no date finer than the period (ISO week or month).
- **Primary suppression**: a count from 1 to ``min_count - 1`` is withheld (``null``); 0 is shown.
- **Secondary suppression**: every line of cells that a reader could add up against a published total
  (each period's row with its total, each outcome's column with its total, the totals row with the
  grand total, each column of the gene and condition tables, the confirmed columns with the confirmed
  total; a single cell without a total is no sum) holds either no withheld count or at least two, so
  no withheld count is recovered by subtraction. The smallest other count of the line is withheld
  with it (a non-zero one first). Cells a reader could relate across lines only approximately (a baby
  flagged by two genes) are not modelled: the rule is about exact recovery by subtraction.
- **Seal**: ``sha256`` is the sha256 of the document's canonical body — every key but ``sha256``,
  keys sorted, no whitespace, UTF-8 — so any change to a count, a name or the period is detected
  (:func:`verify`). It shows integrity, not who wrote it: compare it with the sha256 the partner
  sends by another channel.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from screening.domain import N_, Reason
from screening.errors import Problem, ValidationError
from screening.figures import (
    SUSPECTED,
    ReportScope,
    SampleFacts,
    condition_key,
    gene_key,
    iso_week,
    month,
    yields,
)

SCHEMA = "newborn-screening-share/1"
SHARE_OUTCOMES = (
    "no_condition_suspected",
    "testing_not_possible",
    "condition_suspected_confirmed",
    "condition_suspected_not_confirmed",
    "condition_suspected_awaiting_review",
)
CONFIRMED = SHARE_OUTCOMES.index("condition_suspected_confirmed")
PERIODS = {"week": iso_week, "month": month}


class ShareError(ValidationError):
    """A shared file cannot be used: not a share document, or changed since it was sealed."""


def share_outcome(s: SampleFacts, four_eyes: bool) -> str | None:
    """The baby's outcome as shared: screen-positive babies split by what review made of them."""
    outcome = s.outcome
    if outcome != SUSPECTED:
        return outcome
    review = s.review(four_eyes)
    if review in ("confirmed", "not_confirmed"):
        return f"condition_suspected_{review}"
    return "condition_suspected_awaiting_review"


# ---------------------------------------------------------------- suppression


@dataclass
class Grid:
    """Counts addressed by key, with the lines that add up against a published total."""

    values: dict[tuple, int]
    lines: list[list[tuple]]

    def suppress(self, min_count: int) -> set[tuple]:
        """The keys withheld: primary (1 … min_count - 1), then secondary until every line holds
        none or at least two."""
        hidden = {k for k, v in self.values.items() if 0 < v < min_count}
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                if sum(k in hidden for k in line) != 1:
                    continue
                others = [k for k in line if k not in hidden]
                if others:
                    hidden.add(min(others, key=lambda k: (self.values[k] == 0, self.values[k])))
                    changed = True
        return hidden


def _cell(grid: Grid, hidden: set[tuple], key: tuple) -> int | None:
    return None if key in hidden else grid.values[key]


def _outcome_grid(samples: list[SampleFacts], scope: ReportScope, period: str) -> tuple[list[str], Grid]:
    cells: dict[tuple, int] = {}
    of = PERIODS[period]
    for s in samples:
        o = share_outcome(s, scope.four_eyes)
        if o is None:
            continue
        key = ("c", of(s.received_at), SHARE_OUTCOMES.index(o))
        cells[key] = cells.get(key, 0) + 1
    periods = sorted({k[1] for k in cells})
    values: dict[tuple, int] = {}
    for p in periods:
        for j in range(len(SHARE_OUTCOMES)):
            values[("c", p, j)] = cells.get(("c", p, j), 0)
        values[("row", p)] = sum(values[("c", p, j)] for j in range(len(SHARE_OUTCOMES)))
    for j in range(len(SHARE_OUTCOMES)):
        values[("col", j)] = sum(values[("c", p, j)] for p in periods)
    values[("all",)] = sum(values[("row", p)] for p in periods)
    lines = [[("c", p, j) for j in range(len(SHARE_OUTCOMES))] + [("row", p)] for p in periods]
    lines += [[("c", p, j) for p in periods] + [("col", j)] for j in range(len(SHARE_OUTCOMES))]
    lines.append([("row", p) for p in periods] + [("all",)])
    lines.append([("col", j) for j in range(len(SHARE_OUTCOMES))] + [("all",)])
    return periods, Grid(values, lines)


def _yield_rows(samples: list[SampleFacts], scope: ReportScope, key, tag: str) -> tuple[list, Grid]:
    rows = yields(samples, scope.four_eyes, key)
    values = {}
    for i, r in enumerate(rows):
        values[(tag, i, "flagged")] = r["flagged"]
        values[(tag, i, "confirmed")] = r["confirmed"]
    lines = [[(tag, i, "flagged") for i in range(len(rows))]]
    lines.append([(tag, i, "confirmed") for i in range(len(rows))] + [("col", CONFIRMED)])
    return rows, Grid(values, lines)


def build(
    samples: Iterable[SampleFacts], scope: ReportScope, period: str, min_count: int, software: str
) -> dict[str, Any]:
    """The sealed share document of ``samples`` (one programme's babies since ``scope.since``)."""
    if period not in PERIODS:
        raise ValueError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    samples = [s for s in samples if s.outcome is not None]
    periods, outcomes = _outcome_grid(samples, scope, period)
    genes, gene_grid = _yield_rows(samples, scope, gene_key, "g")
    conditions, condition_grid = _yield_rows(samples, scope, condition_key, "k")
    grid = Grid(
        {**outcomes.values, **gene_grid.values, **condition_grid.values},
        outcomes.lines + gene_grid.lines + condition_grid.lines,
    )
    hidden = grid.suppress(min_count)
    n = len(SHARE_OUTCOMES)
    received = [s.received_at for s in samples]
    body = {
        "schema": SCHEMA,
        "programme": scope.programme,
        "period": {
            "granularity": period,
            "since": scope.since.date().isoformat() if scope.since else None,
            "first": min(received).date().isoformat() if received else None,
            "last": max(received).date().isoformat() if received else None,
        },
        "four_eyes": scope.four_eyes,
        "software_version": software,
        "suppression": {
            "min_count": min_count,
            "rule": f"counts from 1 to {min_count - 1} are withheld (null), and with them the smallest "
            "other count of any row or column left with a single withheld count",
            "withheld": len(hidden),
        },
        "outcomes": {
            "columns": list(SHARE_OUTCOMES),
            "rows": [
                {
                    "period": p,
                    "counts": [_cell(grid, hidden, ("c", p, j)) for j in range(n)],
                    "total": _cell(grid, hidden, ("row", p)),
                }
                for p in periods
            ],
            "totals": {
                "counts": [_cell(grid, hidden, ("col", j)) for j in range(n)],
                "total": _cell(grid, hidden, ("all",)),
            },
        },
        "genes": [
            {
                "hgnc_id": r["key"][0],
                "symbol": r["key"][1],
                "flagged": _cell(grid, hidden, ("g", i, "flagged")),
                "confirmed": _cell(grid, hidden, ("g", i, "confirmed")),
            }
            for i, r in enumerate(genes)
        ],
        "conditions": [
            {
                "condition": r["key"][0],
                "flagged": _cell(grid, hidden, ("k", i, "flagged")),
                "confirmed": _cell(grid, hidden, ("k", i, "confirmed")),
            }
            for i, r in enumerate(conditions)
        ],
    }
    return seal(body)


# ---------------------------------------------------------------- seal and verification


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(body: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in body.items() if k != "sha256"}
    return {**body, "sha256": hashlib.sha256(canonical(body)).hexdigest()}


def dumps(doc: dict[str, Any]) -> str:
    """The file's text (indented for people; the seal is over the canonical body, not these bytes)."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _count(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def _shape_problems(doc: dict[str, Any]) -> list[str]:
    out = []
    if not isinstance(doc.get("programme"), str | None):
        out.append(Reason(N_("programme is not a name")))
    period = doc.get("period")
    if not isinstance(period, dict) or period.get("granularity") not in PERIODS:
        out.append(Reason(N_("period is missing or its granularity is not week or month")))
    table = doc.get("outcomes")
    if not isinstance(table, dict) or table.get("columns") != list(SHARE_OUTCOMES):
        return [
            *out,
            Reason(N_("outcomes: the columns are not {columns}"), columns=", ".join(SHARE_OUTCOMES)),
        ]
    rows = table.get("rows")
    totals = table.get("totals")
    if not isinstance(rows, list) or not isinstance(totals, dict):
        return [*out, Reason(N_("outcomes: rows or totals missing"))]
    for i, row in enumerate([*rows, totals]):
        counts = row.get("counts") if isinstance(row, dict) else None
        where = (
            Reason(N_("outcomes row {row}"), row=i + 1) if i < len(rows) else Reason(N_("outcomes totals"))
        )
        if not isinstance(counts, list) or len(counts) != len(SHARE_OUTCOMES) or not all(map(_count, counts)):
            out.append(
                Reason(N_("{where}: counts are not {n} counts or nulls"), where=where, n=len(SHARE_OUTCOMES))
            )
        elif not _count(row.get("total")):
            out.append(Reason(N_("{where}: total is not a count or null"), where=where))
    for name, label in (("genes", "symbol"), ("conditions", "condition")):
        items = doc.get(name)
        if not isinstance(items, list):
            out.append(Reason(N_("{name} is not a list"), name=name))
            continue
        for i, item in enumerate(items):
            ok = isinstance(item, dict) and isinstance(item.get(label), str)
            if not ok or not _count(item.get("flagged")) or not _count(item.get("confirmed")):
                out.append(
                    Reason(
                        N_("{name} row {row}: needs a {label} and counts (or nulls)"),
                        name=name,
                        row=i + 1,
                        label=label,
                    )
                )
    return out


def verify(data: bytes, name: str = "shared file") -> dict[str, Any]:
    """The share document in ``data`` once its seal and shape check; else ShareError saying why."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShareError(
            name, [Problem(name, Reason(N_("not a JSON document ({name})"), name=type(exc).__name__))]
        ) from None
    if not isinstance(doc, dict):
        raise ShareError(name, [Problem(name, Reason(N_("not a JSON object")))])
    if doc.get("schema") != SCHEMA:
        raise ShareError(
            name,
            [
                Problem(
                    name,
                    Reason(
                        N_("schema is {schema!r}, not {expected!r}"),
                        schema=str(doc.get("schema"))[:60],
                        expected=SCHEMA,
                    ),
                )
            ],
        )
    stated = doc.get("sha256")
    if not isinstance(stated, str):
        raise ShareError(name, [Problem(name, Reason(N_("it carries no sha256")))])
    actual = seal(doc)["sha256"]
    if actual != stated:
        raise ShareError(
            name,
            [
                Problem(
                    name,
                    Reason(
                        N_(
                            "its content does not match its sha256 (stated {stated}…, content {actual}…): "
                            "it was changed after it was written; ask the partner for the file again"
                        ),
                        stated=stated[:12],
                        actual=actual[:12],
                    ),
                )
            ],
        )
    problems = _shape_problems(doc)
    if problems:
        raise ShareError(name, [Problem(name, p) for p in problems])
    return doc
