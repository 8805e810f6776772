"""The web app: FastAPI with server-rendered jinja2 pages for lab staff, reviewers and curators, and a
JSON API for laboratory and programme systems (``/api/v1``, OpenAPI at /api/v1/openapi.json). Start it
with ``screening serve``."""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from screening import __version__, i18n
from screening.config import Settings, load_settings
from screening.db import connection
from screening.domain import N_, Reason
from screening.errors import IntegrityError, NotFoundError, ScreeningError, UnstorableValue, ValidationError
from screening.inputs import control_character
from screening.web import api, auth, labels, pages_admin, pages_curator, pages_lab, pages_lead, pages_review
from screening.web.common import TEMPLATES, WebState, gettext, language, render

log = logging.getLogger(__name__)
STARLETTE_DETAILS = (N_("Not Found"), N_("Method Not Allowed"))  # the reasons Starlette gives itself
HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def secret_key(settings: Settings) -> str:
    """SCREENING_SECRET_KEY, else a random key kept in $SCREENING_HOME/web-secret-key (mode 600)."""
    key = os.environ.get("SCREENING_SECRET_KEY", "").strip()
    if key:
        return key
    path = Path(settings.home) / "web-secret-key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str, problems: tuple = (), **values: Any):
    """The JSON API answers in English (machines read it); a page in the page language (a message
    marked with N_ is translated, any other is shown as it is)."""
    if _is_api(request):
        body = {"detail": message % values if values else message, "problems": [str(p) for p in problems]}
        return JSONResponse(body, status_code=status)
    message = gettext(request)(message, **values)
    return render(request, "error.html", status, status=status, message=message, problems=problems)


def _exception_page(request: Request, status: int, exc: ScreeningError):
    """An error raised on purpose: the JSON API says its English text; a page says it in the page
    language when it was built from a template (``exc.reason``), else in English, said to be so."""
    if _is_api(request):
        return _error_page(request, status, str(exc))
    message = i18n.engine_text(exc.reason, language(request))
    return render(request, "error.html", status, status=status, message=message, problems=())


def _plain_error(request: Request, status: int, message: str):
    """An error answered outside the session middleware (no template context needed), in the page
    language (``message`` marked with N_); the JSON API in English."""
    if _is_api(request):
        return JSONResponse({"detail": message, "problems": []}, status_code=status)
    try:
        lang = language(request)
    except Exception:  # the error page itself never fails: English
        lang = i18n.SOURCE_LANGUAGE
    _ = i18n.translations(lang).gettext
    title = html.escape(_("Error %(status)s") % {"status": status})
    body = (
        f'<!doctype html><html lang="{lang}"><title>{title}</title><h1>{title}</h1>'
        f"<p>{html.escape(_(message))}</p></html>"
    )
    return HTMLResponse(body, status_code=status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.LoginRequired)
    async def _login(request: Request, exc: auth.LoginRequired):
        if _is_api(request):
            return JSONResponse({"detail": "credentials required", "problems": []}, status_code=401)
        return auth.login_redirect(request)

    @app.exception_handler(StarletteHTTPException)  # also a route that does not exist (404), a 405
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail
        if isinstance(detail, Reason) and not _is_api(request):
            message = i18n.engine_text(detail, language(request))
            response = render(
                request, "error.html", exc.status_code, status=exc.status_code, message=message, problems=()
            )
        else:  # a message marked with N_, or Starlette's own ("Not Found", "Method Not Allowed")
            response = _error_page(request, exc.status_code, str(detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = tuple(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _error_page(request, 422, N_("The request is not valid."), problems)

    @app.exception_handler(ValidationError)
    async def _validation(request: Request, exc: ValidationError):
        subject = str(exc.subject) if _is_api(request) else labels.where_text(exc.subject, language(request))
        return _error_page(
            request,
            422,
            N_("%(subject)s: %(n)s problem(s)"),
            exc.problems,
            subject=subject,
            n=len(exc.problems),
        )

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError):
        return _exception_page(request, 404, exc)

    @app.exception_handler(IntegrityError)
    async def _tampered(request: Request, exc: IntegrityError):
        log.error("%s %s: refused: %s", request.method, request.url.path, exc)
        return _exception_page(request, 409, exc)

    @app.exception_handler(ScreeningError)
    async def _screening(request: Request, exc: ScreeningError):
        return _exception_page(request, 400, exc)

    @app.exception_handler(UnstorableValue)
    async def _unstorable(request: Request, exc: Exception):
        log.info(
            "%s %s: refused a value the database cannot store (%s)",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return _error_page(request, 400, N_("The request contains a value that cannot be stored."))

    @app.exception_handler(connection.DB_ERRORS[0])  # a statement run outside any transaction
    async def _database(request: Request, exc: Exception):
        error = connection.translate(exc)  # type: ignore[arg-type]
        if isinstance(error, UnstorableValue):
            return await _unstorable(request, exc)
        log.error("%s %s: %s", request.method, request.url.path, error)
        return _exception_page(request, 404 if isinstance(error, NotFoundError) else 400, error)


async def _refuse_control_characters(request: Request, call_next):
    """A NUL (or any control character) in the path or query string is bad input: 400, before routing."""
    from urllib.parse import unquote

    if control_character(request.scope.get("path", "")) or control_character(unquote(request.url.query)):
        return _plain_error(request, 400, N_("The address contains a control character."))
    return await call_next(request)


async def _no_traceback(request: Request, call_next):
    """Anything not handled above: logged with its traceback on the server, a plain 500 to the user."""
    try:
        return await call_next(request)
    except Exception:
        log.exception("%s %s failed", request.method, request.url.path)
        return _plain_error(request, 500, N_("Something went wrong on the server; it has been logged."))


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<link rel="stylesheet" href="/api/docs-assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs-assets/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="/api/v1/openapi.json"></div>
<script src="/api/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


API_DESCRIPTION = """JSON API for laboratory and programme systems: batches (list, submit, status,
re-queue), samples (status, re-queue, findings), letters (lists, PDF) and panels (list, show, diff).

Authenticate with HTTP Basic (a web user) or `Authorization: Bearer <token>` (a machine token from
`screening token create NAME --role R`). Each endpoint is open to the roles whose pages show the same
thing; errors are `{"detail": ..., "problems": [...]}`."""


def _install_docs(app: FastAPI) -> None:
    """Swagger UI at /api/docs from the swagger-ui-py package (no CDN: works offline, and under
    the pages' Content-Security-Policy: no inline script, the initialiser is /static/api-docs.js)."""
    from importlib import resources

    from fastapi.responses import HTMLResponse

    assets = resources.files("swagger_ui") / "static"  # Swagger UI 5 (OpenAPI 3.1) in swagger-ui-py
    app.mount("/api/docs-assets", StaticFiles(directory=str(assets)), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML.format(title=app.title))


def create_app(settings: Settings | None = None, database_url: str | None = None) -> FastAPI:
    settings = dataclasses.replace(settings or load_settings(), db_role="web")  # the web's login role
    url = database_url or connection.database_url(settings)
    app = FastAPI(
        title="Newborn genome screening",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below with its assets from the package, not a CDN
        redoc_url=None,
    )
    app.state.web = WebState(settings, url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="screening_session",
        max_age=settings.session_absolute_seconds,
        same_site="strict",
        https_only=settings.web_https,  # Secure cookies by default; SCREENING_WEB_HTTPS=off for local HTTP
    )
    headers = {**SECURITY_HEADERS, **(HSTS if settings.web_https else {})}

    app.middleware("http")(_refuse_control_characters)
    app.middleware("http")(_no_traceback)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=str(TEMPLATES / "static")), name="static")
    _install_docs(app)
    for module in (auth, pages_lab, pages_review, pages_curator, pages_admin, pages_lead, api):
        app.include_router(module.router)
    return app
