"""What a worker does with an id, as plain functions (no Celery here; ``tasks.py`` is the thin shell).

``process_sample``: claim the sample with a lease (attempts capped in the database), screen it outside
any transaction while its sha256 is verified alongside, then write every result of the sample in one
transaction that also marks it screened and counts it down on its batch (and finalises the batch after
its last sample). Database outages are retried in-process with backoff, so the screening work is not
repeated and the lease is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from screening import digest, vcf_screen
from screening.config import Settings
from screening.db import cohort, connection, jobs, panels, results
from screening.db.connection import Database
from screening.domain import N_, ClinVarSnapshot, PanelVersion, Reason, SampleResult
from screening.errors import ScreeningError, TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_TRIES = 8
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 8.0


@dataclass(frozen=True)
class TaskResult:
    """What happened to one task: the final state (or None when nothing was done) and batches to check."""

    state: str | None
    finalise: tuple[int, ...] = ()


def with_backoff(db: Database, fn: Callable[[], T], what: str) -> T:
    """Call ``fn``; on TransientError reconnect and retry with exponential backoff (then re-raise)."""
    delay = BACKOFF_FIRST_S
    for attempt in range(1, BACKOFF_TRIES + 1):
        try:
            return fn()
        except TransientError:
            db.close()
            if attempt == BACKOFF_TRIES:
                raise
            log.warning(
                "%s: database unreachable (try %d/%d), retrying in %.2fs", what, attempt, BACKOFF_TRIES, delay
            )
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- panel cache (per worker process)

_PANELS: dict[str, tuple[PanelVersion, ClinVarSnapshot | None]] = {}


def panel_for(
    db: Database, settings: Settings, panel_version_id: int
) -> tuple[PanelVersion, ClinVarSnapshot | None]:
    """The published panel version and its ClinVar snapshot, cached by sha256 (immutable)."""

    def load() -> tuple[PanelVersion, ClinVarSnapshot | None]:
        conn = db.connection()
        with connection.transaction(conn, settings.actor):
            row = panels.get_version(conn, panel_version_id)
            key = f"{row.sha256}:{row.clinvar_sha256}"
            if key not in _PANELS:
                _PANELS[key] = (
                    panels.load_panel_version(conn, panel_version_id),
                    panels.load_clinvar(conn, panel_version_id),
                )
            return _PANELS[key]

    return with_backoff(db, load, f"panel version {panel_version_id}")


# ---------------------------------------------------------------- one sample


def _claim(db: Database, settings: Settings, sample_pk: int) -> tuple[jobs.Claim | None, list[int]]:
    # one statement, its own transaction (one round trip), committed without waiting for the WAL flush
    conn = db.connection()
    with connection.translate_errors():
        claim, exhausted = jobs.claim(
            conn, settings.actor, sample_pk, settings.lease_seconds, settings.max_attempts
        )
    return claim, [exhausted] if exhausted is not None else []


def _finish(
    db: Database,
    settings: Settings,
    claim: jobs.Claim,
    state: str,
    reason: str | None,
    stored: tuple[SampleResult, results.RunMeta] | None = None,
) -> TaskResult:
    """End the claimed sample, and store its result when ``stored`` is given: one statement (one round
    trip; its commit waits for the WAL flush). The batch's last sample finalises it in the same
    statement: a finalisation task would wait behind every sample already queued (a day's batches
    share one queue)."""
    run = None if stored is None else results.run_params(*stored)

    def go() -> TaskResult:
        with connection.translate_errors():
            outcome = jobs.finish(db.connection(), settings.actor, claim, state, reason, run)
        if outcome is None:
            log.warning("sample %d: lease lost to another worker; results dropped", claim.sample.id)
            return TaskResult(None)
        if outcome.finalised:
            log.info("batch %d: finalised", claim.sample.batch_id)
        stuck = outcome.samples_pending == 0 and not outcome.finalised
        return TaskResult(state, (claim.sample.batch_id,) if stuck else ())

    return with_backoff(db, go, f"sample {claim.sample.id}")


# A batch's frozen cohort never changes: each worker process reads it once per batch.
_COHORTS: dict[int, cohort.Frozen] = {}
_COHORTS_KEPT = 16


def _read_cohort(db: Database, batch_pk: int) -> cohort.Frozen:
    """The batch's frozen cohort, read in one statement outside any transaction (one snapshot)."""
    return with_backoff(db, lambda: cohort.frozen(db.connection(), batch_pk), f"batch {batch_pk} cohort")


def cohort_for(db: Database, settings: Settings, batch_pk: int) -> cohort.Frozen:
    """The cohort frozen at the batch's submission (cached per worker process)."""
    if batch_pk not in _COHORTS:
        frozen = _read_cohort(db, batch_pk)
        while len(_COHORTS) >= _COHORTS_KEPT:
            _COHORTS.pop(next(iter(_COHORTS)))
        _COHORTS[batch_pk] = frozen
    return _COHORTS[batch_pk]


def _screen(db: Database, settings: Settings, claim: jobs.Claim) -> tuple[SampleResult, int, float]:
    sample = claim.sample
    panel, clinvar = panel_for(db, settings, sample.panel_version_id)
    frozen = cohort_for(db, settings, sample.batch_id)
    cohort_af = frozen.frame if frozen.babies >= settings.cohort_min_babies else None
    started = time.perf_counter()
    result = vcf_screen.screen_vcf(
        panel,
        sample.to_input(),
        Path(sample.vcf_path),
        clinvar,
        cohort_af,
        sample.vcf_sha256,
        reference=vcf_screen.reference(settings.reference_fasta),
    )
    return result, frozen.babies, time.perf_counter() - started


def _changed_file(claim: jobs.Claim, sha: str | OSError) -> str | None:
    """Why the VCF cannot be trusted any more (None when its sha256 still matches the submission)."""
    if isinstance(sha, OSError):
        return Reason(
            N_(
                "VCF can no longer be read at its submitted path ({error}): restore the file on shared "
                "storage, then re-queue the sample"
            ),
            error=type(sha).__name__,
        )
    if sha != claim.sample.vcf_sha256:
        return Reason(
            N_(
                "VCF changed since submission (sha256 {now}…, submitted {then}…); put the submitted file "
                "back, then re-queue the sample (a new file is a new submission)"
            ),
            now=sha[:12],
            then=claim.sample.vcf_sha256[:12],
        )
    return None


def _sha256(hashing: digest.Hashing) -> str | OSError:
    try:
        return hashing.result()
    except OSError as exc:
        return exc


def process_sample(db: Database, settings: Settings, sample_pk: int) -> TaskResult:
    """Claim, screen while verifying the VCF's sha256, store. Safe to call any number of times for the
    same id.

    The file is hashed in a thread while the engine reads its regions (hashlib releases the GIL), and
    nothing is stored unless the digest equals the one recorded at submission: the result belongs to
    the submitted file, and the hash is not paid serially before the screen.
    """
    claim, exhausted = with_backoff(db, lambda: _claim(db, settings, sample_pk), f"sample {sample_pk}")
    if claim is None:
        return TaskResult(None, tuple(exhausted))
    hashing = digest.Hashing(claim.sample.vcf_path)
    try:
        result, babies, seconds = _screen(db, settings, claim)
        failure = None
    except TransientError:  # retried whole: the digest is not needed
        raise
    except ScreeningError as exc:  # unusable input: the lab must act; the batch goes on
        failure = ("held", exc.reason)
    except Exception as exc:  # a defect, not the input: recorded, not retried (it would recur)
        log.exception("sample %d: unexpected error while screening", sample_pk)
        failure = (
            "failed",
            Reason(
                N_("internal error ({error}): tell the operators (worker log); re-queue once fixed"),
                error=type(exc).__name__,
            ),
        )
    problem = _changed_file(claim, _sha256(hashing))
    if problem:  # whatever the screen gave, it was not of the submitted file
        return _finish(db, settings, claim, "failed", problem)
    if failure:
        return _finish(db, settings, claim, *failure)
    meta = results.RunMeta(claim.sample.id, claim.sample.panel_version_id, babies, seconds)
    return _finish(db, settings, claim, "screened", None, (result, meta))


# ---------------------------------------------------------------- batches


def finalise(db: Database, settings: Settings, batch_pk: int) -> bool:
    def run() -> bool:
        conn = db.connection()
        with connection.transaction(conn, settings.actor):
            return jobs.finalise_batch(conn, batch_pk)

    return with_backoff(db, run, f"batch {batch_pk}")


def reconcile(db: Database, settings: Settings) -> jobs.Reconciliation:
    """One pass of the reconciler. A queued sample's message is sent again when a live worker has had
    a free slot for the heartbeat timeout while the sample waited (its message is lost), and in any
    case after two leases (no worker has reported a free slot: e.g. all are busy with a long queue)."""

    def run() -> jobs.Reconciliation:
        conn = db.connection()
        with connection.transaction(conn, settings.actor):
            return jobs.reconcile(
                conn,
                settings.max_attempts,
                stale_seconds=2 * settings.lease_seconds,
                lost_seconds=settings.heartbeat_timeout_seconds,
            )

    return with_backoff(db, run, "reconcile")
