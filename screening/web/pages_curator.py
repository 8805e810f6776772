"""Curator pages: published panel versions and drafts as searchable, sortable, filterable gene tables
with their inclusion and exclusion lists; a PanelApp import (upload of the API JSON) that makes a draft;
the diff of any two versions (published or draft); an impact preview of a draft against the screened
babies, in the background with progress; and publishing a draft with a change message.

Every action calls what the CLI calls (``panelapp.build_draft``/``write_draft``,
``curation.diff_panels``, ``curation.impact_preview``, ``curation.publish_folder``), as the
``curation`` database role (the web role may not change panels); publishing writes its event and
audit rows in its transaction. The tables work without JavaScript: search, filters, sort and page are
query parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from screening import curation
from screening.config import Settings
from screening.db import curation as db_curation
from screening.db import panels as db_panels
from screening.db.review import User
from screening.domain import N_, Moi, PanelGene, PanelVersion, Reason, Urgency, Version
from screening.errors import NotFoundError, Problem, ValidationError
from screening.web import drafts, submission
from screening.web.auth import check_csrf, require
from screening.web.common import Conn, acting, flash, gettext, language, render

router = APIRouter(prefix="/curator", include_in_schema=False)
Curator = Annotated[User, Depends(require("curator", "admin"))]
PER_PAGE = 50
DRAFT_PREFIX = "draft:"


def curation_settings(request: Request, user: User) -> Settings:
    """The web user as "who", connecting as the curation login role (as ``screening panel …`` does)."""
    return dataclasses.replace(acting(request, user), db_role="curation")


def _load(conn, panel_id: str, version: str) -> PanelVersion:
    try:
        parsed = Version.parse(version)
    except ValueError as exc:
        raise NotFoundError(exc.args[0]) from None  # a Reason: shown in the page language
    row = db_panels.find_version(conn, panel_id, parsed)
    if row is None:
        raise NotFoundError(
            Reason(N_("panel version {panel}@{version} is not published"), panel=panel_id, version=version)
        )
    return db_panels.load_panel_version(conn, row.id)


def _load_spec(request: Request, user: User, conn, spec: str) -> PanelVersion:
    """A published ``panel@X.Y`` or ``draft:<id>``."""
    if spec.startswith(DRAFT_PREFIX):
        draft = drafts.load(curation_settings(request, user), spec[len(DRAFT_PREFIX) :])
        if draft.panel is None:
            raise drafts.invalid(draft)
        return draft.panel
    panel_id, _, version = spec.rpartition("@")
    if not panel_id:
        raise NotFoundError(Reason(N_("{spec!r}: give panel@MAJOR.MINOR or a draft"), spec=spec))
    return _load(conn, panel_id, version)


# ---------------------------------------------------------------- the gene table (no I/O)

SORTS = {
    "symbol": lambda g: (g.symbol.upper(), g.moi.value),
    "hgnc": lambda g: (_hgnc_number(g.hgnc_id), g.moi.value),
    "moi": lambda g: (g.moi.value, g.symbol.upper()),
    "condition": lambda g: (g.condition.lower(), g.symbol.upper()),
    "urgency": lambda g: (g.urgency.rank, g.symbol.upper()),
    "lof": lambda g: (not g.lof_mechanism, g.symbol.upper()),
    "region": lambda g: (_chrom_rank(g.chrom), g.start),
    "transcript": lambda g: (g.transcript is None, g.transcript or "", g.symbol.upper()),
    "active": lambda g: (not g.active, g.symbol.upper()),
}


def _hgnc_number(hgnc_id: str) -> int:
    number = hgnc_id.rpartition(":")[2]
    return int(number) if number.isascii() and number.isdigit() else 0


def _chrom_rank(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)


@dataclass(frozen=True)
class GeneQuery:
    q: str = ""
    moi: str = ""
    urgency: str = ""
    active: str = ""  # "", "yes", "no"
    lof: str = ""
    sort: str = "symbol"
    desc: bool = False
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> GeneQuery:
        def choice(name: str, allowed: tuple[str, ...]) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        try:
            page = max(1, min(int(params.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(
            q=params.get("q", "").strip()[:200],
            moi=choice("moi", tuple(m.value for m in Moi)),
            urgency=choice("urgency", tuple(u.value for u in Urgency)),
            active=choice("active", ("yes", "no")),
            lof=choice("lof", ("yes", "no")),
            sort=params.get("sort", "symbol") if params.get("sort") in SORTS else "symbol",
            desc=params.get("desc") == "1",
            page=page,
        )

    def url(self, **changes: Any) -> str:
        """This query with ``changes`` (page back to 1 unless given), as a query string."""
        values = {**dataclasses.asdict(self), **{"page": 1}, **changes}
        values["desc"] = "1" if values["desc"] else ""
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or k == "sort"})

    def sort_url(self, column: str) -> str:
        return self.url(sort=column, desc=(not self.desc) if self.sort == column else False)


@dataclass(frozen=True)
class GenePage:
    rows: tuple[PanelGene, ...]
    matching: int
    total: int
    page: int
    pages: int


def select_genes(genes: tuple[PanelGene, ...], query: GeneQuery, per_page: int = PER_PAGE) -> GenePage:
    """Search (symbol, HGNC id, condition, transcript, source), filter, sort and page the entries."""
    needle = query.q.lower()

    def keep(g: PanelGene) -> bool:
        searched = (g.symbol, g.hgnc_id, g.condition, g.transcript, g.source)
        if needle and not any(needle in (value or "").lower() for value in searched):
            return False
        if query.moi and g.moi.value != query.moi:
            return False
        if query.urgency and g.urgency.value != query.urgency:
            return False
        if query.active and g.active != (query.active == "yes"):
            return False
        return not (query.lof and g.lof_mechanism != (query.lof == "yes"))

    chosen = sorted((g for g in genes if keep(g)), key=SORTS[query.sort], reverse=query.desc)
    pages = max(1, -(-len(chosen) // per_page))
    page = min(query.page, pages)
    rows = tuple(chosen[(page - 1) * per_page : page * per_page])
    return GenePage(rows, len(chosen), len(genes), page, pages)


def _table_context(request: Request, panel: PanelVersion) -> dict[str, Any]:
    query = GeneQuery.parse(dict(request.query_params))
    return {
        "query": query,
        "genes": select_genes(panel.genes, query),
        "mois": [m.value for m in Moi],
        "urgencies": [u.value for u in Urgency],
    }


# ---------------------------------------------------------------- published versions


@router.get("/panels")
def panel_list(request: Request, user: Curator, conn: Conn):
    versions = db_curation.list_versions(conn)
    return render(
        request,
        "curator/panels.html",
        versions=versions,
        drafts=drafts.list_drafts(curation_settings(request, user)),
        panel_ids=sorted({v.panel_id for v in versions}),
        problems=[],
        values={"panel_id": "", "version": "", "build": "GRCh38", "name": ""},
    )


@router.get("/panels/{panel_id}/{version}")
def panel_page(request: Request, user: Curator, conn: Conn, panel_id: str, version: str):
    panel = _load(conn, panel_id, version)
    info = db_curation.summary(conn, panel_id, panel.version)
    versions = [v for v in db_curation.list_versions(conn) if v.label != panel.label]
    return render(
        request,
        "curator/panel.html",
        panel=panel,
        info=info,
        others=versions,
        **_table_context(request, panel),
    )


@router.get("/diff/{panel_id}")
def diff_page(request: Request, user: Curator, conn: Conn, panel_id: str, old: str, new: str):
    """The differences between two published versions of a panel (``?old=1.0&new=1.1``)."""
    diff = curation.diff_panels(_load(conn, panel_id, old), _load(conn, panel_id, new))
    return render(request, "curator/diff.html", diff=diff, panel_id=panel_id)


@router.get("/diff")
def diff_any(request: Request, user: Curator, conn: Conn, old: str, new: str):
    """Any two versions: each a published ``panel@X.Y`` or ``draft:<id>`` (``?old=…&new=…``)."""
    diff = curation.diff_panels(_load_spec(request, user, conn, old), _load_spec(request, user, conn, new))
    return render(request, "curator/diff.html", diff=diff, panel_id=diff.new.rpartition("@")[0])


# ---------------------------------------------------------------- drafts


@router.post("/drafts", dependencies=[Depends(check_csrf)])
async def import_panelapp(
    request: Request,
    user: Curator,
    conn: Conn,
    file: Annotated[UploadFile | None, File()] = None,
    panel_id: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    build: Annotated[str, Form()] = "GRCh38",
    name: Annotated[str, Form()] = "",
):
    """A draft from an uploaded PanelApp API JSON (``GET /api/v1/panels/<id>/``); every problem is
    shown at once on the panels page (422) and nothing is kept."""
    from starlette.concurrency import run_in_threadpool

    settings = curation_settings(request, user)
    data = b"" if file is None else await file.read(drafts.MAX_UPLOAD_BYTES + 1)
    filename = "" if file is None else (file.filename or "")
    try:
        draft = await run_in_threadpool(
            drafts.import_panelapp, settings, data, filename, panel_id, version, build, name
        )
    except ValidationError as exc:
        versions = db_curation.list_versions(conn)
        return render(
            request,
            "curator/panels.html",
            422,
            versions=versions,
            drafts=drafts.list_drafts(settings),
            panel_ids=sorted({v.panel_id for v in versions}),
            problems=list(exc.problems),
            subject=exc.subject,
            values={"panel_id": panel_id, "version": version, "build": build, "name": name},
        )
    _ = gettext(request)
    flash(
        request,
        _(
            "Draft %(label)s imported from %(file)s: review it, then publish.",
            label=draft.info.label,
            file=draft.info.filename,
        ),
    )
    return RedirectResponse(f"/curator/drafts/{draft.info.draft_id}", status_code=303)


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, user: Curator, conn: Conn, draft_id: str):
    draft = drafts.load(curation_settings(request, user), draft_id)
    versions = db_curation.list_versions(conn)
    same = [v for v in versions if v.panel_id == draft.info.panel_id]
    context = _table_context(request, draft.panel) if draft.panel else {}
    return render(
        request,
        "curator/draft.html",
        draft=draft,
        others=versions,
        latest=same[-1] if same else None,
        job=drafts.impact_job(request.app, draft_id),
        report_skipped=[r for r in draft.report if r.get("status") != "active"],
        **context,
    )


@router.post("/drafts/{draft_id}/impact", dependencies=[Depends(check_csrf)])
def start_impact(request: Request, user: Curator, draft_id: str):
    started = drafts.start_impact(request.app, curation_settings(request, user), draft_id)
    if not started:
        _ = gettext(request)
        flash(request, _("An impact preview of this draft is already running."))
    return RedirectResponse(f"/curator/drafts/{draft_id}/impact", status_code=303)


@router.get("/drafts/{draft_id}/impact")
def impact_page(request: Request, user: Curator, draft_id: str):
    draft = drafts.load(curation_settings(request, user), draft_id)
    job = drafts.impact_job(request.app, draft_id)
    progress = job.progress(language(request)) if job else None
    return render(request, "curator/impact.html", draft=draft, job=job, progress=progress)


@router.get("/drafts/{draft_id}/impact/progress")
def impact_progress(request: Request, user: Curator, draft_id: str):
    drafts.load(curation_settings(request, user), draft_id)  # 404 for an unknown draft
    job = drafts.impact_job(request.app, draft_id)
    if job is None:
        raise NotFoundError(Reason(N_("no impact preview of draft {draft} has been started"), draft=draft_id))
    return JSONResponse(job.progress(language(request)))


@router.post("/drafts/{draft_id}/publish", dependencies=[Depends(check_csrf)])
def publish_draft(
    request: Request,
    user: Curator,
    draft_id: str,
    message: Annotated[str, Form()] = "",
    clinvar: Annotated[str, Form(max_length=1000)] = "",
):
    """Publish with a change message and, when given, the ClinVar snapshot from a VCF on shared
    storage (a path inside the data root, as the lab's VCF paths), read as ``panel publish --clinvar``."""
    if not message.strip():
        raise ValidationError(
            Reason(N_("publish")),
            [Problem(Reason(N_("change message")), Reason(N_("say why this version (required)")))],
        )
    settings = curation_settings(request, user)
    clinvar_path = (
        submission.shared_path(settings, clinvar, Reason(N_("ClinVar VCF")))[0] if clinvar.strip() else None
    )
    done = drafts.publish(settings, draft_id, message, clinvar_path)
    _ = gettext(request)
    row = done.row
    if done.created and clinvar_path is not None:
        shown = {"label": row.label, "sha": row.sha256[:12], "n": done.clinvar_records}
        flash(request, _("%(label)s published (sha256 %(sha)s…) with %(n)s ClinVar records.", **shown))
    elif done.created:
        shown = {"label": row.label, "sha": row.sha256[:12]}
        flash(request, _("%(label)s published (sha256 %(sha)s…) without a ClinVar snapshot.", **shown))
    else:
        flash(
            request,
            _("%(label)s was already published with identical content: nothing changed.", label=row.label),
        )
    return RedirectResponse(f"/curator/panels/{row.panel_id}/{row.version}", status_code=303)
