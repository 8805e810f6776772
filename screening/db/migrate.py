"""Run the alembic migrations (``screening db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from screening.errors import ScreeningError

ROOT = Path(__file__).resolve().parents[2]


def _config(url: str):  # -> alembic.config.Config
    from alembic.config import Config

    ini = ROOT / "alembic.ini"
    if not ini.is_file():
        raise ScreeningError(f"{ini}: not found; run from a source checkout (pip install -e .)")
    config = Config(str(ini))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(_config(url), revision)


def current(url: str) -> str | None:
    """The database's alembic revision (None when not migrated)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
