"""Celery: the app, thin tasks taking ids, and the reconciler. The only module that imports Celery.

Start workers with ``screening worker`` (or ``python -m celery -A screening.tasks worker``). The logic
lives in ``worker_steps.py``; a task only turns an id into a call and queues what follows, after commit.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any

from celery import Celery, signals
from kombu import Queue
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.transport import TRANSPORT_ALIASES

from screening import fs_transport, worker_steps
from screening.config import Settings, load_settings
from screening.db import workers
from screening.db.connection import DB_ERRORS, Database, database_url, with_application_name
from screening.errors import TransientError

log = logging.getLogger(__name__)

# Environment defaults for worker processes: one polars thread per pool process (the pool already
# uses the cores; more threads only contend). An explicit setting in the environment wins.
WORKER_ENV_DEFAULTS = {"POLARS_MAX_THREADS": "1"}
# the filesystem broker with atomic writes and quarantine of undecodable messages (fs_transport.py)
TRANSPORT_ALIASES.setdefault(fs_transport.ALIAS, "screening.fs_transport:Transport")
SCREEN_TASK = "screening.screen_sample"
PUBLISH_RETRY = {"max_retries": 6, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 4}


def broker_options(settings: Settings) -> dict[str, Any]:
    kind = settings.broker_kind
    if kind == "filesystem":
        folder = settings.broker_folder
        for sub in ("queue", "processed", "control", "quarantine"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "broker_url": f"{fs_transport.ALIAS}://",
            "broker_transport_options": {
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "processed_folder": str(folder / "processed"),
                "control_folder": str(folder / "control"),
                "quarantine_folder": str(folder / "quarantine"),
                "store_processed": False,
                "polling_interval": 0.01,  # 10 ms: a worker picks up its next sample with little delay
            },
            # no remote-control mailbox: nothing here uses it (no `celery inspect`/`control`), and its
            # queue, polled like any other, listed the whole queue folder every 10 ms (py-spy: most of
            # a worker main process's CPU with a day's batches queued)
            "worker_enable_remote_control": False,
        }
    if kind == "redis":
        visibility = max(3600, 10 * settings.lease_seconds)  # well above the slowest sample
        return {
            "broker_url": settings.broker_url,
            "broker_transport_options": {"visibility_timeout": visibility},
        }
    quorum = Queue(settings.queue, routing_key=settings.queue, queue_arguments={"x-queue-type": "quorum"})
    return {
        "broker_url": settings.broker_url,
        "task_queues": [quorum],
        "broker_transport_options": {"confirm_publish": True},
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """Settings for long, idempotent tasks (architecture.md "Jobs and state")."""
    return {
        **broker_options(settings),
        "task_default_queue": settings.queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,  # redelivery is capped by the attempts in the database
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_soft_time_limit": settings.lease_seconds + 30,
        "task_time_limit": settings.lease_seconds + 60,
        "broker_connection_retry_on_startup": True,
        # a lost broker connection (broker restarted, network cut) restarts the consumer, retrying
        # for as long as it takes, instead of ending the worker; tasks already running go on (their
        # results are fenced by the lease in the database)
        "broker_connection_retry": True,
        "broker_connection_max_retries": None,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "beat_schedule": {
            "reconcile": {"task": "screening.reconcile", "schedule": settings.reconcile_seconds},
        },
        "beat_schedule_filename": str(settings.home / "celerybeat-schedule"),
    }


def worker_settings() -> Settings:
    """The settings, with "who" in the event log naming this worker host (and the account it runs as)."""
    settings = load_settings()
    actor = f"worker:{socket.gethostname()}:{settings.actor}"
    return dataclasses.replace(settings, actor=actor, db_role="worker")  # the worker's login role


SETTINGS = worker_settings()
app = Celery("screening")
app.conf.update(celery_config(SETTINGS))

_state: dict[str, Any] = {}


@signals.worker_init.connect
def _resolve_database(sender: Any = None, **_: Any) -> None:
    """In the worker's main process, before the pool forks: start/attach the embedded server once;
    every connection of this worker (and its pool children) carries the worker's name."""
    _state["worker"] = sender  # its pool's processes and slots go into the heartbeat
    _state["node"] = str(getattr(sender, "hostname", "") or socket.gethostname())
    _state["url"] = with_application_name(database_url(SETTINGS), _state["node"])


@signals.worker_ready.connect
def _start_heartbeat(**_: Any) -> None:
    """A thread of the worker's main process writes its heartbeat (worker_heartbeat) every few seconds."""
    if "node" in _state and "heartbeat" not in _state:
        stop = threading.Event()
        _state["heartbeat"] = stop
        thread = threading.Thread(target=_heartbeat_loop, args=(_state["node"], stop), daemon=True)
        thread.start()


@signals.beat_embedded_init.connect
def _end_with_the_worker(**_: Any) -> None:
    """The embedded reconciler clock (``--beat``) is a child process of the worker's main process: it
    now ends when that process ends, however it ends. Killed with -9 (the OOM killer, a supervisor that
    signals only the main pid), the main process left it running, an orphan sending reconcile ticks
    beside the restarted worker's own clock. Linux: PR_SET_PDEATHSIG, the signal Celery itself stops it
    with (SIGTERM)."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the worker ended before the line above: end now
        os.kill(os.getpid(), signal.SIGTERM)


@signals.worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    if "heartbeat" in _state:
        _state["heartbeat"].set()


def _pool_state() -> workers.Pool | None:
    """The prefork pool's live processes (with this main process), its size and the samples this worker
    holds (the short reconcile and finalise tasks do not count); None when not known (another pool
    class), so no process is judged by its absence."""
    pool = getattr(_state.get("worker"), "pool", None)
    processes = getattr(getattr(pool, "_pool", None), "_pool", None)
    limit = getattr(pool, "limit", None)
    if processes is None or not isinstance(limit, int):
        return None
    from celery.worker import state

    for _ in range(5):  # the pool and the request sets change under this thread: read them again
        try:
            pids = tuple(p.pid for p in list(processes) if p.pid)
            held = {r for r in (*state.reserved_requests, *state.active_requests) if r.name == SCREEN_TASK}
            return workers.Pool((*pids, os.getpid()), limit, len(held))
        except RuntimeError:
            continue
    return None


def _heartbeat_loop(node: str, stop: threading.Event) -> None:
    db = Database(_state["url"])
    while not stop.is_set():
        try:
            workers.beat(db.connection(), node, os.getpid(), _pool_state())
        except (TransientError, *DB_ERRORS) as exc:  # the database is down: beat later
            log.warning("heartbeat not written (%s); retrying", type(exc).__name__)
            db.close()
        stop.wait(SETTINGS.heartbeat_seconds)
    db.close()


@signals.worker_process_init.connect
def _fresh_connection(**_: Any) -> None:
    _state.pop("db", None)  # never share a connection across a fork


def _db() -> Database:
    if "db" not in _state:
        if "url" not in _state:
            _state["url"] = database_url(SETTINGS)
        _state["db"] = Database(_state["url"])
    return _state["db"]


def _send(task: Any, *args: int) -> None:
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY)
    except KombuOperationalError as exc:
        raise TransientError(f"broker unreachable: {exc}") from exc


def enqueue_samples(sample_ids: list[int]) -> None:
    """Queue screening of these samples (call only after the commit that created or re-queued them)."""
    for sample_id in sample_ids:
        _send(screen_sample, sample_id)


def _after(outcome: worker_steps.TaskResult) -> None:
    for batch_pk in outcome.finalise:
        try:
            _send(finalise_batch, batch_pk)
        except TransientError:
            log.warning(
                "batch %d: finalisation not queued (broker unreachable); the reconciler will", batch_pk
            )


@app.task(name=SCREEN_TASK)
def screen_sample(sample_pk: int) -> None:
    outcome = worker_steps.process_sample(_db(), SETTINGS, sample_pk)
    if outcome.state:
        log.info("sample %d: %s", sample_pk, outcome.state)
    _after(outcome)


@app.task(name="screening.finalise_batch")
def finalise_batch(batch_pk: int) -> None:
    if worker_steps.finalise(_db(), SETTINGS, batch_pk):
        log.info("batch %d: finalised", batch_pk)


def _expire_orphans() -> None:
    """Running samples of workers that stopped beating, or whose claiming pool process died: their
    lease ends now (re-queued below)."""
    try:
        orphans = workers.expire_orphaned_leases(
            _db().connection(), SETTINGS.heartbeat_timeout_seconds, SETTINGS.heartbeat_seconds
        )
    except (TransientError, *DB_ERRORS) as exc:
        log.warning("reconciler: heartbeats not checked (%s)", type(exc).__name__)
        _db().close()
        return
    for orphan in orphans:
        if orphan.why == "silent":
            why = f"worker {orphan.worker} not seen for {SETTINGS.heartbeat_timeout_seconds:.0f} s"
        else:
            why = f"its process is gone from worker {orphan.worker}'s pool"
        log.warning("sample %d: %s; lease ended", orphan.sample_id, why)


@app.task(name="screening.reconcile")
def reconcile() -> None:
    _expire_orphans()
    result = worker_steps.reconcile(_db(), SETTINGS)
    if result.requeued or result.failed or result.finalised:
        log.warning(
            "reconciler: re-sent %d sample(s), failed %d at the attempt cap, finalised %d batch(es)",
            len(result.requeued),
            len(result.failed),
            len(result.finalised),
        )
    try:
        enqueue_samples(list(result.requeued))
    except TransientError:
        log.warning("reconciler: broker unreachable; will re-send on the next pass")


def worker_argv(
    settings: Settings,
    name: str,
    with_reconciler: bool,
    loglevel: str = "WARNING",
    app_module: str = "screening.tasks",
) -> list[str]:
    """The ``celery worker`` command line for one worker process (prefork pool, one queue)."""
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app_module,
        "worker",
        "--pool=prefork",
        f"--concurrency={settings.worker_concurrency}",
        "-Q",
        settings.queue,
        f"--hostname={name}@%h",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if with_reconciler:
        settings.home.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={settings.home / 'celerybeat-schedule'}"]
    return argv
