"""The web app: FastAPI with server-rendered jinja2 pages for lab staff, reviewers and curators, and a
JSON API for laboratory systems (OpenAPI at /api/openapi.json). Start it with ``screening serve``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from screening import __version__
from screening.config import Settings, load_settings
from screening.db import connection
from screening.errors import NotFoundError, ScreeningError, ValidationError
from screening.web import api, auth, pages_admin, pages_curator, pages_lab, pages_review
from screening.web.common import TEMPLATES, WebState, render

SESSION_HOURS = 8
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


def _error_page(request: Request, status: int, message: str, problems: tuple = ()):
    if _is_api(request):
        body = {"detail": message, "problems": [str(p) for p in problems]}
        return JSONResponse(body, status_code=status)
    return render(request, "error.html", status, status=status, message=message, problems=problems)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.LoginRequired)
    async def _login(request: Request, exc: auth.LoginRequired):
        if _is_api(request):
            return JSONResponse({"detail": "credentials required"}, status_code=401)
        return auth.login_redirect(request)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        response = _error_page(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = tuple(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _error_page(request, 422, "The request is not valid.", problems)

    @app.exception_handler(ValidationError)
    async def _validation(request: Request, exc: ValidationError):
        return _error_page(request, 422, f"{exc.subject}: {len(exc.problems)} problem(s)", exc.problems)

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError):
        return _error_page(request, 404, str(exc))

    @app.exception_handler(ScreeningError)
    async def _screening(request: Request, exc: ScreeningError):
        return _error_page(request, 400, str(exc))


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<link rel="stylesheet" href="/api/docs-assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs-assets/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>
<script src="/api/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


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
    settings = settings or load_settings()
    url = database_url or connection.database_url(settings)
    app = FastAPI(
        title="Newborn genome screening",
        version=__version__,
        description="JSON API for laboratory systems: submit a batch, read its status.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below with its assets from the package, not a CDN
        redoc_url=None,
    )
    app.state.web = WebState(settings, url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="screening_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=os.environ.get("SCREENING_SECURE_COOKIES", "") == "1",
    )

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=str(TEMPLATES / "static")), name="static")
    _install_docs(app)
    for module in (auth, pages_lab, pages_review, pages_curator, pages_admin, api):
        app.include_router(module.router)
    return app
