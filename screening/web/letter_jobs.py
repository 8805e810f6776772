"""Batch rendering of the "no condition suspected" letters (parents and GP) of a batch, in a thread of
the web process, one letter stored per transaction so that progress survives a restart: the page's
progress bar reads the job's counters, and the letters already issued are never rendered twice.

Every case is checked before anything is rendered and all problems are reported together.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import FastAPI

from screening import i18n, letters
from screening.cases import CaseView, LetterKind
from screening.db import batches, connection, review
from screening.domain import N_, Reason
from screening.errors import NotFoundError, Problem, ScreeningError
from screening.web import labels

KINDS = (LetterKind.NO_CONDITION_SUSPECTED_PARENTS, LetterKind.NO_CONDITION_SUSPECTED_GP)
_lock = threading.Lock()
log = logging.getLogger(__name__)


JOB_STATES = {"running": N_("running"), "finished": N_("finished"), "failed": N_("failed")}


@dataclass
class Job:
    lab_batch_id: str
    started_by: str
    total: int = 0
    done: int = 0
    state: str = "running"  # running | finished | failed
    problems: list[Problem | str] = field(default_factory=list)  # Reasons where built from one


def _jobs(app: FastAPI) -> dict[str, Job]:
    if not hasattr(app.state, "letter_jobs"):
        app.state.letter_jobs = {}
    return app.state.letter_jobs


def batch_pk(conn: Any, lab_batch_id: str) -> int:
    row = batches.find_batch(conn, lab_batch_id)
    if row is None:
        raise NotFoundError(Reason(N_("batch {batch} does not exist"), batch=lab_batch_id))
    return row.id


def pending(conn: Any, batch_pk: int) -> tuple[list[tuple[review.LetterRun, CaseView, LetterKind]], int]:
    """(letters still to issue as (run row, case without identity, kind), letters already issued)."""
    todo, issued = [], 0
    for row in review.batch_runs(conn, batch_pk):
        case = review.load_case(conn, row.run_id, None)
        for kind in KINDS:
            if case.reported_outcome is not kind.outcome:
                continue
            if kind.value in row.issued:
                issued += 1
            else:
                todo.append((row, case, kind))
    return todo, issued


def progress(
    app: FastAPI, conn: Any, lab_batch_id: str, language: str = i18n.SOURCE_LANGUAGE
) -> dict[str, Any]:
    """The batch's letters issued and its job's state; what the page shows of them (``summary``, the
    job's ``text`` and ``problems``) in ``language``."""
    job = _jobs(app).get(lab_batch_id)
    translate = i18n.translations(language).gettext
    snapshot = None
    if job is not None:
        snapshot = {
            "state": job.state,
            "done": job.done,
            "total": job.total,
            "text": translate(N_("Job: %(state)s (%(done)s/%(total)s)"))
            % {"state": translate(JOB_STATES[job.state]), "done": job.done, "total": job.total},
            "problems": [labels.problem_text(p, language, translate) for p in job.problems],
        }
    todo, issued = pending(conn, batch_pk(conn, lab_batch_id))  # after the job's state: never staler
    total = issued + len(todo)
    percent = round(100 * issued / total) if total else 100
    summary = translate(N_("%(issued)s of %(total)s letters issued (%(percent)s%%)"))
    return {
        "batch_id": lab_batch_id,
        "issued": issued,
        "total": total,
        "percent": percent,
        "summary": summary % {"issued": issued, "total": total, "percent": percent},
        "job": snapshot,
    }


def start(app: FastAPI, lab_batch_id: str, username: str) -> bool:
    """Start rendering in a thread; False when a job for this batch is already running."""
    with _lock:
        job = _jobs(app).get(lab_batch_id)
        if job is not None and job.state == "running":
            return False
        job = _jobs(app)[lab_batch_id] = Job(lab_batch_id, username)
    from screening import programmes

    url = app.state.web.database_url
    hosted = programmes.for_settings(app.state.web.settings)
    threading.Thread(
        target=_run, args=(url, job, hosted), name=f"letters-{lab_batch_id}", daemon=True
    ).start()
    return True


def _run(url: str, job: Job, hosted: Any) -> None:
    """Render and store the batch's letters, each in the language and with the sender of its
    programme (``hosted``: the deployment's programmes)."""
    conn = connection.connect(url)
    actor = f"web:{job.started_by}"
    try:
        todo, _ = pending(conn, batch_pk(conn, job.lab_batch_id))
        work = [(row, _with_identity(conn, row, case, kind, actor), kind) for row, case, kind in todo]
        problems = [p for _, case, kind in work for p in letters.letter_problems(kind, case)]
        if problems:
            job.problems, job.state = problems, "failed"
            return
        job.total = len(work)
        for row, case, kind in work:
            programme = letters.programme_of(case, hosted)
            rendered = letters.render_letter(kind, case, job.started_by, date.today(), programme=programme)
            with connection.transaction(conn, actor):
                review.store_letter(conn, row.sample_pk, row.run_id, rendered)
            job.done += 1
        job.state = "finished"
    except ScreeningError as exc:  # e.g. the database's disk full: the letter being stored was not
        job.problems, job.state = [_failure(exc, job) if job.total else exc.reason], "failed"
    except Exception as exc:  # a thread must not die silently; its message may quote letter content
        log.error("letters of batch %s: unexpected %s", job.lab_batch_id, type(exc).__name__)
        job.problems, job.state = [Reason(N_("unexpected {error}"), error=type(exc).__name__)], "failed"
    finally:
        conn.close()


def _failure(exc: ScreeningError, job: Job) -> str:
    """The error that stopped the job, and how far it got (a ``Reason`` when the error is one)."""
    template = N_("{error} ({done} of {total} letters issued; starting again issues the rest)")
    if isinstance(exc.reason, Reason):
        return Reason(template, error=exc.reason, done=job.done, total=job.total)
    return template.format(error=exc, done=job.done, total=job.total)  # English, shown as such


def _with_identity(
    conn: Any, row: review.LetterRun, case: CaseView, kind: LetterKind, actor: str
) -> CaseView:
    identity = review.get_identity(conn, row.sample_pk, actor, f"{kind.value} letter (batch)")
    return case.with_identity(identity)
