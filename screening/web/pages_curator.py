"""Curator pages: published panel versions, their genes, and the diff between two versions
(``screening.curation.diff_panels``). Publishing stays a reviewed, command-line act (``screening panel``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from screening import curation
from screening.db import curation as db_curation
from screening.db import panels as db_panels
from screening.db.review import User
from screening.domain import Version
from screening.errors import NotFoundError
from screening.web.auth import require
from screening.web.common import Conn, render

router = APIRouter(prefix="/curator", include_in_schema=False)
Curator = Annotated[User, Depends(require("curator", "admin"))]


def _load(conn, panel_id: str, version: str):
    try:
        parsed = Version.parse(version)
    except ValueError as exc:
        raise NotFoundError(str(exc)) from None
    row = db_panels.find_version(conn, panel_id, parsed)
    if row is None:
        raise NotFoundError(f"panel version {panel_id}@{version} is not published")
    return db_panels.load_panel_version(conn, row.id)


@router.get("/panels")
def panel_list(request: Request, user: Curator, conn: Conn):
    versions = db_curation.list_versions(conn)
    return render(request, "curator/panels.html", versions=versions)


@router.get("/panels/{panel_id}/{version}")
def panel_page(request: Request, user: Curator, conn: Conn, panel_id: str, version: str):
    panel = _load(conn, panel_id, version)
    info = db_curation.summary(conn, panel_id, panel.version)
    others = [v for v in db_curation.list_versions(conn, panel_id) if v.version != panel.version]
    return render(request, "curator/panel.html", panel=panel, info=info, others=others)


@router.get("/diff/{panel_id}")
def diff_page(request: Request, user: Curator, conn: Conn, panel_id: str, old: str, new: str):
    """The differences between two published versions of a panel (``?old=1.0&new=1.1``)."""
    diff = curation.diff_panels(_load(conn, panel_id, old), _load(conn, panel_id, new))
    return render(request, "curator/diff.html", diff=diff, panel_id=panel_id)
