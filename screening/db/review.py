"""The review side in the database: web users, identities (kept apart), decisions and issued letters.

Named SQL in ``review.sql`` (read with the pipeline's loader). Identity values never appear in an
error raised here: database errors on the identities table are re-raised without their detail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import psycopg

from screening.cases import (
    AcmgClass,
    CaseDecision,
    CaseView,
    FindingCall,
    FindingDecision,
    Identity,
    RenderedLetter,
)
from screening.db import results
from screening.db.sql import parse_queries
from screening.domain import Outcome, SampleQc, Urgency
from screening.errors import IntegrityError, NotFoundError, ScreeningError, StateError

ROLES = ("lab", "reviewer", "curator", "admin")
DECISIONS = tuple(c.value for c in FindingCall)
ACMG_CLASSES = tuple(c.value for c in AcmgClass)


@cache
def _queries() -> dict[str, str]:
    return parse_queries(resources.files("screening.db").joinpath("review.sql").read_text("utf-8"))


def query(name: str) -> str:
    return _queries()[name]


def _fields(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in cls.__dataclass_fields__}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    password_hash: str
    active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(**_fields(cls, row))


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> QueueEntry:
        label = f"{row['panel_id']}@{row['major']}.{row['minor']}"
        values = {k: row[k] for k in cls.__dataclass_fields__ if k not in ("panel_label", "urgency")}
        return cls(panel_label=label, urgency=Urgency(row["urgency"]), **values)


@dataclass(frozen=True)
class StoredFindingDecision:
    """A decision row; ``.decision`` is the case model's FindingDecision."""

    id: int
    run_id: int
    moi: str
    decision: FindingDecision

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredFindingDecision:
        decision = FindingDecision(
            hgnc_id=row["hgnc_id"],
            decision=FindingCall(row["decision"]),
            acmg_class=AcmgClass(row["acmg_class"]),
            reason=row["reason"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
        )
        return cls(row["id"], row["run_id"], row["moi"], decision)


def _case_decision(row: dict[str, Any]) -> CaseDecision:
    return CaseDecision(Outcome(row["outcome"]), row["reason"], row["decided_by"], row["decided_at"])


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IssuedLetter:
        return cls(**_fields(cls, row))


# ---------------------------------------------------------------- users


def add_user(conn: psycopg.Connection, username: str, role: str, password_hash: str, replace: bool) -> int:
    """Create a user (or, with ``replace``, set an existing user's password and role)."""
    if role not in ROLES:
        raise ScreeningError(f"role {role!r} is not one of {', '.join(ROLES)}")
    params = {"username": username, "role": role, "password_hash": password_hash}
    if replace:
        row = conn.execute(query("set_user_password"), params).fetchone()
        if row:
            return row["id"]
    try:
        with conn.transaction():
            return conn.execute(query("insert_user"), params).fetchone()["id"]
    except psycopg.errors.UniqueViolation:
        raise StateError(f"user {username!r} exists (use --replace to set a new password)") from None
    except psycopg.errors.CheckViolation:
        raise ScreeningError(
            f"user name {username!r} must be 2-63 lower-case letters, digits, '.', '_' or '-'"
        ) from None


def find_user(conn: psycopg.Connection, username: str) -> User | None:
    row = conn.execute(query("find_user"), {"username": username}).fetchone()
    return User.from_row(row) if row else None


def list_users(conn: psycopg.Connection) -> list[User]:
    return [User.from_row(r) for r in conn.execute(query("list_users"))]


# ---------------------------------------------------------------- identities


def samples_by_lab_id(
    conn: psycopg.Connection, sample_ids: list[str], lab_batch_id: str | None
) -> dict[str, list[tuple[int, str]]]:
    """``{lab sample id: [(sample pk, lab batch id), ...]}`` for the ids that exist."""
    params = {"sample_ids": sample_ids, "lab_batch_id": lab_batch_id}
    out: dict[str, list[tuple[int, str]]] = {}
    for row in conn.execute(query("samples_by_lab_id"), params):
        out.setdefault(row["sample_id"], []).append((row["id"], row["lab_batch_id"]))
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
    try:
        conn.execute(query("upsert_identity"), params)
    except psycopg.Error as exc:
        kind = type(exc).__name__
        raise ScreeningError(f"identity of sample {identity.sample_id} not stored ({kind})") from None


def _identity(row: dict[str, Any]) -> Identity:
    return Identity(
        sample_id=row["sample_id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        national_id=row["national_id"],
        id_scheme=row["id_scheme"],
        date_of_birth=row["date_of_birth"],
        address_lines=tuple(row["address_lines"]),
        postcode=row["postcode"],
        gp_name=row["gp_name"],
        gp_practice=row["gp_practice"],
        gp_address_lines=tuple(row["gp_address_lines"]),
    )


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


def identity_views(conn: psycopg.Connection, sample_pk: int) -> list[dict[str, Any]]:
    return conn.execute(query("list_identity_views"), {"sample_pk": sample_pk}).fetchall()


# ---------------------------------------------------------------- review


def review_queue(conn: psycopg.Connection, limit: int = 200) -> list[QueueEntry]:
    """Cases awaiting an outcome: most urgent finding first, then definite patterns, then oldest."""
    return [QueueEntry.from_row(r) for r in conn.execute(query("review_queue"), {"limit": limit})]


def reviewed_cases(conn: psycopg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(query("reviewed_cases"), {"limit": limit}).fetchall()
    return sorted(rows, key=lambda r: r["decided_at"], reverse=True)


def case_header(conn: psycopg.Connection, run_id: int) -> dict[str, Any]:
    """Run, sample (incl. QC metrics), batch and panel version of a case (no identity)."""
    row = conn.execute(query("case_header"), {"run_id": run_id}).fetchone()
    if row is None:
        raise NotFoundError(f"screening run {run_id} does not exist")
    return row


def current_run(conn: psycopg.Connection, sample_pk: int) -> int | None:
    row = conn.execute(query("current_run_of_sample"), {"sample_pk": sample_pk}).fetchone()
    return row["id"] if row else None


def record_finding_decision(conn: psycopg.Connection, run_id: int, values: dict[str, str], actor: str) -> int:
    """Append a decision on one finding (``hgnc_id``, ``moi``, ``decision``, ``acmg_class``, ``reason``)."""
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
    return conn.execute(query("insert_finding_decision"), params).fetchone()["id"]


def finding_decisions(conn: psycopg.Connection, run_id: int) -> list[StoredFindingDecision]:
    """Every decision on the run's findings, oldest first (the last per finding is in force)."""
    rows = conn.execute(query("list_finding_decisions"), {"run_id": run_id})
    return [StoredFindingDecision.from_row(r) for r in rows]


def record_case_decision(conn: psycopg.Connection, run_id: int, outcome: str, reason: str, actor: str) -> int:
    if outcome not in tuple(o.value for o in Outcome):
        raise ScreeningError(f"case outcome {outcome!r} is not one of {', '.join(o.value for o in Outcome)}")
    if not reason.strip():
        raise ScreeningError("a case outcome needs a reason")
    params = {"run_id": run_id, "outcome": outcome, "reason": reason.strip(), "decided_by": actor}
    return conn.execute(query("insert_case_decision"), params).fetchone()["id"]


def case_decisions(conn: psycopg.Connection, run_id: int) -> list[CaseDecision]:
    """Every outcome recorded for the case, oldest first (the last is in force)."""
    return [_case_decision(r) for r in conn.execute(query("list_case_decisions"), {"run_id": run_id})]


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
    return [
        IssuedLetter.from_row(r) for r in conn.execute(query("list_issued_letters"), {"sample_pk": sample_pk})
    ]


def get_letter(conn: psycopg.Connection, letter_id: int) -> tuple[IssuedLetter, bytes, str]:
    """(metadata, pdf bytes, html) of an issued letter, verified: :class:`IntegrityError` (never the
    bytes) when the stored PDF or HTML no longer hash to the sha256 recorded when it was issued."""
    row = conn.execute(query("get_issued_letter"), {"id": letter_id}).fetchone()
    if row is None:
        raise NotFoundError(f"letter {letter_id} does not exist")
    meta, pdf, html = IssuedLetter.from_row(row), bytes(row["pdf"]), row["html"]
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


def batch_runs(conn: psycopg.Connection, batch_pk: int) -> list[dict[str, Any]]:
    """Screened babies of a batch: ``sample_pk``, ``sample_id``, ``run_id``, ``issued`` (letter kinds)."""
    return conn.execute(query("batch_runs"), {"batch_pk": batch_pk}).fetchall()


# ---------------------------------------------------------------- the case as reviewed


def load_case(conn: psycopg.Connection, run_id: int, identity_for: tuple[str, str] | None) -> CaseView:
    """The case of one screening run with its decisions (carriers dropped by CaseView).

    ``identity_for`` = (viewer, purpose) loads the identity and records the view; None leaves it out.
    """
    header = case_header(conn, run_id)
    result = results.load_results(conn, [run_id])[run_id]
    qc = SampleQc(header["pct_autosomal_15x"], header["q30_gb"], header["contamination_pct"])
    decisions = tuple(d.decision for d in finding_decisions(conn, run_id))
    outcomes = case_decisions(conn, run_id)
    review = (decisions, outcomes[-1] if outcomes else None)
    identity = get_identity(conn, header["sample_pk"], *identity_for) if identity_for else None
    return CaseView.from_result(result, header["lab_batch_id"], qc, review, identity)


# ---------------------------------------------------------------- account state (issue 10)


def set_user_active(conn: psycopg.Connection, username: str, active: bool) -> None:
    """Enable or disable a user; a disabled user's open sessions are revoked in the same transaction."""
    if conn.execute(query("set_user_active"), {"username": username, "active": active}).fetchone() is None:
        raise NotFoundError(f"user {username} does not exist (screening user list)")
    if not active:
        conn.execute(query("revoke_user_sessions"), {"username": username})


def unlock_user(conn: psycopg.Connection, username: str) -> None:
    """Forgive the failed sign-ins so far: the account is no longer locked out."""
    if conn.execute(query("unlock_user"), {"username": username}).fetchone() is None:
        raise NotFoundError(f"user {username} does not exist (screening user list)")
