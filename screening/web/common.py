"""What every page module shares: the app's state, a database connection per request, templates.

jinja2 is used here for the web pages only (letters have their own environment in letters.py):
autoescape on, StrictUndefined, templates under ``templates/web/``. The pages' words go through the
same gettext catalogues as the letters (``screening/i18n.py``): one environment per language; the
language is Danish in a Danish-only deployment, else negotiated from the browser's ``Accept-Language``
(English unless Danish is preferred).
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

from screening import i18n, programmes
from screening.config import Settings
from screening.db import connection
from screening.errors import ScreeningError

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


def _environment(language: str = i18n.SOURCE_LANGUAGE) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.globals["lang"] = language
    env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
    from screening.web.labels import filters

    env.filters.update(filters(i18n.translations(language).gettext, language))
    return env


ENVS = {language: _environment(language) for language in i18n.LOCALES}
ENV = ENVS[i18n.SOURCE_LANGUAGE]
Conn = Annotated[Any, Depends(get_conn)]


def language(request: Request) -> str:
    """The page language: Danish in a Danish-only deployment (every programme's letters are in
    Danish); otherwise the first of the browser's ``Accept-Language`` preferences that has a
    catalogue, else English. A programmes file that cannot be read leaves it to the browser."""
    try:
        hosted = programmes.for_settings(state(request).settings)
    except ScreeningError:
        hosted = None
    return page_language(request.headers.get("accept-language", ""), hosted)


def page_language(header: str, hosted: programmes.Programmes | None) -> str:
    """The language of a page from the deployment's programmes and the browser's preferences (pure)."""
    if hosted is not None and hosted.by_key and {p.language for p in hosted.by_key.values()} == {"da"}:
        return "da"
    preferred = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            preferred.append((-weight, len(preferred), tag.split("-")[0].lower()))
    for _, _, tag in sorted(preferred):
        if tag in ENVS:
            return tag
    return i18n.SOURCE_LANGUAGE


def gettext(request: Request):
    """The request's translation of a message (for flash messages and errors built in Python)."""
    translate = i18n.translations(language(request)).gettext
    return lambda message, **values: translate(message) % values if values else translate(message)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``templates/web/<name>`` with the signed-in user and the CSRF token in the context."""
    session = request.session
    context.setdefault("user", request.state.user if hasattr(request.state, "user") else None)
    context.setdefault("csrf_token", session.get("csrf", ""))
    context.setdefault("flash", session.pop("flash", None))
    html = ENVS[language(request)].get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def flash(request: Request, message: str) -> None:
    """A one-line message shown on the next page (never identifying data)."""
    request.session["flash"] = message


def acting(request: Request, user: Any) -> Settings:
    """The settings with this web user recorded as "who" (event log, submitted_by)."""
    return dataclasses.replace(state(request).settings, actor=f"web:{user.username}")
