"""The case as reviewed: one baby's screening result, the reviewers' decisions and (for roles that
need it) the baby's identity. Pure: frozen dataclasses, no I/O, no jinja2.

Safety rules encoded here (screening-rules §4, §7 and the review pathway):

- A :class:`CaseView` holds only *findings*, never the full candidate list: carriers (a single
  heterozygous variant in a biallelic gene) cannot reach a letter or an export through it.
- :meth:`CaseView.reported_outcome` is what may be told to the family. A baby the software flagged
  (``condition_suspected``) has **no** reportable outcome until a reviewer records a
  :class:`CaseDecision`; software ``no_condition_suspected`` and ``testing_not_possible`` are
  reportable as they are, unless a reviewer decided otherwise.
- :func:`case_problems` lists every inconsistency between the decisions and the result (a finding
  without a decision, "condition suspected" with nothing confirmed, ...), all at once.
- :class:`Identity` never shows identifying values in ``repr``/``str`` (they end up in logs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from screening.domain import (
    N_,
    CandidateRole,
    CandidateVariant,
    Finding,
    Karyotype,
    Outcome,
    Provenance,
    Reason,
    SampleQc,
    SampleResult,
)
from screening.errors import Problem

NO_QC = SampleQc()  # no upstream QC metrics supplied


@dataclass(frozen=True)
class Identity:
    """Who the baby is. Kept apart from results; shown only to roles that need it.

    ``national_id`` is the number under ``id_scheme`` (``"nhs"``: 10-digit NHS number, checked with
    its Modulus 11 check digit; ``"cpr"``: Danish CPR number ``DDMMYY-SSSS``). ``address_lines``
    excludes the postcode.
    """

    sample_id: str
    given_name: str
    family_name: str
    national_id: str
    id_scheme: str
    date_of_birth: date
    address_lines: tuple[str, ...]
    postcode: str
    gp_name: str
    gp_practice: str
    gp_address_lines: tuple[str, ...]

    @property
    def nhs_number(self) -> str | None:
        return self.national_id if self.id_scheme == "nhs" else None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def national_id_display(self) -> str:
        """NHS numbers are written 3-3-4 (``943 476 5919``); other schemes as given."""
        n = self.national_id
        return f"{n[:3]} {n[3:6]} {n[6:]}" if self.id_scheme == "nhs" and len(n) == 10 else n

    def __repr__(self) -> str:
        return f"Identity(sample_id={self.sample_id!r}, <identifying fields masked>)"

    __str__ = __repr__


class FindingCall(StrEnum):
    """The reviewer's decision on one finding."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"


class AcmgClass(StrEnum):
    """ACMG/AMP variant classes (Richards et al. 2015)."""

    PATHOGENIC = "pathogenic"
    LIKELY_PATHOGENIC = "likely_pathogenic"
    UNCERTAIN_SIGNIFICANCE = "uncertain_significance"
    LIKELY_BENIGN = "likely_benign"
    BENIGN = "benign"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class FindingDecision:
    """A reviewer's decision on one finding. ``carried_from`` names the panel version of an earlier
    screen of the same baby whose finding was identical (same gene, mode, pattern and variants): the
    decision was made there and carries forward unchanged."""

    hgnc_id: str
    decision: FindingCall
    acmg_class: AcmgClass
    reason: str
    decided_by: str
    decided_at: datetime
    carried_from: str | None = None


@dataclass(frozen=True)
class CaseConfirmation:
    """A second reviewer (a different account) confirming a ``condition_suspected`` case decision."""

    reason: str
    confirmed_by: str
    confirmed_at: datetime


@dataclass(frozen=True)
class CaseDecision:
    """The outcome the reviewer decided to report for the baby, and why (``id``: its database row)."""

    outcome: Outcome
    reason: str
    decided_by: str
    decided_at: datetime
    id: int | None = None
    confirmations: tuple[CaseConfirmation, ...] = ()

    @property
    def second_reviewer(self) -> CaseConfirmation | None:
        """The first confirmation by an account other than the one that decided."""
        return next((c for c in self.confirmations if c.confirmed_by != self.decided_by), None)


class IdentityResolution(StrEnum):
    """How the laboratory resolved a possible sample swap."""

    CONFIRMED_IDENTITY = "confirmed_identity"  # same baby: re-screened with the corrected sex
    NEW_SAMPLE = "new_sample"  # a new sample is requested

    @property
    def label(self) -> str:
        if self is IdentityResolution.CONFIRMED_IDENTITY:
            return N_("identity confirmed, re-screened with the corrected sex")
        return N_("a new sample is requested")


@dataclass(frozen=True)
class IdentityCheck:
    resolution: IdentityResolution
    corrected_sex: str | None
    note: str
    recorded_by: str
    recorded_at: datetime


SWAP_HOLD_WORDS = "possible sample swap"


def finding_signature(finding: Finding) -> str:
    """What a decision on a finding was made on: gene, mode, pattern, SMN1 copies and the reportable
    variants with their zygosity. Equal signatures across two screens: the finding is unchanged."""
    variants = sorted(f"{v.chrom}:{v.pos}:{v.ref}:{v.alt}:{v.zygosity}" for v in reportable_variants(finding))
    smn1 = "" if finding.smn1_copies is None else str(finding.smn1_copies)
    return "|".join((finding.hgnc_id, str(finding.moi), str(finding.pattern), smn1, ";".join(variants)))


@dataclass(frozen=True)
class CaseView:
    """One baby as reviewed. Build it with :meth:`from_result` or directly (from database rows)."""

    sample_id: str
    batch_id: str
    outcome: Outcome  # what the software said
    karyotype: Karyotype
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
    provenance: Provenance
    qc: SampleQc = NO_QC
    not_evaluated: tuple[str, ...] = ()
    decisions: tuple[FindingDecision, ...] = ()
    case_decision: CaseDecision | None = None
    identity: Identity | None = field(default=None, repr=False)
    four_eyes: bool = True  # a condition_suspected outcome is final only once a second reviewer confirms
    identity_check: IdentityCheck | None = None
    programme: str = "england"  # the batch's programme (its letters' language, sender and recipients)

    @classmethod
    def from_result(
        cls,
        result: SampleResult,
        batch_id: str,
        qc: SampleQc = NO_QC,
        review: tuple[tuple[FindingDecision, ...], CaseDecision | None] = ((), None),
        identity: Identity | None = None,
    ) -> CaseView:
        """The case of one screened baby; the carriers of ``result.candidates`` are dropped here."""
        decisions, case_decision = review
        return cls(
            sample_id=result.sample_id,
            batch_id=batch_id,
            outcome=result.outcome,
            karyotype=result.karyotype,
            reasons=result.reasons,
            findings=tuple(_reportable(f) for f in result.findings),
            provenance=result.provenance,
            qc=qc,
            not_evaluated=result.not_evaluated,
            decisions=tuple(decisions),
            case_decision=case_decision,
            identity=identity,
        )

    def decision_for(self, hgnc_id: str) -> FindingDecision | None:
        """The latest decision recorded for a finding's gene (decisions are kept in order)."""
        found = [d for d in self.decisions if d.hgnc_id == hgnc_id]
        return found[-1] if found else None

    @property
    def confirmed_findings(self) -> tuple[tuple[Finding, FindingDecision], ...]:
        out = []
        for f in self.findings:
            d = self.decision_for(f.hgnc_id)
            if d is not None and d.decision is FindingCall.CONFIRMED:
                out.append((f, d))
        return tuple(out)

    @property
    def reviewed(self) -> bool:
        return self.case_decision is not None

    @property
    def awaiting_second_reviewer(self) -> bool:
        """A condition_suspected outcome decided but not yet confirmed by a different account."""
        d = self.case_decision
        return (
            self.four_eyes
            and d is not None
            and d.outcome is Outcome.CONDITION_SUSPECTED
            and d.second_reviewer is None
        )

    @property
    def swap_hold(self) -> bool:
        """The screen held the baby for a possible sample swap (recorded sex contradicts the VCF)."""
        return self.outcome is Outcome.TESTING_NOT_POSSIBLE and any(
            SWAP_HOLD_WORDS in r for r in self.reasons
        )

    @property
    def reported_outcome(self) -> Outcome | None:
        """What may be told to the family; None while a flagged baby awaits review (or, with four
        eyes, while a condition_suspected decision awaits its second reviewer)."""
        if self.case_decision is not None:
            return None if self.awaiting_second_reviewer else self.case_decision.outcome
        if self.outcome is Outcome.CONDITION_SUSPECTED:
            return None
        return self.outcome

    def with_identity(self, identity: Identity | None) -> CaseView:
        return replace(self, identity=identity)


class LetterKind(StrEnum):
    NO_CONDITION_SUSPECTED_PARENTS = "no_condition_suspected_parents"
    NO_CONDITION_SUSPECTED_GP = "no_condition_suspected_gp"
    REFERRAL_PACK = "referral_pack"
    TESTING_NOT_POSSIBLE = "testing_not_possible"

    @property
    def outcome(self) -> Outcome:
        """The reported outcome this kind of letter is for."""
        if self is LetterKind.REFERRAL_PACK:
            return Outcome.CONDITION_SUSPECTED
        if self is LetterKind.TESTING_NOT_POSSIBLE:
            return Outcome.TESTING_NOT_POSSIBLE
        return Outcome.NO_CONDITION_SUSPECTED


@dataclass(frozen=True)
class RenderedLetter:
    """One rendered letter.

    ``sha256`` is the sha256 of the UTF-8 ``html``: the letter's content identity. The same case,
    kind, issuer, issue date and templates always give the same HTML, hence the same ``sha256``,
    whatever the PDF engine's version. ``pdf_sha256`` is the sha256 of the ``pdf`` bytes, for the
    integrity of the stored file; the PDF is deterministic too (no clock in its metadata: the
    creation date is the issue date; the file identifier is an MD5 of the content), so it is stable
    on one installation, but may change with a WeasyPrint, pango or font upgrade.
    ``html`` and ``pdf`` carry identifying data: they are left out of ``repr``.
    """

    kind: LetterKind
    sample_id: str
    html: str = field(repr=False)
    pdf: bytes = field(repr=False)
    sha256: str
    pdf_sha256: str
    template_version: str
    issued_by: str
    issued_on: date


def reportable_variants(finding: Finding) -> tuple[CandidateVariant, ...]:
    """The variants of a finding that may be reported: role ``finding`` only (never carriers)."""
    return tuple(v for v in finding.variants if v.role is CandidateRole.FINDING)


def _reportable(finding: Finding) -> Finding:
    return replace(finding, variants=reportable_variants(finding))


def case_problems(case: CaseView) -> tuple[Problem, ...]:
    """Every inconsistency between the result and the review, all at once (empty: consistent)."""
    where = Reason(N_("sample {sample}"), sample=case.sample_id)
    problems: list[Problem] = []
    known = {f.hgnc_id for f in case.findings}
    for d in case.decisions:
        if d.hgnc_id not in known:
            problems.append(
                Problem(
                    where,
                    Reason(N_("decision recorded for {hgnc_id}, which is not a finding"), hgnc_id=d.hgnc_id),
                )
            )
    decision = case.case_decision
    if decision is None:
        return tuple(problems)
    undecided = [f.symbol for f in case.findings if case.decision_for(f.hgnc_id) is None]
    if undecided:
        problems.append(
            Problem(
                where, Reason(N_("no reviewer decision on finding(s) {genes}"), genes=", ".join(undecided))
            )
        )
    confirmed = case.confirmed_findings
    if decision.outcome is Outcome.CONDITION_SUSPECTED and not confirmed:
        problems.append(
            Problem(where, Reason(N_("'condition suspected' decided but no finding is confirmed")))
        )
    if decision.outcome is Outcome.NO_CONDITION_SUSPECTED and confirmed:
        names = ", ".join(f.symbol for f, _ in confirmed)
        problems.append(
            Problem(where, Reason(N_("'no condition suspected' decided but {genes} confirmed"), genes=names))
        )
    if decision.outcome is Outcome.NO_CONDITION_SUSPECTED and case.outcome is Outcome.TESTING_NOT_POSSIBLE:
        problems.append(
            Problem(where, Reason(N_("'no condition suspected' decided for a baby who could not be tested")))
        )
    if not decision.reason.strip():
        problems.append(Problem(where, Reason(N_("the case decision has no reason"))))
    return tuple(problems)
