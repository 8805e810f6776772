"""The review side in the database: web users, identities (kept apart), decisions and issued letters.

Named SQL in ``review.sql`` (read with the pipeline's loader). Identity values never appear in an
error raised here: database errors on the identities table are re-raised without their detail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import psycopg

from screening.cases import (
    AcmgClass,
    CaseConfirmation,
    CaseDecision,
    CaseView,
    FindingCall,
    FindingDecision,
    Identity,
    IdentityCheck,
    IdentityResolution,
    RenderedLetter,
    finding_signature,
)
from screening.db import results
from screening.db.connection import row_to, translate_errors
from screening.db.sql import query
from screening.domain import N_, Outcome, Reason, SampleQc, Urgency, Version, panel_label
from screening.errors import IntegrityError, NotFoundError, ScreeningError, StateError

ROLES = ("lab", "reviewer", "curator", "admin", "lead")
DECISIONS = tuple(c.value for c in FindingCall)
ACMG_CLASSES = tuple(c.value for c in AcmgClass)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    password_hash: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class QueueEntry:
    run_id: int
    sample_pk: int
    sample_id: str
    lab_batch_id: str
    submitted_at: datetime
    screened_at: datetime
    panel_label: str
    findings: int
    definite: int
    genes: str  # most urgent first
    decided: int
    urgency: Urgency  # of the most urgent finding


def _queue_entry(row: dict[str, Any]) -> QueueEntry:
    label = panel_label(row["panel_id"], Version(row["major"], row["minor"]))
    return row_to(QueueEntry, row, panel_label=label, urgency=Urgency(row["urgency"]))


@dataclass(frozen=True)
class StoredFindingDecision:
    """A decision row; ``.decision`` is the case model's FindingDecision."""

    id: int
    run_id: int
    moi: str
    decision: FindingDecision


def _case_decision(row: dict[str, Any], confirmations: tuple[CaseConfirmation, ...] = ()) -> CaseDecision:
    return row_to(CaseDecision, row, outcome=Outcome(row["outcome"]), confirmations=confirmations)


@dataclass(frozen=True)
class IssuedLetter:
    id: int
    sample_pk: int
    run_id: int
    kind: str
    sha256: str
    pdf_sha256: str
    template_version: str
    issued_by: str
    issued_at: datetime
    issued_on: date


@dataclass(frozen=True)
class BatchLetter(IssuedLetter):
    """An issued letter of a batch's baby (without its bytes), with the baby's lab sample id."""

    sample_id: str


@dataclass(frozen=True)
class LetterRun:
    """A screened baby of a batch (its current run) and the kinds of letter issued for that run."""

    sample_pk: int
    sample_id: str
    run_id: int
    issued: tuple[str, ...]


@dataclass(frozen=True)
class CaseHeader:
    """A screening run with its sample (QC metrics included), batch and panel version; no identity."""

    run_id: int
    outcome: str
    karyotype: str
    reasons: list[str]
    not_evaluated: list[str]
    screened_at: datetime
    panel_sha256: str
    clinvar_source: str | None
    clinvar_release_date: str | None
    clinvar_sha256: str | None
    software_version: str
    cohort_babies: int
    sample_pk: int
    sample_id: str
    sex: str
    sample_state: str
    pct_autosomal_15x: float | None
    q30_gb: float | None
    contamination_pct: float | None
    smn1_copies: int | None
    batch_pk: int
    lab_batch_id: str
    submitted_at: datetime
    programme: str
    panel_version_id: int
    panel_id: str
    major: int
    minor: int
    panel_name: str
    urgency: dict[str, str]  # "<hgnc_id> <moi>" of each finding → its gene's urgency in the panel version

    @property
    def panel_label(self) -> str:
        return panel_label(self.panel_id, Version(self.major, self.minor))


@dataclass(frozen=True)
class ReviewedCase:
    """A baby whose case has an outcome: the latest one recorded."""

    run_id: int
    sample_pk: int
    sample_id: str
    lab_batch_id: str
    outcome: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class AwaitingConfirmation:
    """A condition_suspected outcome in force that no second account has confirmed yet."""

    run_id: int
    sample_id: str
    lab_batch_id: str
    decided_by: str
    decided_at: datetime
    reason: str


@dataclass(frozen=True)
class SampleFindingDecision:
    """A finding decision on any run of a baby, with the finding's signature it was made on (None for
    a decision recorded before bases were kept) and the label of the run's panel version."""

    id: int
    run_id: int
    hgnc_id: str
    moi: str
    decision: str
    acmg_class: str
    reason: str
    decided_by: str
    decided_at: datetime
    signature: str | None
    panel_label: str


@dataclass(frozen=True)
class BatchSample:
    """One sample of a batch, with its current run (None before it is screened)."""

    sample_pk: int
    sample_id: str
    sex: str
    state: str
    batch_id: int
    run_id: int | None


@dataclass(frozen=True)
class BatchIdentityCheck:
    """The lab's resolution of a possible sample swap, for one sample of a batch (no identity)."""

    id: int
    sample_pk: int
    sample_id: str
    run_id: int
    resolution: str
    corrected_sex: str | None
    note: str
    recorded_by: str
    recorded_at: datetime


# ---------------------------------------------------------------- users


def add_user(conn: psycopg.Connection, username: str, role: str, password_hash: str, replace: bool) -> int:
    """Create a user (or, with ``replace``, set an existing user's password and role)."""
    if role not in ROLES:
        raise ScreeningError(
            Reason(N_("role {role!r} is not one of {items}"), role=role, items=", ".join(ROLES))
        )
    params = {"username": username, "role": role, "password_hash": password_hash}
    if replace:
        row = conn.execute(query("set_user_password"), params).fetchone()
        if row:
            return row["id"]
    with (
        translate_errors(
            unique=f"user {username!r} exists (use --replace to set a new password)",
            check=f"user name {username!r} must be 2-63 lower-case letters, digits, '.', '_' or '-'",
        ),
        conn.transaction(),
    ):
        return conn.execute(query("insert_user"), params).fetchone()["id"]


def rehash_password(conn: psycopg.Connection, user: User, new_hash: str) -> bool:
    """Store ``new_hash`` for ``user`` if its hash is still the one read (False when it changed since)."""
    params = {"id": user.id, "old_hash": user.password_hash, "new_hash": new_hash}
    return conn.execute(query("rehash_user_password"), params).fetchone() is not None


def find_user(conn: psycopg.Connection, username: str) -> User | None:
    row = conn.execute(query("find_user"), {"username": username}).fetchone()
    return row_to(User, row) if row else None


def list_users(conn: psycopg.Connection) -> list[User]:
    return [row_to(User, r) for r in conn.execute(query("list_users"))]


# ---------------------------------------------------------------- identities


@dataclass(frozen=True)
class SampleMatch:
    """A sample a lab sample id names: in which batch, of which programme."""

    sample_pk: int
    lab_batch_id: str
    programme: str


def samples_by_lab_id(
    conn: psycopg.Connection, sample_ids: list[str], lab_batch_id: str | None
) -> dict[str, list[SampleMatch]]:
    """``{lab sample id: [SampleMatch, ...]}`` for the ids that exist (of that batch only, when given)."""
    params = {"sample_ids": sample_ids, "lab_batch_id": lab_batch_id}
    out: dict[str, list[SampleMatch]] = {}
    for row in conn.execute(query("samples_by_lab_id"), params):
        out.setdefault(row["sample_id"], []).append(row_to(SampleMatch, row, sample_pk=row["id"]))
    return out


def save_identity(
    conn: psycopg.Connection, sample_pk: int, identity: Identity, source: tuple[str, str]
) -> None:
    """Store (replace) one baby's identity; ``source`` is (file sha256, imported by).

    Errors name the sample only, never the values."""
    params = {
        name: getattr(identity, name)
        for name in ("sample_id", "given_name", "family_name", "national_id", "id_scheme", "date_of_birth")
    }
    params.update(
        sample_pk=sample_pk,
        address_lines=list(identity.address_lines),
        postcode=identity.postcode,
        gp_name=identity.gp_name,
        gp_practice=identity.gp_practice,
        gp_address_lines=list(identity.gp_address_lines),
        source_sha256=source[0],
        imported_by=source[1],
    )
    with translate_errors(
        otherwise=Reason(N_("identity of sample {sample} not stored"), sample=identity.sample_id)
    ):
        conn.execute(query("upsert_identity"), params)


def _identity(row: dict[str, Any]) -> Identity:
    lines = {name: tuple(row[name]) for name in ("address_lines", "gp_address_lines")}
    return row_to(Identity, row, **lines)


def get_identity(conn: psycopg.Connection, sample_pk: int, viewer: str, purpose: str) -> Identity | None:
    """A baby's identity; every read is recorded in ``identity_views`` (who, when, for what)."""
    row = conn.execute(query("get_identity"), {"sample_pk": sample_pk}).fetchone()
    if row is None:
        return None
    conn.execute(
        query("log_identity_view"), {"sample_pk": sample_pk, "viewed_by": viewer, "purpose": purpose}
    )
    return _identity(row)


def log_identity_view(conn: psycopg.Connection, sample_pk: int, viewer: str, purpose: str) -> None:
    conn.execute(
        query("log_identity_view"), {"sample_pk": sample_pk, "viewed_by": viewer, "purpose": purpose}
    )


# ---------------------------------------------------------------- review


def review_queue(conn: psycopg.Connection, limit: int = 200) -> list[QueueEntry]:
    """Cases awaiting an outcome: most urgent finding first, then definite patterns, then oldest."""
    return [_queue_entry(r) for r in conn.execute(query("review_queue"), {"limit": limit})]


def reviewed_cases(conn: psycopg.Connection, limit: int = 50) -> list[ReviewedCase]:
    rows = [row_to(ReviewedCase, r) for r in conn.execute(query("reviewed_cases"), {"limit": limit})]
    return sorted(rows, key=lambda r: r.decided_at, reverse=True)


def case_header(conn: psycopg.Connection, run_id: int) -> CaseHeader:
    """Run, sample (incl. QC metrics), batch and panel version of a case (no identity)."""
    row = conn.execute(query("case_header"), {"run_id": run_id}).fetchone()
    if row is None:
        raise NotFoundError(Reason(N_("screening run {run_id} does not exist"), run_id=run_id))
    return row_to(CaseHeader, row)


def current_run(conn: psycopg.Connection, sample_pk: int) -> int | None:
    row = conn.execute(query("current_run_of_sample"), {"sample_pk": sample_pk}).fetchone()
    return row["id"] if row else None


def record_finding_decision(
    conn: psycopg.Connection,
    run_id: int,
    values: dict[str, str],
    actor: str,
    basis: tuple[str, str] | None = None,
) -> int:
    """Append a decision on one finding (``hgnc_id``, ``moi``, ``decision``, ``acmg_class``, ``reason``);
    ``basis`` = (finding signature, panel label) records what the decision was made on."""
    problems = []
    if values.get("decision") not in DECISIONS:
        problems.append(f"decision must be one of {', '.join(DECISIONS)}")
    if values.get("acmg_class") not in ACMG_CLASSES:
        problems.append(f"ACMG class must be one of {', '.join(ACMG_CLASSES)}")
    if not values.get("reason", "").strip():
        problems.append("a decision needs a reason")
    if problems:
        raise ScreeningError("; ".join(problems))
    params = {k: values[k] for k in ("hgnc_id", "moi", "decision", "acmg_class")}
    params.update(run_id=run_id, reason=values["reason"].strip(), decided_by=actor)
    decision_id = conn.execute(query("insert_finding_decision"), params).fetchone()["id"]
    if basis is not None:
        conn.execute(
            query("insert_finding_decision_basis"),
            {"decision_id": decision_id, "signature": basis[0], "panel_label": basis[1]},
        )
    return decision_id


def finding_decisions(conn: psycopg.Connection, run_id: int) -> list[StoredFindingDecision]:
    """Every decision on the run's findings, oldest first (the last per finding is in force)."""
    rows = conn.execute(query("list_finding_decisions"), {"run_id": run_id})
    return [row_to(StoredFindingDecision, r, decision=_finding_decision(r)) for r in rows]


def record_case_decision(conn: psycopg.Connection, run_id: int, outcome: str, reason: str, actor: str) -> int:
    if outcome not in tuple(o.value for o in Outcome):
        raise ScreeningError(
            Reason(
                N_("case outcome {outcome!r} is not one of {items}"),
                outcome=outcome,
                items=", ".join(o.value for o in Outcome),
            )
        )
    if not reason.strip():
        raise ScreeningError(Reason(N_("a case outcome needs a reason")))
    params = {"run_id": run_id, "outcome": outcome, "reason": reason.strip(), "decided_by": actor}
    return conn.execute(query("insert_case_decision"), params).fetchone()["id"]


def case_decisions(conn: psycopg.Connection, run_id: int) -> list[CaseDecision]:
    """Every outcome recorded for the case, oldest first, each with its confirmations. The last one
    recorded since the run's results were written is in force (see :func:`decision_in_force`)."""
    confirmations: dict[int, list[CaseConfirmation]] = {}
    for r in conn.execute(query("list_case_confirmations"), {"run_id": run_id}):
        confirmations.setdefault(r["case_decision_id"], []).append(row_to(CaseConfirmation, r))
    rows = conn.execute(query("list_case_decisions"), {"run_id": run_id}).fetchall()
    return [_case_decision(r, tuple(confirmations.get(r["id"], ()))) for r in rows]


def decision_in_force(outcomes: list[CaseDecision], screened_at: datetime) -> CaseDecision | None:
    """The latest outcome recorded after the run's results were (last) written; a re-screen that
    rewrites the results re-opens the case, and the earlier outcomes stay as history."""
    current = [o for o in outcomes if o.decided_at >= screened_at]
    return current[-1] if current else None


def confirm_case(
    conn: psycopg.Connection, run_id: int, case_decision_id: int, reason: str, actor: str
) -> int:
    """A second reviewer confirms the condition_suspected outcome in force (caller's transaction).

    Refused, with a reason, when the decision is not the one in force, is not condition_suspected, was
    recorded by the same account, or the case is inconsistent."""
    from screening.cases import case_problems

    case = load_case(conn, run_id, None)
    decision = case.case_decision
    if decision is None or decision.id != case_decision_id:
        raise StateError(
            Reason(N_("the case outcome changed since the page was shown: look at the case again"))
        )
    if decision.outcome is not Outcome.CONDITION_SUSPECTED:
        raise StateError(Reason(N_("only a 'condition suspected' outcome needs a second reviewer")))
    if decision.decided_by == actor:
        raise StateError(
            Reason(N_("the second reviewer must be a different account from the one that decided"))
        )
    if any(c.confirmed_by == actor for c in decision.confirmations):
        raise StateError(Reason(N_("you have already confirmed this outcome")))
    problems = case_problems(case)
    if problems:
        raise StateError("the case cannot be confirmed: " + "; ".join(p.message for p in problems))
    if not reason.strip():
        raise ScreeningError(Reason(N_("a confirmation needs a reason")))
    params = {"case_decision_id": case_decision_id, "run_id": run_id, "reason": reason.strip()}
    return conn.execute(query("insert_case_confirmation"), {**params, "confirmed_by": actor}).fetchone()["id"]


def awaiting_confirmation(conn: psycopg.Connection, limit: int = 200) -> list[AwaitingConfirmation]:
    """Cases whose condition_suspected outcome awaits its second reviewer, oldest decision first."""
    rows = conn.execute(query("awaiting_confirmation"), {"limit": limit})
    return [row_to(AwaitingConfirmation, r) for r in rows]


def sample_finding_decisions(conn: psycopg.Connection, sample_pk: int) -> list[SampleFindingDecision]:
    """Every finding decision on any run of the sample, oldest first, with basis and panel label."""
    rows = conn.execute(query("list_sample_finding_decisions"), {"sample_pk": sample_pk})
    return [row_to(SampleFindingDecision, r) for r in rows]


def _finding_decision(row: dict[str, Any]) -> FindingDecision:
    calls = {"decision": FindingCall(row["decision"]), "acmg_class": AcmgClass(row["acmg_class"])}
    return row_to(FindingDecision, row, **calls)


def _carried(row: SampleFindingDecision, carried_from: str | None) -> FindingDecision:
    calls = {"decision": FindingCall(row.decision), "acmg_class": AcmgClass(row.acmg_class)}
    return row_to(FindingDecision, vars(row), carried_from=carried_from, **calls)


def decisions_in_force(
    rows: list[SampleFindingDecision], findings: tuple[Any, ...], run_id: int, screened_at: datetime
) -> tuple[FindingDecision, ...]:
    """For each finding, the latest decision made on an identical finding (same signature) on any run of
    the baby — carried forward, naming its panel version, when made on another run or before the
    current results were written — or, for a decision recorded without a basis, the latest made on
    this run since its results were written. Changed and new findings have none: review again."""
    out = []
    for f in findings:
        signature = finding_signature(f)
        chosen = None
        for row in rows:
            if (row.signature is not None and row.signature == signature) or (
                row.signature is None
                and row.run_id == run_id
                and row.hgnc_id == f.hgnc_id
                and row.moi == str(f.moi)
                and row.decided_at >= screened_at
            ):
                chosen = row
        if chosen is None:
            continue
        earlier = chosen.run_id != run_id or chosen.decided_at < screened_at
        out.append(_carried(chosen, chosen.panel_label if earlier else None))
    return tuple(sorted(out, key=lambda d: d.decided_at))


def identity_checks(conn: psycopg.Connection, sample_pk: int) -> list[IdentityCheck]:
    rows = conn.execute(query("list_identity_checks"), {"sample_pk": sample_pk})
    return [row_to(IdentityCheck, r, resolution=IdentityResolution(r["resolution"])) for r in rows]


def batch_identity_checks(conn: psycopg.Connection, lab_batch_id: str) -> list[BatchIdentityCheck]:
    """Identity-check resolutions of a batch's samples (lab pages: no identity in them)."""
    rows = conn.execute(query("batch_identity_checks"), {"lab_batch_id": lab_batch_id})
    return [row_to(BatchIdentityCheck, r) for r in rows]


def sample_of_batch(conn: psycopg.Connection, lab_batch_id: str, sample_id: str) -> BatchSample:
    row = conn.execute(
        query("sample_of_batch"), {"lab_batch_id": lab_batch_id, "sample_id": sample_id}
    ).fetchone()
    if row is None:
        raise NotFoundError(
            Reason(
                N_("sample {sample_id} is not in batch {lab_batch_id}"),
                sample_id=sample_id,
                lab_batch_id=lab_batch_id,
            )
        )
    return row_to(BatchSample, row)


def record_identity_check(
    conn: psycopg.Connection, lab_batch_id: str, sample_id: str, values: dict[str, str], actor: str
) -> list[int]:
    """Record the lab's resolution of a possible sample swap (caller's transaction); for a confirmed
    identity the sample is re-queued with the corrected sex. Returns the sample ids to enqueue."""
    row = sample_of_batch(conn, lab_batch_id, sample_id)
    problems = []
    try:
        resolution = IdentityResolution(values.get("resolution", ""))
    except ValueError:
        resolution = None
        problems.append("choose a resolution: identity confirmed (re-screen) or a new sample")
    sex = values.get("corrected_sex", "") or None
    if resolution is IdentityResolution.CONFIRMED_IDENTITY and sex not in ("male", "female", "unknown"):
        problems.append("a confirmed identity needs the corrected sex (male, female or unknown)")
    if resolution is IdentityResolution.NEW_SAMPLE:
        sex = None
    if not values.get("note", "").strip():
        problems.append("say how the identity was checked (a note)")
    if row.run_id is None:
        problems.append(f"sample {sample_id} has not been screened: nothing to resolve")
    if problems:
        raise ScreeningError("; ".join(problems))
    case = load_case(conn, row.run_id, None)
    if not case.swap_hold:
        raise StateError(
            Reason(N_("sample {sample_id} is not held for a possible sample swap"), sample_id=sample_id)
        )
    params = {
        "sample_pk": row.sample_pk,
        "run_id": row.run_id,
        "resolution": resolution.value,
        "corrected_sex": sex,
        "note": values["note"].strip(),
        "recorded_by": actor,
    }
    conn.execute(query("insert_identity_check"), params)
    if resolution is not IdentityResolution.CONFIRMED_IDENTITY:
        return []
    again = conn.execute(query("requeue_with_sex"), {"sample_pk": row.sample_pk, "sex": sex}).fetchone()
    if again is None:
        raise StateError(
            Reason(
                N_("sample {sample_id} is being screened: try again when it has finished"),
                sample_id=sample_id,
            )
        )
    conn.execute(query("reopen_batch_one"), {"batch_id": again["batch_id"]})
    return [again["id"]]


def batch_letters(conn: psycopg.Connection, batch_pk: int) -> list[BatchLetter]:
    """Letters issued for the babies of a batch, newest first, without their bytes."""
    return [row_to(BatchLetter, r) for r in conn.execute(query("batch_letters"), {"batch_pk": batch_pk})]


# ---------------------------------------------------------------- letters


def store_letter(conn: psycopg.Connection, sample_pk: int, run_id: int, letter: RenderedLetter) -> int:
    """Keep an issued letter: its HTML and PDF, both sha256, template version, who and when."""
    params = {
        "sample_pk": sample_pk,
        "run_id": run_id,
        "kind": letter.kind.value,
        "sha256": letter.sha256,
        "pdf_sha256": letter.pdf_sha256,
        "template_version": letter.template_version,
        "issued_by": letter.issued_by,
        "issued_on": letter.issued_on,
        "pdf": letter.pdf,
        "html": letter.html,
    }
    return conn.execute(query("insert_issued_letter"), params).fetchone()["id"]


def list_letters(conn: psycopg.Connection, sample_pk: int) -> list[IssuedLetter]:
    rows = conn.execute(query("list_issued_letters"), {"sample_pk": sample_pk})
    return [row_to(IssuedLetter, r) for r in rows]


def get_letter(conn: psycopg.Connection, letter_id: int) -> tuple[IssuedLetter, bytes, str]:
    """(metadata, pdf bytes, html) of an issued letter, verified: :class:`IntegrityError` (never the
    bytes) when the stored PDF or HTML no longer hash to the sha256 recorded when it was issued."""
    row = conn.execute(query("get_issued_letter"), {"id": letter_id}).fetchone()
    if row is None:
        raise NotFoundError(Reason(N_("letter {letter_id} does not exist"), letter_id=letter_id))
    meta, pdf, html = row_to(IssuedLetter, row), bytes(row["pdf"]), row["html"]
    if letter_problem(meta, pdf, html):
        raise IntegrityError(f"letter {letter_id}: {letter_problem(meta, pdf, html)}; it is not served")
    return meta, pdf, html


def letter_problem(meta: IssuedLetter, pdf: bytes, html: str) -> str | None:
    """Why a stored letter's bytes do not match its recorded sha256 (None when they do)."""
    if hashlib.sha256(pdf).hexdigest() != meta.pdf_sha256:
        return "the stored PDF no longer matches its recorded sha256 (altered in the database)"
    if hashlib.sha256(html.encode("utf-8")).hexdigest() != meta.sha256:
        return "the stored HTML no longer matches its recorded sha256 (altered in the database)"
    return None


def batch_runs(conn: psycopg.Connection, batch_pk: int) -> list[LetterRun]:
    """Screened babies of a batch (current run each) and the kinds of letter issued for the run."""
    rows = conn.execute(query("batch_letter_runs"), {"batch_pk": batch_pk})
    return [row_to(LetterRun, r, issued=tuple(r["issued"])) for r in rows]


# ---------------------------------------------------------------- the case as reviewed


def load_case(
    conn: psycopg.Connection,
    run_id: int,
    identity_for: tuple[str, str] | None,
    four_eyes: bool = True,
) -> CaseView:
    """The case of one screening run with the decisions in force (carriers dropped by CaseView).

    ``identity_for`` = (viewer, purpose) loads the identity and records the view; None leaves it out.
    ``four_eyes``: a condition_suspected outcome is reportable only once a second account confirmed it.
    """
    header = case_header(conn, run_id)
    result = results.load_results(conn, [run_id])[run_id]
    qc = SampleQc(header.pct_autosomal_15x, header.q30_gb, header.contamination_pct)
    case = replace(CaseView.from_result(result, header.lab_batch_id, qc), programme=header.programme)
    rows = sample_finding_decisions(conn, header.sample_pk)
    decisions = decisions_in_force(rows, case.findings, run_id, header.screened_at)
    outcome = decision_in_force(case_decisions(conn, run_id), header.screened_at)
    # a resolution counts for the results it was recorded on: a re-screen that still contradicts the
    # recorded sex needs a new identity check
    checks = [c for c in identity_checks(conn, header.sample_pk) if c.recorded_at >= header.screened_at]
    identity = get_identity(conn, header.sample_pk, *identity_for) if identity_for else None
    return replace(
        case,
        decisions=decisions,
        case_decision=outcome,
        identity=identity,
        four_eyes=four_eyes,
        identity_check=checks[-1] if checks else None,
    )


# ---------------------------------------------------------------- account state (issue 10)


def set_user_active(conn: psycopg.Connection, username: str, active: bool) -> None:
    """Enable or disable a user; a disabled user's open sessions are revoked in the same transaction."""
    if conn.execute(query("set_user_active"), {"username": username, "active": active}).fetchone() is None:
        raise NotFoundError(
            Reason(N_("user {username} does not exist (screening user list)"), username=username)
        )
    if not active:
        conn.execute(query("revoke_user_sessions"), {"username": username})


def unlock_user(conn: psycopg.Connection, username: str) -> None:
    """Forgive the failed sign-ins so far: the account is no longer locked out."""
    if conn.execute(query("unlock_user"), {"username": username}).fetchone() is None:
        raise NotFoundError(
            Reason(N_("user {username} does not exist (screening user list)"), username=username)
        )
