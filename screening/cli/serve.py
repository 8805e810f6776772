"""``screening serve``: the web app (as the web app's login role)."""

from __future__ import annotations

import click

from screening.cli.common import fail, role_settings
from screening.errors import ScreeningError


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="SCREENING_WEB_HOST",
    help="Interface to listen on [env SCREENING_WEB_HOST].",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    envvar="SCREENING_WEB_PORT",
    help="Port [env SCREENING_WEB_PORT].",
)
def serve(host: str, port: int) -> None:
    """Run the web app (lab, review, curator pages; JSON API at /api/v1, OpenAPI at /api/v1/openapi.json)."""
    import uvicorn

    from screening.web.app import create_app

    try:
        app = create_app(role_settings("web"))
    except ScreeningError as exc:
        fail(exc)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
