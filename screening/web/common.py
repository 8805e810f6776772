"""What every page module shares: the app's state, a database connection per request, templates.

jinja2 is used here for the web pages only (letters have their own environment in letters.py):
autoescape on, StrictUndefined, templates under ``templates/web/``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from screening.config import Settings
from screening.db import connection

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "web"


@dataclass(frozen=True)
class WebState:
    settings: Settings
    database_url: str


def state(request: Request) -> WebState:
    return request.app.state.web


def get_conn(request: Request) -> Iterator[Any]:
    """One autocommit connection for the request (psycopg stays under screening.db)."""
    conn = connection.connect(state(request).database_url)
    try:
        yield conn
    finally:
        conn.close()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
    env.filters["label"] = lambda v: str(v).replace("_", " ")
    from screening.web.labels import FILTERS

    env.filters.update(FILTERS)
    return env


ENV = _environment()
Conn = Annotated[Any, Depends(get_conn)]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``templates/web/<name>`` with the signed-in user and the CSRF token in the context."""
    session = request.session
    context.setdefault("user", request.state.user if hasattr(request.state, "user") else None)
    context.setdefault("csrf_token", session.get("csrf", ""))
    context.setdefault("flash", session.pop("flash", None))
    html = ENV.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def flash(request: Request, message: str) -> None:
    """A one-line message shown on the next page (never identifying data)."""
    request.session["flash"] = message


def acting(request: Request, user: Any) -> Settings:
    """The settings with this web user recorded as "who" (event log, submitted_by)."""
    return dataclasses.replace(state(request).settings, actor=f"web:{user.username}")
