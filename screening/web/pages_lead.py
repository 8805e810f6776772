"""The programme dashboard for programme leads (and admins): aggregate figures only — no identity, no
sample id, no link to a case — with a programme filter and a since-date; each chart (server-side SVG)
beside a table of its numbers. A partner programme's shared file (``screening report share``) can be
loaded: its sha256 is verified (a changed file is refused, saying so) and its figures are shown side by
side with the local ones. The uploaded file is read, not stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from screening import programmes
from screening import share as sharing
from screening.db import programme as db_programme
from screening.db.review import User
from screening.domain import N_, Reason
from screening.errors import ScreeningError
from screening.figures import OUTCOMES, REVIEW_STATES, Band, ReportScope, SampleFacts
from screening.turnaround import SPANS, duration
from screening.web import charts
from screening.web.auth import check_csrf, require
from screening.web.common import Conn, gettext, render, state

router = APIRouter(prefix="/lead", include_in_schema=False)
Lead = Annotated[User, Depends(require("lead", "admin"))]
MAX_SHARE_BYTES = 2_000_000
TOP_GENES = 20


def _scope(request: Request, programme: str, since: str) -> ReportScope:
    import re

    settings = state(request).settings
    name = programme.strip() or None
    if name is not None and not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name):
        raise ScreeningError(Reason(N_("A programme is a lower-case name such as england.")))
    start = None
    if since.strip():
        try:
            start = datetime.combine(date.fromisoformat(since.strip()), datetime.min.time(), UTC)
        except ValueError:
            raise ScreeningError(Reason(N_("The since-date is not a date (YYYY-MM-DD)."))) from None
    band = programmes.for_settings(settings).band(name, settings.positive_rate_band)
    return ReportScope(name, start, Band(*band), settings.four_eyes)


def _charts(doc: dict[str, Any], _: Any) -> dict[str, Any]:
    """The charts of the page, their titles and labels in the page language (``_``: its gettext)."""
    band = (doc["band"]["low_pct"], doc["band"]["high_pct"])
    label = {o: _(o.replace("_", " ")) for o in (*OUTCOMES, *REVIEW_STATES)}
    everyone = next((r for r in doc["turnaround"] if r["outcome"] == "all"), None)
    spans = (
        [
            (_("%(span)s (median)", span=_(name.replace("_", " "))), everyone[name]["median_s"])
            for name, _end in SPANS
        ]
        if everyone
        else []
    )
    rates = {b["batch"]: b["positive_rate_pct"] for b in doc["batches"]}
    outside = {b for b, r in rates.items() if r is not None and Band(*band).judge(r) != "within"}
    return {
        "outcomes": charts.bars(
            _("Babies per screening outcome"),
            [(label[o], doc["outcomes"][o], str(doc["outcomes"][o])) for o in OUTCOMES],
        ),
        "review": charts.bars(
            _("Screen-positive babies after review"),
            [(label[r], doc["review"][r], str(doc["review"][r])) for r in REVIEW_STATES],
        ),
        "reasons": charts.bars(
            _("Testing not possible, babies per reason"),
            [(_(r["label"]), r["babies"], str(r["babies"])) for r in doc["testing_not_possible_reasons"]],
        ),
        "turnaround": charts.bars(
            _("Turnaround, median of all babies"), [(n, s, duration(s)) for n, s in spans]
        ),
        "weeks": charts.line(
            _("Screen-positive rate per ISO week, expected band shaded"),
            [(w["week"], w["positive_rate_pct"]) for w in doc["weeks"]],
            band,
        ),
        "genes": charts.bars(
            _("Screen-positive babies per gene (top %(n)s)", n=TOP_GENES),
            [
                (
                    g["symbol"],
                    g["flagged"],
                    _(
                        "%(flagged)s (%(confirmed)s confirmed)",
                        flagged=g["flagged"],
                        confirmed=g["confirmed"],
                    ),
                )
                for g in doc["genes"]
            ][:TOP_GENES],
        ),
        "batches": charts.bars(
            _("Screen-positive rate per batch, expected band shaded"),
            [(b, r, "-" if r is None else f"{r:.2f} %") for b, r in rates.items()],
            band,
            outside,
        ),
    }


def _partner_view(doc: dict[str, Any], samples: list[SampleFacts], scope: ReportScope) -> dict[str, Any]:
    """The partner's shared counts beside the local ones, in the shared file's categories."""
    local = dict.fromkeys(sharing.SHARE_OUTCOMES, 0)
    for s in samples:
        o = sharing.share_outcome(s, scope.four_eyes)
        if o is not None:
            local[o] += 1
    totals = doc["outcomes"]["totals"]
    outcomes = [
        {"outcome": o, "local": local[o], "partner": totals["counts"][i]}
        for i, o in enumerate(sharing.SHARE_OUTCOMES)
    ]
    outcomes.append(
        {"outcome": "all babies with an outcome", "local": sum(local.values()), "partner": totals["total"]}
    )
    return {"doc": doc, "outcomes": outcomes, "genes": doc["genes"], "conditions": doc["conditions"]}


def _page(request: Request, conn: Conn, programme: str, since: str, partner: dict[str, Any] | None = None):
    scope = _scope(request, programme, since)
    samples, doc = db_programme.figures(conn, scope)
    return render(
        request,
        "lead/programme.html",
        doc=doc,
        chart=_charts(doc, gettext(request)),
        programmes=db_programme.programmes(conn),
        programme=scope.programme or "",
        since=scope.since.date().isoformat() if scope.since else "",
        partner=_partner_view(partner, samples, scope) if partner else None,
        outcomes=OUTCOMES,
        review_states=REVIEW_STATES,
        spans=[name for name, _ in SPANS],
        duration=duration,
    )


@router.get("/programme")
def dashboard(request: Request, user: Lead, conn: Conn, programme: str = "", since: str = ""):
    return _page(request, conn, programme, since)


@router.post("/programme/compare", dependencies=[Depends(check_csrf)])
def compare(
    request: Request,
    user: Lead,
    conn: Conn,
    shared_file: Annotated[UploadFile, File()],
    programme: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
):
    data = shared_file.file.read(MAX_SHARE_BYTES + 1)
    if len(data) > MAX_SHARE_BYTES:
        raise ScreeningError(
            Reason(
                N_("The shared file is larger than {mb} MB: not a share file."),
                mb=MAX_SHARE_BYTES // 1_000_000,
            )
        )
    name = (shared_file.filename or "shared file")[:80]
    return _page(request, conn, programme, since, sharing.verify(data, name))
